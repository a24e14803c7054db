#!/usr/bin/env bash
# The files are fixed-size: truncate to the current size succeeds and changes nothing, any other
# size fails with EINVAL.
source "$(dirname "$0")/../lib.sh"

gen create img --blocks 16 --fill pattern --expect-data want.data --expect-metadata want.md
cp img img.before
mkdir mnt
difs_mount img mnt
truncate -s $(( 16 * 512 )) mnt/data || fail "truncate data to its own size failed"
truncate -s $(( 16 * 8 )) mnt/metadata || fail "truncate metadata to its own size failed"
expect_fail_msg "Invalid argument" truncate -s 0 mnt/data
expect_fail_msg "Invalid argument" truncate -s $(( 16 * 512 + 1 )) mnt/data
expect_fail_msg "Invalid argument" truncate -s 512 mnt/data
expect_fail_msg "Invalid argument" truncate -s 0 mnt/metadata
(( $(file_size mnt/data) == 16 * 512 )) || fail "data size changed"
cmp mnt/data want.data || fail "data changed"
cmp mnt/metadata want.md || fail "metadata changed"
difs_umount mnt
cmp img img.before || fail "the image changed"
