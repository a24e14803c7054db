#!/usr/bin/env bash
# dd of whole blocks generates fresh PI (apptag 0, reftag = LBA) for exactly those blocks.
source "$(dirname "$0")/../lib.sh"

gen create img --blocks 64 --fill pattern --expect-data shadow
head -c $(( 10 * 512 )) /dev/urandom >src
mkdir mnt
difs_mount img mnt
dd if=src of=mnt/data bs=512 seek=7 conv=notrunc status=none || fail "whole-block write failed"
dd if=src of=shadow bs=512 seek=7 conv=notrunc status=none
dd if=mnt/data of=got bs=512 skip=7 count=10 status=none || fail "reading written blocks failed"
cmp got src || fail "written blocks read back differently"
difs_umount mnt
gen verify img --quiet --expect-data shadow || fail "PI or data wrong after the write"
[[ $(gen tuple img --lba 12) == "guard="*" apptag=0x0000 reftag=0x0000000c" ]] \
    || fail "lba 12 tuple: $(gen tuple img --lba 12)"
