#!/usr/bin/env bash
# A mountpoint already in use by another mount is refused, naming it; the first mount stays.
source "$(dirname "$0")/../lib.sh"

gen create img --blocks 16 --expect-data want.data
gen create img2 --blocks 16
mkdir mnt
difs_mount img mnt
expect_refused mnt mnt img2 mnt
(( $(mount_count mnt) == 1 )) || fail "mnt has $(mount_count mnt) mounts"
cmp mnt/data want.data || fail "the first mount no longer shows its image"
difs_umount mnt
