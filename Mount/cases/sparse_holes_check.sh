#!/usr/bin/env bash
# holes=check checks unwritten blocks too: a fresh sparse image's blocks fail (zero tuple: reftag
# 0 is wrong for every LBA but 0, whose zero data has CRC-16 0), so cat stops after block 0.
source "$(dirname "$0")/../lib.sh"

gen create img --unwritten --blocks 64
mkdir mnt
difs_mount img mnt -o holes=check
expect_fail_msg "Input/output error" dd if=mnt/data of=/dev/null bs=512 skip=1 count=1
expect_fail_msg "Input/output error" dd if=mnt/data of=/dev/null bs=512 skip=40 count=1
expect_fail_msg -o cat.out "Input/output error" cat mnt/data
(( $(file_size cat.out) == 512 )) || fail "cat read $(file_size cat.out) bytes, want 512"
difs_umount mnt
