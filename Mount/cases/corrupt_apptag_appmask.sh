#!/usr/bin/env bash
# appmask selects the apptag bits that are compared: a difference outside the mask passes.
source "$(dirname "$0")/../lib.sh"

gen create img --blocks 16 --apptag 0x1234 --fill random --expect-data want.data
gen corrupt img --lba 5 --field apptag --value 0x12ff
mkdir mnt
difs_mount img mnt -o prchk=all,apptag=0x1234,appmask=0xff00
cmp mnt/data want.data || fail "apptag differing outside appmask failed a read"
difs_umount mnt
difs_mount img mnt -o prchk=all,apptag=0x1234,appmask=0xffff
expect_fail_msg "Input/output error" dd if=mnt/data of=/dev/null bs=512 skip=5 count=1
difs_umount mnt
