#!/usr/bin/env bash
# mount(8) with the fstab form `mount -t fuse 'PROGRAM#IMAGE' DIR -o pi=1` (program by absolute
# path, as mount(8) gives its helper no PATH) mounts through mount.fuse3; umount ends the daemon.
source "$(dirname "$0")/../lib.sh"

[[ -x /sbin/mount.fuse || -x /usr/sbin/mount.fuse ]] || skip "no mount.fuse helper"
mkdir mnt
gen create img --blocks 16 --expect-data want.data
track_mount mnt
mount -t fuse "$DIFS#$CASE_DIR/img" "$CASE_DIR/mnt" -o pi=1 || fail "mount -t fuse failed"
is_mounted mnt || fail "mount returned 0 but nothing is mounted on mnt"
[[ $(mount_fstype mnt) == fuse.difs ]] || fail "file system type is $(mount_fstype mnt)"
cmp mnt/data want.data || fail "data differs"
umount "$CASE_DIR/mnt" || fail "umount failed"
wait_until "$DEADLINE_SECONDS" not_mounted mnt || fail "still mounted after umount"
