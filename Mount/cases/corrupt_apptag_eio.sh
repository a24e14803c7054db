#!/usr/bin/env bash
# A corrupted application tag is checked only when prchk includes app: the default mount reads
# it, prchk=guard+app+ref and prchk=all fail that block with EIO.
source "$(dirname "$0")/../lib.sh"

gen create img --blocks 64 --fill random --expect-data want.data
gen corrupt img --lba 30 --field apptag
mkdir mnt

difs_mount img mnt
cmp mnt/data want.data || fail "default prchk (guard+ref) should not check the apptag"
difs_umount mnt

difs_mount img mnt -o prchk=guard+app+ref
assert_bad_block_reads mnt 512 64 30 apptag want.data
difs_umount mnt

difs_mount img mnt -o prchk=all
expect_fail_msg "Input/output error" dd if=mnt/data of=/dev/null bs=512 skip=30 count=1
grep -q "^lba 30: apptag error" mnt/pi-status || fail "pi-status lacks lba 30 apptag error"
difs_umount mnt
