#!/usr/bin/env bash
# difs with no mountpoint, or with no arguments at all, is refused with a message.
source "$(dirname "$0")/../lib.sh"

gen create img --blocks 16
mkdir mnt
expect_refused "" mnt img
expect_refused "" mnt
