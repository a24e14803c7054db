#!/usr/bin/env bash
# In a written 4096+8 image, a block whose data is punched out (a hole) reads as zeros without a
# check and counts as unwritten; holes=check fails it.
source "$(dirname "$0")/../lib.sh"

command -v fallocate >/dev/null || skip "no fallocate"
opts=logical_block_size=4096
gen create img -o "$opts" --blocks 16 --fill random --expect-data want.data
fallocate -p -o $(( 5 * 4096 )) -l 4096 img || skip "cannot punch holes here"
zero_block want.data 4096 5
mkdir mnt
difs_mount img mnt -o "$opts"
cmp mnt/data want.data || fail "punched block does not read as zeros (or a read failed)"
(( $(pi_status_value mnt unwritten) == 1 )) || fail "unwritten is not 1"
assert_pi_status_sum mnt
difs_umount mnt
difs_mount img mnt -o "$opts,holes=check"
expect_fail_msg "Input/output error" dd if=mnt/data of=/dev/null bs=4096 skip=5 count=1
difs_umount mnt
