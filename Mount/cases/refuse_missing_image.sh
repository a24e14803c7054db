#!/usr/bin/env bash
# A missing image file is refused, naming it.
source "$(dirname "$0")/../lib.sh"

mkdir mnt
expect_refused no-such.img mnt no-such.img mnt
