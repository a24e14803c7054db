#!/usr/bin/env bash
# A mountpoint that does not exist is refused, naming it.
source "$(dirname "$0")/../lib.sh"

gen create img --blocks 16
expect_refused no-such-dir no-such-dir img no-such-dir
