#!/usr/bin/env bash
# Type 2 checks reftag = base + LBA: the image reads with its base, and a mount with another base
# fails the first block with EIO and lists every block as a reftag error.
source "$(dirname "$0")/../lib.sh"

gen create img --pi 2 --reftag 5000 --blocks 32 --fill random --expect-data want.data
mkdir mnt
difs_mount img mnt -o pi=2,reftag=5000
cmp mnt/data want.data || fail "type 2 image with its own base does not read"
difs_umount mnt
difs_mount img mnt -o pi=2,reftag=5001
expect_fail_msg "Input/output error" dd if=mnt/data of=/dev/null bs=512 count=1
(( $(pi_status_value mnt reftag-errors) == 32 )) || fail "reftag-errors is not 32"
difs_umount mnt
