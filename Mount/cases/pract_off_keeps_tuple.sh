#!/usr/bin/env bash
# With pract=0 a whole-block write stores the data and leaves the tuple as it was, so the block
# then fails its guard check.
source "$(dirname "$0")/../lib.sh"

gen create img --blocks 16 --fill random --expect-metadata want.md
head -c 512 /dev/urandom >src
mkdir mnt
difs_mount img mnt -o pract=0
dd if=src of=mnt/data bs=512 seek=4 count=1 conv=notrunc status=none || fail "write failed"
cmp mnt/metadata want.md || fail "pract=0 changed the metadata"
expect_fail_msg "Input/output error" dd if=mnt/data of=/dev/null bs=512 skip=4 count=1
grep -q "^lba 4: guard error" mnt/pi-status || fail "pi-status lacks lba 4 guard error"
difs_umount mnt
