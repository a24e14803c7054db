#!/usr/bin/env bash
# A regular file given as the mountpoint is refused, naming it.
source "$(dirname "$0")/../lib.sh"

gen create img --blocks 16
: >afile
expect_refused afile afile img afile
