#!/usr/bin/env bash
# A write that starts at or past the end fails with ENOSPC and changes nothing.
source "$(dirname "$0")/../lib.sh"

gen create img --blocks 16 --fill pattern --expect-data shadow
cp img img.before
mkdir mnt
difs_mount img mnt
expect_fail_msg "No space left on device" \
    dd if=/dev/urandom of=mnt/data bs=512 seek=16 count=1 conv=notrunc
expect_fail_msg "No space left on device" \
    dd if=/dev/urandom of=mnt/data bs=100 seek=9000 count=1 oflag=seek_bytes conv=notrunc
(( $(file_size mnt/data) == 16 * 512 )) || fail "data size changed"
difs_umount mnt
cmp img img.before || fail "the image changed"
