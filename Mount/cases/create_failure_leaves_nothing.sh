#!/usr/bin/env bash
# A failed `create` leaves nothing: EFBIG (a size beyond the file-size limit, and beyond ext4's
# maximum file size) and ENOSPC (a small tmpfs) leave no file, no temporary file, and with
# --force the old image exactly as it was.
source "$(dirname "$0")/../lib.sh"

# EFBIG from RLIMIT_FSIZE: the shell ignores SIGXFSZ so difs sees the error.
mkdir limited
expect_fail_msg "difs create: limited/img: File too large" \
    bash -c 'trap "" XFSZ; ulimit -f 1024; exec "$0" create limited/img --blocks 4096' "$DIFS"
[[ -z $(ls -A limited) ]] || fail "EFBIG (ulimit) left: $(ls -A limited)"

# EFBIG from the file system's own maximum (ext4: 16 TiB with 4 KiB blocks).
if [[ $(stat -f -c %T .) == ext2/ext3 ]]; then
    mkdir big
    expect_fail_msg "difs create: big/img: File too large" "$DIFS" create big/img --size 17T --unwritten
    [[ -z $(ls -A big) ]] || fail "EFBIG (ext4 maximum) left: $(ls -A big)"
else
    note "case directory is not on ext4: the file-system maximum is not tried"
fi

# ENOSPC on a 1 MiB tmpfs: a 2 MiB image cannot be written.
mkdir small
mount -t tmpfs -o size=1m difs-test small || skip "cannot mount a tmpfs"
# The tmpfs goes when the case ends (lazily: a killed daemon may still hold the image); the
# case's status is kept for cleanup.
trap 'status=$?; fusermount3 -u -z mnt 2>/dev/null || true; umount -l small 2>/dev/null || true; (exit $status) || cleanup; cleanup' EXIT
expect_fail_msg "difs create: small/img: " "$DIFS" create small/img --blocks 4096 --fill random
grep -qF "No space left on device" "$CASE_DIR/.stderr" || fail "the ENOSPC failure does not say so: $(cat "$CASE_DIR/.stderr")"
[[ -z $(ls -A small) ]] || fail "ENOSPC left: $(ls -A small)"

# With --force the old image stays exactly as it was.
"$DIFS" create small/img --blocks 256 --fill pattern >/dev/null || fail "a 130 KiB create failed"
sha_before=$(sha256sum <small/img)
expect_fail_msg "difs create: small/img: " "$DIFS" create small/img --blocks 4096 --fill random --force
[[ $(sha256sum <small/img) == "$sha_before" ]] || fail "a failed create --force changed the old image"
[[ $(ls -A small) == img ]] || fail "a failed create --force left: $(ls -A small)"
