#!/usr/bin/env bash
# fsync on data and metadata succeeds (it flushes the image), and written data is in the image
# file before unmount.
source "$(dirname "$0")/../lib.sh"

gen create img --blocks 16 --fill random --expect-data shadow
head -c 512 /dev/urandom >src
mkdir mnt
difs_mount img mnt
dd if=src of=mnt/data bs=512 seek=2 count=1 conv=notrunc,fsync status=none \
    || fail "write with fsync failed"
dd if=src of=shadow bs=512 seek=2 count=1 conv=notrunc status=none
dd if=mnt/metadata of=md bs=8 count=1 status=none
dd if=md of=mnt/metadata bs=8 count=1 conv=notrunc,fsync status=none || fail "metadata fsync failed"
cmp <(head -c $(( 16 * 512 )) img) shadow || fail "the image file lacks the write before unmount"
difs_umount mnt
gen verify img --quiet --expect-data shadow || fail "image not valid"
