#!/usr/bin/env bash
# Type 3 never checks the reference tag: a corrupted reftag reads fine, a corrupted guard fails.
source "$(dirname "$0")/../lib.sh"

gen create img --pi 3 --reftag 0x77 --blocks 32 --fill random --expect-data want.data
gen corrupt img --pi 3 --lba 4 --field reftag --value 0x12345
gen corrupt img --pi 3 --lba 6 --field guard
mkdir mnt
difs_mount img mnt -o pi=3
cmp -n $(( 6 * 512 )) mnt/data want.data || fail "blocks before the guard error differ"
expect_fail_msg "Input/output error" dd if=mnt/data of=/dev/null bs=512 skip=6 count=1
grep -q "^lba 6: guard error" mnt/pi-status || fail "pi-status lacks lba 6 guard error"
! grep -q "^lba 4:" mnt/pi-status || fail "pi-status lists lba 4 though type 3 has no reftag check"
difs_umount mnt
