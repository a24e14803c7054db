#!/usr/bin/env bash
# 512+16 pif 2 sparse image: a 512-byte write keeps its unwritten neighbours in the same 4 KiB
# readable with the 16-byte all-0xFF tuple (CRC-64 of zeros is not 0, so zero PI would fail).
source "$(dirname "$0")/../lib.sh"

opts=ms=16,pif=2
gen create img -o "$opts" --unwritten --blocks 64 --expect-data shadow
head -c 512 /dev/urandom >src
mkdir mnt
difs_mount img mnt -o "$opts"
dd if=src of=mnt/data bs=512 seek=2 count=1 conv=notrunc status=none || fail "write failed"
dd if=src of=shadow bs=512 seek=2 count=1 conv=notrunc status=none
cmp mnt/data shadow || fail "data differs from the shadow copy (or a neighbour failed)"
difs_umount mnt
gen verify img -o "$opts" --quiet --expect-data shadow || fail "image not valid after the write"
for lba in 0 1 3 4 5 6 7; do
    [[ $(gen tuple img -o "$opts" --lba $lba) == \
        "guard=0xffffffffffffffff apptag=0xffff reftag=0xffffffffffff" ]] \
        || fail "lba $lba tuple: $(gen tuple img -o "$opts" --lba $lba)"
done
