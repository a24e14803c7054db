#!/usr/bin/env bash
# A flipped data bit in a 4096+16 interleaved pif 2 image is a guard error (64-bit CRC) at that
# block only; reads stop exactly before it.
source "$(dirname "$0")/../lib.sh"

opts=logical_block_size=4096,ms=16,pif=2,layout=interleaved
gen create img -o "$opts" --blocks 24 --fill random --expect-data want.data
gen corrupt img -o "$opts" --lba 9 --field data --byte-offset 4000
# The expected data carries the same flipped bit: dd conv=noerror,sync zeroes that block anyway.
mkdir mnt
difs_mount img mnt -o "$opts"
assert_bad_block_reads mnt 4096 24 9 guard want.data
difs_umount mnt
