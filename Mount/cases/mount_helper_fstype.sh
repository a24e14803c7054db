#!/usr/bin/env bash
# `mount -t fuse.difs IMAGE DIR -o pi=1` runs `mount.fuse3 IMAGE DIR -t fuse.difs -o rw,pi=1`,
# which finds difs on PATH, passes its own options (rw, dev, suid) along, and lets difs
# daemonize; umount ends the daemon.
#
# mount(8) itself cannot be used here with a PATH-only install: util-linux drops PATH from the
# helper's environment (sh then searches only /usr/local/bin, /usr/bin, ...), so the case calls
# the helper exactly as mount(8) does. mount_fstab_program_path.sh goes through mount(8).
source "$(dirname "$0")/../lib.sh"

helper=$(command -v mount.fuse3 || true)
[[ -n $helper ]] || skip "no mount.fuse3"
mkdir bin mnt
ln -s "$DIFS" bin/difs
gen create img --blocks 16 --expect-data want.data
track_mount mnt
PATH="$CASE_DIR/bin:$PATH" "$helper" "$CASE_DIR/img" "$CASE_DIR/mnt" -t fuse.difs -o rw,pi=1 \
    || fail "mount.fuse3 -t fuse.difs failed"
is_mounted mnt || fail "mount.fuse3 returned 0 but nothing is mounted on mnt"
[[ $(mount_fstype mnt) == fuse.difs ]] || fail "file system type is $(mount_fstype mnt)"
cmp mnt/data want.data || fail "data differs"
umount "$CASE_DIR/mnt" || fail "umount failed"
wait_until "$DEADLINE_SECONDS" not_mounted mnt || fail "still mounted after umount"
