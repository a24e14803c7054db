#!/usr/bin/env bash
# PRACT on type 2 writes reftag = base + LBA (48-bit with pif 2) and apptag = option apptag.
source "$(dirname "$0")/../lib.sh"

opts=logical_block_size=4096,pif=2,pi=2,reftag=0xfffffffffff0,apptag=0x42
gen create img -o "$opts" --blocks 32 --fill random --expect-data shadow
head -c 10000 /dev/urandom >src
mkdir mnt
difs_mount img mnt -o "$opts"
dd if=src of=mnt/data bs=10000 seek=70000 oflag=seek_bytes conv=notrunc status=none \
    || fail "write failed"
dd if=src of=shadow bs=10000 seek=70000 oflag=seek_bytes conv=notrunc status=none
difs_umount mnt
# lba 17 is rewritten: 0xfffffffffff0 + 17 wraps to 1 in 48 bits.
[[ $(gen tuple img -o "$opts" --lba 17) == "guard="*" apptag=0x0042 reftag=0x000000000001" ]] \
    || fail "lba 17 tuple: $(gen tuple img -o "$opts" --lba 17)"
gen verify img -o "$opts" --quiet --expect-data shadow || fail "PI or data wrong after the write"
