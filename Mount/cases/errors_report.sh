#!/usr/bin/env bash
# errors=report returns the data of a failing block without an error and still reports it.
source "$(dirname "$0")/../lib.sh"

gen create img --blocks 64 --fill random --expect-data want.data
gen corrupt img --lba 21 --field guard
mkdir mnt
difs_mount img mnt -o errors=report
dd if=mnt/data of=block bs=512 skip=21 count=1 status=none || fail "errors=report failed the read"
cmp mnt/data want.data || fail "errors=report: data differs or a read failed"
grep -q "^lba 21: guard error" mnt/pi-status || fail "pi-status lacks lba 21 guard error"
(( $(pi_status_value mnt guard-errors) == 1 )) || fail "guard-errors is not 1"
difs_umount mnt
