#!/usr/bin/env bash
# A read-only image file (chmod 444) without `ro` mounts read-only, says so, and writes fail with
# EROFS (even for root, who could open it for writing).
source "$(dirname "$0")/../lib.sh"

gen create img --blocks 16 --expect-data want.data
chmod 444 img
cp img img.before
mkdir mnt
difs_mount img mnt
grep -qi "read-only" "$(difs_log mnt)" || fail "difs did not say it mounts read-only"
[[ ,$(mount_options mnt), == *,ro,* ]] || fail "mount options \"$(mount_options mnt)\" lack ro"
cmp mnt/data want.data || fail "data does not read"
expect_fail_msg "Read-only file system" \
    dd if=/dev/zero of=mnt/data bs=512 count=1 conv=notrunc
expect_fail_msg "Read-only file system" \
    dd if=/dev/zero of=mnt/metadata bs=8 count=1 conv=notrunc
(( $(stat -c %a mnt/data) == 444 )) || fail "data mode is $(stat -c %a mnt/data), want 444"
difs_umount mnt
cmp img img.before || fail "the image changed"
