#!/usr/bin/env bash
# A 4096+8 image shows its data and metadata byte for byte.
source "$(dirname "$0")/../lib.sh"

assert_shows_image "logical_block_size=4096"
