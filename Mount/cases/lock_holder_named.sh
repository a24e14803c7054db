#!/usr/bin/env bash
# Lock contention names the holder: a read-only mount (pid, command line, "read-only mount"), a
# read-write mount ("mount"), and a bare `flock -s` (its command line). Readers share: a second
# read-only mount and difs check run beside a read-only mount; a writer excludes everyone.
source "$(dirname "$0")/../lib.sh"

"$DIFS" create img --blocks 16 --fill pattern >/dev/null || fail "create failed"
sha_before=$(sha256sum <img)
mkdir ro1 ro2 rw
difs_mount img ro1 -o ro
pid=$(difs_pid ro1)
expect_fail_msg "difs inject: img: in use by pid $pid (" "$DIFS" inject img --lba 1 --field guard
grep -qF ", read-only mount)" "$CASE_DIR/.stderr" || fail "inject does not say read-only mount: $(cat "$CASE_DIR/.stderr")"
grep -qF "img $(realpath ro1) -f -o ro" "$CASE_DIR/.stderr" || grep -qF "img ro1 -f -o ro" "$CASE_DIR/.stderr" \
    || fail "inject does not show the holder's command line: $(cat "$CASE_DIR/.stderr")"
expect_refused "img: in use by pid $pid (" rw img rw
expect_fail_msg "difs create: img: in use by pid $pid (" "$DIFS" create img --blocks 8 --force
expect_fail_msg "difs check: img: in use by pid $pid (" "$DIFS" check img --repair --yes
# Readers share.
"$DIFS" check img >/dev/null || fail "check beside a read-only mount failed"
difs_mount img ro2 -o ro
cmp ro1/data ro2/data || fail "two read-only mounts differ"
difs_umount ro2
difs_umount ro1

# A read-write mount excludes readers too, and says it is a mount.
difs_mount img rw
pid=$(difs_pid rw)
expect_fail_msg "difs check: img: in use by pid $pid (" "$DIFS" check img
grep -qF ", mount)" "$CASE_DIR/.stderr" || fail "check does not say mount: $(cat "$CASE_DIR/.stderr")"
expect_refused "img: in use by pid $pid (" ro1 img ro1 -o ro
difs_umount rw

# Another program: a bare flock -s holds it; its command line is shown.
flock -s img sleep 600 &
flock_pid=$!
holding() { ! flock -n -x img true; }
wait_until "$DEADLINE_SECONDS" holding || fail "flock -s did not take the lock"
expect_fail_msg "difs inject: img: in use by pid $flock_pid (flock -s img sleep 600)" "$DIFS" inject img --lba 1 --field guard
expect_refused "img: in use by pid $flock_pid (flock -s img sleep 600)" rw img rw
"$DIFS" check img >/dev/null || fail "check beside a shared flock failed"
for child in $(cat "/proc/$flock_pid/task/$flock_pid/children"); do kill "$child"; done
wait "$flock_pid" || true
[[ $(sha256sum <img) == "$sha_before" ]] || fail "a refused command changed the image"
"$DIFS" inject img --lba 1 --field guard >/dev/null || fail "inject once nobody holds the image failed"
