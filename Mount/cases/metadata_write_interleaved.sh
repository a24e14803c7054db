#!/usr/bin/env bash
# In an interleaved image the metadata file maps to the bytes after each block's data: writing
# one tuple there breaks exactly that block.
source "$(dirname "$0")/../lib.sh"

opts=layout=interleaved,ms=16,pil=1
gen create img -o "$opts" --blocks 32 --fill random --expect-data want.data --expect-metadata want.md
mkdir mnt
difs_mount img mnt -o "$opts"
cmp mnt/metadata want.md || fail "metadata differs"
dd if=/dev/zero of=mnt/metadata bs=16 seek=7 count=1 conv=notrunc status=none || fail "write failed"
assert_bad_block_reads mnt 512 32 7 guard want.data
difs_umount mnt
dd if=/dev/zero of=want.md bs=16 seek=7 count=1 conv=notrunc status=none
gen verify img -o "$opts" --quiet --expect-metadata want.md --expect-data want.data >verify.txt || true
[[ $(wc -l <verify.txt) == 1 && $(cat verify.txt) == "lba 7: guard error: "* ]] \
    || fail "on disk: $(cat verify.txt)"
