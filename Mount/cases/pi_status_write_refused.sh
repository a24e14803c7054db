#!/usr/bin/env bash
# pi-status cannot be written (EACCES), not even by root.
source "$(dirname "$0")/../lib.sh"

gen create img --blocks 16
mkdir mnt
difs_mount img mnt
expect_fail_msg "Permission denied" sh -c 'echo x >mnt/pi-status'
expect_fail_msg "Permission denied" dd if=/dev/zero of=mnt/pi-status bs=1 count=1 conv=notrunc
difs_umount mnt
