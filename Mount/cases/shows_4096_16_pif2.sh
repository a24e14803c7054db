#!/usr/bin/env bash
# A 4096+16 image with 64-bit guards (pif=2, 48-bit reftags) shows byte for byte.
source "$(dirname "$0")/../lib.sh"

assert_shows_image "logical_block_size=4096,ms=16,pif=2"
