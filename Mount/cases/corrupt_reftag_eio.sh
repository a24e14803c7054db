#!/usr/bin/env bash
# A corrupted reference tag (type 1: reftag must equal the LBA) fails that block with EIO.
source "$(dirname "$0")/../lib.sh"

gen create img --blocks 64 --fill random --expect-data want.data
gen corrupt img --lba 47 --field reftag
mkdir mnt
difs_mount img mnt
assert_bad_block_reads mnt 512 64 47 reftag want.data
difs_umount mnt
