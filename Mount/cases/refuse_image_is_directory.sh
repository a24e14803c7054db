#!/usr/bin/env bash
# A directory given as the image is refused, naming it.
source "$(dirname "$0")/../lib.sh"

mkdir mnt imgdir
expect_refused imgdir mnt imgdir mnt
