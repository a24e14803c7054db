#!/usr/bin/env bash
# -s (single-threaded request loop) mounts and serves reads and writes.
source "$(dirname "$0")/../lib.sh"

gen create img --blocks 64 --fill random --expect-data shadow
head -c 3000 /dev/urandom >src
mkdir mnt
difs_mount img mnt -s
dd if=src of=mnt/data bs=3000 seek=777 oflag=seek_bytes conv=notrunc status=none \
    || fail "write failed"
dd if=src of=shadow bs=3000 seek=777 oflag=seek_bytes conv=notrunc status=none
cmp mnt/data shadow || fail "data differs"
difs_umount mnt
gen verify img --quiet --expect-data shadow || fail "PI or data wrong"
