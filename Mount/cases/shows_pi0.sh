#!/usr/bin/env bash
# A pi=0 image (metadata but no protection) shows its data and raw metadata byte for byte.
source "$(dirname "$0")/../lib.sh"

assert_shows_image "pi=0"
