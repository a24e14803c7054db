#!/usr/bin/env bash
# A type 2 image whose reftags start at a base (reftag=0xfffffff0, wrapping at 32 bits) shows byte for byte.
source "$(dirname "$0")/../lib.sh"

assert_shows_image "pi=2,reftag=0xfffffff0"
