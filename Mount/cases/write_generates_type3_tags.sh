#!/usr/bin/env bash
# PRACT on type 3 writes apptag = option apptag and reftag = option reftag; the rest still verify.
source "$(dirname "$0")/../lib.sh"

opts=pi=3,apptag=0xbeef,reftag=0x1234567
gen create img -o "$opts" --blocks 16 --fill pattern --expect-data shadow
head -c 1024 /dev/urandom >src
mkdir mnt
difs_mount img mnt -o "$opts"
dd if=src of=mnt/data bs=512 seek=3 count=2 conv=notrunc status=none || fail "write failed"
dd if=src of=shadow bs=512 seek=3 count=2 conv=notrunc status=none
difs_umount mnt
[[ $(gen tuple img --pi 3 --lba 4) == "guard="*" apptag=0xbeef reftag=0x01234567" ]] \
    || fail "lba 4 tuple: $(gen tuple img --pi 3 --lba 4)"
gen verify img -o "$opts" --quiet --expect-data shadow || fail "PI or data wrong after the write"
