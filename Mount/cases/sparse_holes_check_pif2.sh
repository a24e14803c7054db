#!/usr/bin/env bash
# holes=check with 64-bit guards: even LBA 0 of a fresh sparse image fails (CRC-64 of zeros is
# not 0), while the default holes=deallocated reads it as zeros.
source "$(dirname "$0")/../lib.sh"

opts=logical_block_size=4096,pif=2
gen create img -o "$opts" --unwritten --blocks 16
mkdir mnt
difs_mount img mnt -o "$opts,holes=check"
expect_fail_msg "Input/output error" dd if=mnt/data of=/dev/null bs=4096 count=1
difs_umount mnt
difs_mount img mnt -o "$opts"
dd if=mnt/data of=/dev/null bs=4096 status=none || fail "holes=deallocated failed a read"
difs_umount mnt
