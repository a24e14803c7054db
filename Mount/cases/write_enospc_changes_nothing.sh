#!/usr/bin/env bash
# A failed write changes nothing: a sparse image on a 2 MiB tmpfs that is nearly full; a 1 MiB
# write through the mount cannot get its space and must fail with ENOSPC, and afterwards every
# block reads exactly as before (compared with a snapshot of data and metadata taken through the
# mount), pi-status and difs check show the counts from before (no failing block), and a write
# that fits still succeeds.
source "$(dirname "$0")/../lib.sh"

mkdir small mnt
mount -t tmpfs -o size=2m difs-test small || skip "cannot mount a tmpfs"
# The tmpfs goes when the case ends (lazily: a killed daemon may still hold the image); the
# case's status is kept for cleanup.
trap 'status=$?; fusermount3 -u -z mnt 2>/dev/null || true; umount -l small 2>/dev/null || true; (exit $status) || cleanup; cleanup' EXIT
# 4 MiB of data in 8192 unwritten blocks, then a first write of 64 blocks, then a filler that
# leaves about 512 KiB free: less than the 1 MiB write (and its metadata) needs.
"$DIFS" create small/img --blocks 8192 --unwritten >/dev/null || fail "create failed"
difs_mount small/img mnt
head -c 32768 /dev/urandom >first
dd if=first of=mnt/data bs=32768 seek=10 conv=notrunc status=none || fail "the first write failed"
free_kib=$(df --output=avail -k small | tail -n 1)
head -c $(( (free_kib - 512) * 1024 )) /dev/zero >small/filler 2>/dev/null || true
note "tmpfs: $(df --output=avail -k small | tail -n 1) KiB free before the 1 MiB write"

cat mnt/data >before.data || fail "snapshot read of data failed"
cat mnt/metadata >before.md || fail "snapshot read of metadata failed"
grep -v '^failed-reads' mnt/pi-status >before.status

head -c 1048576 /dev/urandom >big
expect_fail_msg "No space left on device" dd if=big of=mnt/data bs=1M seek=1 count=1 conv=notrunc oflag=direct

cat mnt/data >after.data || fail "data no longer reads whole after the failed write"
cat mnt/metadata >after.md || fail "metadata no longer reads after the failed write"
cmp before.data after.data || fail "the failed write changed data (first difference above)"
cmp before.md after.md || fail "the failed write changed metadata (first difference above)"
grep -v '^failed-reads' mnt/pi-status >after.status
diff before.status after.status || fail "pi-status changed after the failed write"
grep -q '^failed-reads: 0$' mnt/pi-status || fail "a read failed its check after the failed write"

# Space freed: the same kind of write succeeds.
rm small/filler
dd if=big of=mnt/data bs=1M seek=1 count=1 conv=notrunc oflag=direct status=none || fail "the write failed with space free"
cmp <(dd if=mnt/data bs=1M skip=1 count=1 status=none) big || fail "the write with space free reads back differently"
difs_umount mnt
rc=0; "$DIFS" check small/img >report || rc=$?
(( rc == 0 )) || { grep -v '^lba ' report >&2; fail "difs check exited $rc, want 0 failing blocks"; }
