#!/usr/bin/env bash
# A block with the escape tuple (apptag 0xffff) is not checked, even with a broken guard, and the
# blocks after it are still checked.
source "$(dirname "$0")/../lib.sh"

gen create img --blocks 32 --fill random --escape 10 --expect-data want.data
gen corrupt img --lba 10 --field guard
gen corrupt img --lba 11 --field guard
mkdir mnt
difs_mount img mnt
dd if=mnt/data of=got bs=512 skip=10 count=1 status=none || fail "escaped lba 10 failed"
expect_fail_msg "Input/output error" dd if=mnt/data of=/dev/null bs=512 skip=11 count=1
(( $(pi_status_value mnt escaped) == 1 )) || fail "escaped is not 1"
(( $(pi_status_value mnt guard-errors) == 1 )) || fail "guard-errors is not 1"
assert_pi_status_sum mnt
difs_umount mnt
