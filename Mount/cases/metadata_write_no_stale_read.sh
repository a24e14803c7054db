#!/usr/bin/env bash
# Writing the metadata file makes the very next data read of that block fail: no stale cache.
source "$(dirname "$0")/../lib.sh"

gen create img --blocks 32 --fill random --expect-data want.data
mkdir mnt
difs_mount img mnt
dd if=mnt/data of=first bs=512 skip=12 count=1 status=none || fail "first read of lba 12 failed"
dd if=/dev/zero of=mnt/metadata bs=8 seek=12 count=1 conv=notrunc status=none \
    || fail "zeroing the tuple of lba 12 failed"
expect_fail_msg "Input/output error" dd if=mnt/data of=/dev/null bs=512 skip=12 count=1
dd if=mnt/metadata of=tuple bs=8 skip=12 count=1 status=none
cmp tuple <(head -c 8 /dev/zero) || fail "metadata does not show the zeroed tuple"
difs_umount mnt
