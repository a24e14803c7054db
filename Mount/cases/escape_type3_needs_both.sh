#!/usr/bin/env bash
# Type 3 escapes a block only when apptag is 0xffff AND reftag is all ones; apptag 0xffff alone
# still gets checked. Types 1/2 escape on apptag 0xffff alone.
source "$(dirname "$0")/../lib.sh"

gen create img --pi 3 --reftag 0x55 --blocks 16 --fill random --escape 2
gen corrupt img --pi 3 --lba 2 --field guard
gen corrupt img --pi 3 --lba 3 --field apptag --value 0xffff
gen corrupt img --pi 3 --lba 3 --field guard
mkdir mnt
difs_mount img mnt -o pi=3
dd if=mnt/data of=/dev/null bs=512 skip=2 count=1 status=none || fail "escaped lba 2 failed"
expect_fail_msg "Input/output error" dd if=mnt/data of=/dev/null bs=512 skip=3 count=1
difs_umount mnt

gen create img --pi 1 --blocks 16 --fill random
gen corrupt img --lba 3 --field apptag --value 0xffff
gen corrupt img --lba 3 --field guard
difs_mount img mnt
dd if=mnt/data of=/dev/null bs=512 skip=3 count=1 status=none || fail "type 1 apptag 0xffff not escaped"
difs_umount mnt
