#!/usr/bin/env bash
# Interleaved 512+8 sparse image: a write into block 5 allocates the first 4 KiB of the file,
# which holds blocks 0-6 whole and block 7 in part; all stay readable in difs and on disk.
source "$(dirname "$0")/../lib.sh"

opts=layout=interleaved
gen create img -o "$opts" --unwritten --blocks 64 --expect-data shadow
head -c 512 /dev/urandom >src
mkdir mnt
difs_mount img mnt -o "$opts"
dd if=src of=mnt/data bs=512 seek=5 count=1 conv=notrunc status=none || fail "write failed"
dd if=src of=shadow bs=512 seek=5 count=1 conv=notrunc status=none
cmp mnt/data shadow || fail "data differs from the shadow copy (or a neighbour failed)"
difs_umount mnt
gen verify img -o "$opts" --quiet --expect-data shadow || fail "image not valid after the write"
difs_mount img mnt -o "$opts"
cmp mnt/data shadow || fail "data differs after remounting"
difs_umount mnt
