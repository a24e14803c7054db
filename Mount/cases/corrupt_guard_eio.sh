#!/usr/bin/env bash
# A block whose guard tag is corrupted fails with EIO on its own; reads stop exactly before it.
source "$(dirname "$0")/../lib.sh"

gen create img --blocks 64 --fill random --expect-data want.data
gen corrupt img --lba 21 --field guard
mkdir mnt
difs_mount img mnt
assert_bad_block_reads mnt 512 64 21 guard want.data
difs_umount mnt
