#!/usr/bin/env bash
# A punch or zero-range that covers a failing block only in part fails with EIO and changes no
# byte of the image (no laundering); a punch covering the failing block whole deallocates it, and
# a zero-range covering it whole rewrites it with a valid tuple.
source "$(dirname "$0")/../lib.sh"

command -v fallocate >/dev/null || skip "no fallocate"
mkdir mnt
gen create img --blocks 64 --fill random --expect-data shadow
gen corrupt img --lba 20 --field data --byte-offset 300 >/dev/null
cp img img.before
difs_mount img mnt
for mode in --punch-hole --zero-range; do
    # Block 20 is the tail edge: bytes 0-199 of it are covered.
    expect_fail_msg "Input/output error" fallocate $mode --offset $(( 10 * 512 )) --length $(( 10 * 512 + 200 )) mnt/data
    # ... and the head edge: from byte 100 of it.
    expect_fail_msg "Input/output error" fallocate $mode --offset $(( 20 * 512 + 100 )) --length $(( 10 * 512 )) mnt/data
done
fsync_ok=$(dd if=mnt/data of=/dev/null bs=512 count=1 status=none && echo yes)
[[ $fsync_ok == yes ]] || fail "lba 0 unreadable"
cmp img img.before || fail "a refused partial punch or zero changed the image"
grep -q "^lba 20: guard error" mnt/pi-status || fail "lba 20 is not reported as failing"
# Whole: the punch deallocates the failing block.
fallocate --punch-hole --offset $(( 20 * 512 )) --length 512 mnt/data || fail "whole punch over lba 20 failed"
dd if=mnt/data of=got bs=512 skip=20 count=1 status=none || fail "deallocated lba 20 does not read"
cmp got <(head -c 512 /dev/zero) || fail "deallocated lba 20 is not zeros"
(( $(pi_status_value mnt unwritten) == 1 )) || fail "unwritten is not 1"
(( $(pi_status_value mnt guard-errors) == 0 )) || fail "guard-errors is not 0"
difs_umount mnt
gen verify img --quiet --expect-unwritten 20 || fail "the generator disagrees: lba 20 not unwritten"

# Whole zero-range over a failing block: zeros with a valid tuple.
gen corrupt img --lba 30 --field guard >/dev/null
difs_mount img mnt
fallocate --zero-range --offset $(( 30 * 512 )) --length 512 mnt/data || fail "whole zero-range over lba 30 failed"
difs_umount mnt
gen verify img --quiet --expect-zeroed 30 || fail "lba 30 not zeroed with a PRACT tuple"
