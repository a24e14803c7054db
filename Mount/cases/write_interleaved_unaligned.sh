#!/usr/bin/env bash
# Unaligned writes on an interleaved 4096+32 pil=1 pif 2 image land at the right place and keep
# every tuple valid.
source "$(dirname "$0")/../lib.sh"

opts=logical_block_size=4096,ms=32,pil=1,pif=2,layout=interleaved
gen create img -o "$opts" --blocks 20 --fill random --expect-data shadow
head -c 9000 /dev/urandom >src
mkdir mnt
difs_mount img mnt -o "$opts"
dd if=src of=mnt/data bs=9000 seek=12345 oflag=seek_bytes conv=notrunc status=none \
    || fail "write failed"
dd if=src of=shadow bs=9000 seek=12345 oflag=seek_bytes conv=notrunc status=none
cmp mnt/data shadow || fail "data differs from the shadow copy while mounted"
difs_umount mnt
gen verify img -o "$opts" --quiet --expect-data shadow || fail "PI or data wrong after the write"
