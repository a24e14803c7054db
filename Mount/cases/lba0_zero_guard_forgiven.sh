#!/usr/bin/env bash
# QEMU parity: LBA 0 with all-zero data and a failing guard (a raw image's always-allocated first
# block, pif 2 where CRC-64 of zeros is not 0) reads as zeros; holes=check turns that off.
source "$(dirname "$0")/../lib.sh"

opts=logical_block_size=4096,ms=16,pif=2
gen create img -o "$opts" --blocks 8 --fill zero
# Zero the whole tuple of LBA 0 (what QEMU leaves for never-written metadata).
dd if=/dev/zero of=img bs=1 seek=$(( 8 * 4096 )) count=16 conv=notrunc status=none
mkdir mnt
difs_mount img mnt -o "$opts"
dd if=mnt/data of=block0 bs=4096 count=1 status=none || fail "lba 0 of zeros failed its guard"
cmp block0 <(head -c 4096 /dev/zero) || fail "lba 0 is not zeros"
difs_umount mnt
difs_mount img mnt -o "$opts,holes=check"
expect_fail_msg "Input/output error" dd if=mnt/data of=/dev/null bs=4096 count=1
difs_umount mnt
