#!/usr/bin/env bash
# A 512+16 image with the tuple first (pil=1, guard over data only) shows byte for byte.
source "$(dirname "$0")/../lib.sh"

assert_shows_image "ms=16,pil=1"
