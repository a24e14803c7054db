#!/usr/bin/env bash
# An option neither difs nor libfuse knows is refused and nothing is mounted.
source "$(dirname "$0")/../lib.sh"

gen create img --blocks 16
mkdir mnt
expect_refused frobnicate mnt img mnt -o frobnicate=1
expect_refused frobnicate mnt img mnt -o pi=1,frobnicate
