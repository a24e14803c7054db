#!/usr/bin/env bash
# An interleaved 520-byte-sector image (512+8) shows its data and metadata byte for byte.
source "$(dirname "$0")/../lib.sh"

assert_shows_image "layout=interleaved"
