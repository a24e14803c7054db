#!/usr/bin/env bash
# The metadata file is raw: writing back the good tuple of a corrupted block repairs it at once.
source "$(dirname "$0")/../lib.sh"

gen create img --blocks 32 --fill random --expect-data want.data --expect-metadata want.md
gen corrupt img --lba 20 --field reftag --value 0
mkdir mnt
difs_mount img mnt
expect_fail_msg "Input/output error" dd if=mnt/data of=/dev/null bs=512 skip=20 count=1
dd if=want.md of=mnt/metadata bs=8 skip=20 seek=20 count=1 conv=notrunc status=none \
    || fail "writing the tuple back failed"
cmp mnt/data want.data || fail "data does not read after the tuple was restored"
cmp mnt/metadata want.md || fail "metadata differs"
difs_umount mnt
