#!/usr/bin/env bash
# prchk=none checks nothing: corrupted guard, apptag and reftag all read.
source "$(dirname "$0")/../lib.sh"

gen create img --blocks 16 --fill random --expect-data want.data
gen corrupt img --lba 1 --field guard
gen corrupt img --lba 2 --field reftag
gen corrupt img --lba 3 --field apptag
mkdir mnt
difs_mount img mnt -o prchk=none
cmp mnt/data want.data || fail "prchk=none failed a read"
difs_umount mnt
