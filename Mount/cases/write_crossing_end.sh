#!/usr/bin/env bash
# A write that crosses the end of data is cut short at the end (as on a block device).
source "$(dirname "$0")/../lib.sh"

gen create img --blocks 16 --fill pattern --expect-data shadow
head -c 1024 /dev/urandom >src
mkdir mnt
difs_mount img mnt
# One pwrite(2) of 1024 bytes at 512 before the end must return 512.
written=$(python3 -c '
import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY)
print(os.pwrite(fd, open(sys.argv[2], "rb").read(), int(sys.argv[3])))' mnt/data src $(( 15 * 512 ))) \
    || fail "pwrite crossing the end failed"
(( written == 512 )) || fail "pwrite crossing the end wrote $written bytes, want 512"
(( $(file_size mnt/data) == 16 * 512 )) || fail "data size changed"
dd if=src of=shadow bs=512 seek=15 count=1 conv=notrunc status=none
cmp mnt/data shadow || fail "data differs from the shadow copy"
difs_umount mnt
gen verify img --quiet --expect-data shadow || fail "PI or data wrong after the write"
