#!/usr/bin/env bash
# pi-status follows DESIGN section 3 exactly: format and policy lines, counts in order summing to
# blocks, one line per failing block in LBA order matching the independent checker, and
# failed-reads counting each read answered with EIO.
source "$(dirname "$0")/../lib.sh"

gen create img --blocks 64 --fill random --escape 5
gen corrupt img --lba 17 --field guard
gen corrupt img --lba 40 --field reftag --value 0
gen corrupt img --lba 41 --field reftag --value 0
mkdir mnt
difs_mount img mnt
cp mnt/pi-status status.txt
want_head="format: logical_block_size=512 ms=8 pi=1 pif=0 pil=0 layout=separate
policy: prchk=guard+ref pract=1 apptag=0x0000 appmask=0xffff reftag=0 errors=eio holes=deallocated
blocks: 64
ok: 60
unwritten: 0
escaped: 1
guard-errors: 1
apptag-errors: 0
reftag-errors: 2
failed-reads: 0"
[[ $(head -n 10 status.txt) == "$want_head" ]] \
    || { diff <(echo "$want_head") <(head -n 10 status.txt) >&2; fail "pi-status head differs"; }
assert_pi_status_sum mnt
# The block lines must equal the independent checker's, byte for byte and in LBA order.
gen verify img --prchk guard+ref --quiet >want.lines || true
tail -n +11 status.txt >got.lines
diff want.lines got.lines >&2 || fail "pi-status block lines differ from gen.py verify"
[[ $(sed -n 12p status.txt) == "lba 40: reftag error: stored 0x00000000 expected 0x00000028" ]] \
    || fail "line 12: $(sed -n 12p status.txt)"

expect_fail_msg "Input/output error" dd if=mnt/data of=/dev/null bs=512 skip=17 count=1
(( $(pi_status_value mnt failed-reads) == 1 )) || fail "failed-reads is not 1 after one EIO"
expect_fail_msg "Input/output error" dd if=mnt/data of=/dev/null bs=512 skip=40 count=1
(( $(pi_status_value mnt failed-reads) == 2 )) || fail "failed-reads is not 2 after two EIOs"
dd if=mnt/data of=/dev/null bs=512 skip=18 count=1 status=none || fail "lba 18 failed"
(( $(pi_status_value mnt failed-reads) == 2 )) || fail "a good read changed failed-reads"
difs_umount mnt
