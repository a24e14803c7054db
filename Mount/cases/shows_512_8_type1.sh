#!/usr/bin/env bash
# A 512+8 type 1 image (all defaults) shows its data and metadata byte for byte.
source "$(dirname "$0")/../lib.sh"

assert_shows_image ""
