#!/usr/bin/env bash
# A 512-byte write into a sparse image keeps the unwritten neighbours in the same 4 KiB readable
# (they get the all-0xFF tuple), in difs and after unmount in the on-disk image.
source "$(dirname "$0")/../lib.sh"

gen create img --unwritten --blocks 64 --expect-data shadow
head -c 512 /dev/urandom >src
mkdir mnt
difs_mount img mnt
dd if=src of=mnt/data bs=512 seek=5 count=1 conv=notrunc status=none || fail "write failed"
dd if=src of=shadow bs=512 seek=5 count=1 conv=notrunc status=none
for lba in 0 1 2 3 4 6 7 8; do
    dd if=mnt/data of=got bs=512 skip=$lba count=1 status=none || fail "neighbour lba $lba failed"
    cmp got <(head -c 512 /dev/zero) || fail "neighbour lba $lba is not zeros"
done
cmp mnt/data shadow || fail "data differs from the shadow copy"
difs_umount mnt
gen verify img --quiet --expect-data shadow || fail "image not valid after the write"
# Every neighbour whose data is now allocated must carry the unwritten (all 0xFF) tuple.
gen verify img --holes check --quiet >holes-check.txt || true
for lba in 0 1 2 3 4 6 7; do
    ! grep -q "^lba $lba:" holes-check.txt \
        || fail "lba $lba is allocated without the unwritten tuple: $(gen tuple img --lba $lba)"
done
[[ $(gen tuple img --lba 5) == "guard="*" apptag=0x0000 reftag=0x00000005" ]] \
    || fail "lba 5 tuple: $(gen tuple img --lba 5)"
