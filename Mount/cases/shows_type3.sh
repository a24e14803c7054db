#!/usr/bin/env bash
# A type 3 image (one reftag for all blocks, apptag checked with prchk=all) shows byte for byte.
source "$(dirname "$0")/../lib.sh"

assert_shows_image "pi=3,apptag=0x1234,reftag=0xdeadbeef,prchk=all"
