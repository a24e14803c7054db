#!/usr/bin/env bash
# An image smaller than one block (here 519 bytes for 512+8, and an empty file) is refused.
source "$(dirname "$0")/../lib.sh"

head -c 519 /dev/zero >short.img
: >empty.img
mkdir mnt
expect_refused short.img mnt short.img mnt
expect_refused empty.img mnt empty.img mnt
# 4096+8 needs 4104 bytes: a 4000-byte image is too short for that format only.
head -c 4000 /dev/zero >small.img
expect_refused small.img mnt small.img mnt -o logical_block_size=4096
