#!/usr/bin/env bash
# With pil=1 the guard covers the data only: changing a metadata byte after the tuple breaks
# nothing.
source "$(dirname "$0")/../lib.sh"

opts=ms=16,pil=1
gen create img -o "$opts" --blocks 40 --fill pattern --expect-data want.data
gen corrupt img -o "$opts" --lba 13 --field prefix --byte-offset 3
mkdir mnt
difs_mount img mnt -o "$opts"
cmp mnt/data want.data || fail "data differs or a read failed"
! grep "^lba " mnt/pi-status || fail "pi-status lists failing blocks"
difs_umount mnt
