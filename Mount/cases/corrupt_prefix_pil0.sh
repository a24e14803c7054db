#!/usr/bin/env bash
# With pil=0 the guard covers the metadata bytes in front of the tuple: a flipped prefix bit is a
# guard error at that block.
source "$(dirname "$0")/../lib.sh"

opts=ms=16,pil=0
gen create img -o "$opts" --blocks 40 --fill pattern --expect-data want.data
gen corrupt img -o "$opts" --lba 13 --field prefix --byte-offset 3
mkdir mnt
difs_mount img mnt -o "$opts"
assert_bad_block_reads mnt 512 40 13 guard want.data
difs_umount mnt
