#!/usr/bin/env bash
# An interleaved (extended-LBA, 4096+64 pif 2 pil 0) image shows its data and metadata byte for byte.
source "$(dirname "$0")/../lib.sh"

assert_shows_image "logical_block_size=4096,ms=64,pif=2,layout=interleaved"
