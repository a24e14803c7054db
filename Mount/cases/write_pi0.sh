#!/usr/bin/env bash
# With pi=0 writes store the data and leave the metadata alone; nothing is checked.
source "$(dirname "$0")/../lib.sh"

gen create img --pi 0 --blocks 16 --fill random --expect-data shadow --expect-metadata want.md
head -c 1000 /dev/urandom >src
mkdir mnt
difs_mount img mnt -o pi=0
dd if=src of=mnt/data bs=1000 seek=333 oflag=seek_bytes conv=notrunc status=none || fail "write failed"
dd if=src of=shadow bs=1000 seek=333 oflag=seek_bytes conv=notrunc status=none
cmp mnt/data shadow || fail "data differs"
cmp mnt/metadata want.md || fail "pi=0 write changed the metadata"
difs_umount mnt
