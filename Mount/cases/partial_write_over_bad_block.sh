#!/usr/bin/env bash
# A partial-block write over a block that fails its check fails with EIO and changes nothing (no
# laundering of corrupt bytes); a whole-block write over it succeeds and repairs it.
source "$(dirname "$0")/../lib.sh"

gen create img --blocks 32 --fill random --expect-data shadow
gen corrupt img --lba 9 --field guard
cp img img.before
head -c 512 /dev/urandom >src
mkdir mnt
difs_mount img mnt
expect_fail_msg "Input/output error" \
    dd if=src of=mnt/data bs=100 count=1 seek=$(( 9 * 512 + 50 )) oflag=seek_bytes conv=notrunc
difs_umount mnt
cmp img img.before || fail "the failed partial write changed the image"

difs_mount img mnt
dd if=src of=mnt/data bs=512 seek=9 count=1 conv=notrunc status=none \
    || fail "whole-block write over the bad block failed"
dd if=src of=shadow bs=512 seek=9 count=1 conv=notrunc status=none
cmp mnt/data shadow || fail "data differs after the repair"
! grep "^lba " mnt/pi-status || fail "pi-status still lists failing blocks"
difs_umount mnt
gen verify img --quiet --expect-data shadow || fail "PI or data wrong after the repair"
