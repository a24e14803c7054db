#!/usr/bin/env bash
# With pract=0, fallocate --zero-range zeroes the data and leaves every metadata byte alone (as
# the seed's Write Zeroes without PRACT; difs never unmaps for it): the zeroed blocks then fail
# against their old tuples, as after a pract=0 write of zeros.
source "$(dirname "$0")/../lib.sh"

command -v fallocate >/dev/null || skip "no fallocate"
gen create img --blocks 64 --fill random --expect-data shadow --expect-metadata want.md
mkdir mnt
difs_mount img mnt -o pract=0
fallocate --zero-range --offset $(( 10 * 512 )) --length $(( 20 * 512 )) mnt/data || fail "zero-range failed"
dd if=/dev/zero of=shadow bs=512 seek=10 count=20 conv=notrunc status=none
cmp mnt/metadata want.md || fail "metadata changed"
expect_fail_msg "Input/output error" dd if=mnt/data of=/dev/null bs=512 skip=10 count=1
(( $(pi_status_value mnt reftag-errors) + $(pi_status_value mnt guard-errors) == 20 )) || fail "not 20 failing blocks"
(( $(pi_status_value mnt unwritten) == 0 )) || fail "some block became unwritten"
difs_umount mnt
difs_mount img mnt -o prchk=none
cmp mnt/data shadow || fail "data differs from the shadow copy"
difs_umount mnt
