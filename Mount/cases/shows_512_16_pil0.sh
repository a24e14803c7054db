#!/usr/bin/env bash
# A 512+16 image with the tuple last (pil=0, guard over data + 8-byte prefix) shows byte for byte.
source "$(dirname "$0")/../lib.sh"

assert_shows_image "ms=16,pil=0"
