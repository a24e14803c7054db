#!/usr/bin/env bash
# -o ro mounts read-only: reads work, writes of data and metadata fail with EROFS.
source "$(dirname "$0")/../lib.sh"

gen create img --blocks 16 --expect-data want.data
cp img img.before
mkdir mnt
difs_mount img mnt -o ro
[[ ,$(mount_options mnt), == *,ro,* ]] || fail "mount options \"$(mount_options mnt)\" lack ro"
cmp mnt/data want.data || fail "data does not read"
expect_fail_msg "Read-only file system" \
    dd if=/dev/zero of=mnt/data bs=512 count=1 conv=notrunc
expect_fail_msg "Read-only file system" \
    dd if=/dev/zero of=mnt/metadata bs=8 count=1 conv=notrunc
difs_umount mnt
cmp img img.before || fail "the image changed"
