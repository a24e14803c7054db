#!/usr/bin/env bash
# difs check --repair --yes regenerates the PI of exactly the failing blocks from their current
# data: the data is unchanged, the independent checker then passes, other blocks' metadata is
# untouched; without --yes it is refused and writes nothing; it is refused on a mounted image.
source "$(dirname "$0")/../lib.sh"

opts="ms=16,prchk=all"
gen create img -o "$opts" --blocks 64 --fill random --expect-data want.data --expect-metadata want.md
gen corrupt img -o "$opts" --lba 5 --field data
gen corrupt img -o "$opts" --lba 9 --field reftag
gen corrupt img -o "$opts" --lba 12 --field apptag
cp img before.img

expect_fail_msg "add --yes" "$DIFS" check img -o "$opts" --repair
cmp img before.img || fail "check --repair without --yes changed the image"

mkdir mnt
difs_mount img mnt -o "$opts"
expect_fail_msg "in use" "$DIFS" check img -o "$opts" --repair --yes
difs_umount mnt
cmp img before.img || fail "check --repair on a mounted image changed it"

rc=0; "$DIFS" check img -o "$opts" --repair --yes >report.txt 2>repair.err || rc=$?
(( rc == 0 )) || fail "check --repair --yes exited $rc, want 0: $(cat repair.err)"
grep -q "repaired 3 blocks" repair.err || fail "no 'repaired 3 blocks' note: $(cat repair.err)"
grep -q "^lba 5: guard error" report.txt || fail "the report before repair does not name lba 5"

"$DIFS" check img -o "$opts" >/dev/null || fail "difs check still finds failing blocks after --repair"
gen verify img -o "$opts" --quiet || fail "the independent checker finds failing blocks after --repair"
# Data is as it was (the corrupted byte of lba 5 stays: repair trusts the data); every block's
# data except lba 5 equals the generator's, and the metadata of untouched blocks is unchanged.
cmp <(dd if=before.img bs=512 count=64 status=none) <(dd if=img bs=512 count=64 status=none) \
    || fail "--repair changed data bytes"
for lba in 0 4 6 8 10 11 13 63; do
    cmp <(dd if=before.img bs=16 skip=$((2048 + lba)) count=1 status=none) \
        <(dd if=img bs=16 skip=$((2048 + lba)) count=1 status=none) || fail "--repair changed the metadata of lba $lba"
done
