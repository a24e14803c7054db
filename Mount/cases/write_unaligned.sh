#!/usr/bin/env bash
# Unaligned writes (100 bytes at byte 1000, 3000 bytes across four blocks) merge into the old
# blocks and regenerate their PI.
source "$(dirname "$0")/../lib.sh"

opts=ms=16,pil=0
gen create img -o "$opts" --blocks 64 --fill random --expect-data shadow --expect-metadata before.md
head -c 100 /dev/urandom >src100
head -c 3000 /dev/urandom >src3000
mkdir mnt
difs_mount img mnt -o "$opts"
dd if=src100 of=mnt/data bs=100 seek=1000 oflag=seek_bytes conv=notrunc status=none \
    || fail "100-byte write at 1000 failed"
dd if=src100 of=shadow bs=100 seek=1000 oflag=seek_bytes conv=notrunc status=none
dd if=src3000 of=mnt/data bs=3000 seek=20001 oflag=seek_bytes conv=notrunc status=none \
    || fail "3000-byte write at 20001 failed"
dd if=src3000 of=shadow bs=3000 seek=20001 oflag=seek_bytes conv=notrunc status=none
cmp mnt/data shadow || fail "data differs from the shadow copy while mounted"
# The 8 metadata bytes in front of each 16-byte metadata's tuple are kept by PI generation.
prefixes() {
    python3 -c 'import sys; md = open(sys.argv[1], "rb").read()
sys.stdout.buffer.write(b"".join(md[i:i + 8] for i in range(0, len(md), 16)))' "$1"
}
prefixes mnt/metadata >got.prefixes
prefixes before.md >want.prefixes
cmp got.prefixes want.prefixes || fail "metadata bytes outside the tuple changed"
difs_umount mnt
gen verify img -o "$opts" --quiet --expect-data shadow || fail "PI or data wrong after the writes"
