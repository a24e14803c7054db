#!/usr/bin/env bash
# A partial write into an unwritten block merges with zeros and gives it valid PI.
source "$(dirname "$0")/../lib.sh"

gen create img --unwritten --blocks 64 --expect-data shadow
head -c 100 /dev/urandom >src
mkdir mnt
difs_mount img mnt
dd if=src of=mnt/data bs=100 seek=10000 oflag=seek_bytes conv=notrunc status=none \
    || fail "partial write into a hole failed"
dd if=src of=shadow bs=100 seek=10000 oflag=seek_bytes conv=notrunc status=none
cmp mnt/data shadow || fail "data differs (or a read failed)"
difs_umount mnt
gen verify img --quiet --expect-data shadow || fail "PI or data wrong"
[[ $(gen tuple img --lba 19) == "guard="*" apptag=0x0000 reftag=0x00000013" ]] \
    || fail "lba 19 tuple: $(gen tuple img --lba 19)"
