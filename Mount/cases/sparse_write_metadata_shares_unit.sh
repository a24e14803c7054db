#!/usr/bin/env bash
# Separate layout, 63 blocks of 512+8: the data region ends mid-4-KiB, so the metadata region's
# first unit also holds the data of blocks 56-62. Writing block 0 (far away) allocates that unit
# with its tuple; blocks 56-62 must stay readable (unwritten tuple), in difs and on disk.
source "$(dirname "$0")/../lib.sh"

gen create img --unwritten --blocks 63 --expect-data shadow
head -c 512 /dev/urandom >src
mkdir mnt
difs_mount img mnt
dd if=src of=mnt/data bs=512 count=1 conv=notrunc status=none || fail "write failed"
dd if=src of=shadow bs=512 count=1 conv=notrunc status=none
for lba in 55 56 59 62; do
    dd if=mnt/data of=/dev/null bs=512 skip=$lba count=1 status=none || fail "lba $lba failed"
done
cmp mnt/data shadow || fail "data differs from the shadow copy (or a block failed)"
difs_umount mnt
gen verify img --quiet --expect-data shadow || fail "image not valid after the write"
