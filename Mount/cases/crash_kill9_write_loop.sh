#!/usr/bin/env bash
# Blocks are atomic across a daemon crash: a writer loops over deterministic whole-block writes
# of 1 to 2048 blocks (Mount/crashwrite.py: iteration K's blocks and contents are known) while the daemon is killed
# with SIGKILL, CRASH_KILLS times (default 20), each after a random number of completed writes
# (bash RANDOM with a fixed seed). After every kill the image is remounted: every block must read
# (no failing block, pi-status 0 failing) and hold its old or its new contents (never torn, never
# zeros); at the end difs check reports 0 failing blocks and gen.py verifies every tuple.
# timeout: 900
source "$(dirname "$0")/../lib.sh"

kills=${CRASH_KILLS:-20}
blocks=4096
RANDOM=4242
gen create img --blocks "$blocks" --fill random --seed 9 --expect-data known.data
mkdir mnt
next=1
hit_in_flight=0
for (( cycle = 1; cycle <= kills; cycle++ )); do
    difs_mount img mnt
    pid=$(difs_pid mnt)
    log=writer.$cycle.log
    : >"$log"
    python3 "$MOUNT_LIB_DIR/crashwrite.py" write mnt/data "$log" 512 "$blocks" "$next" &
    writer=$!
    target=$(( RANDOM % 20 + 1 ))
    enough() { (( $(grep -c '^done' "$log") >= target )) || ! kill -0 "$writer" 2>/dev/null; }
    wait_until 60 enough || fail "cycle $cycle: the writer did not complete $target writes"
    kill -KILL "$pid"
    wait "$pid" 2>/dev/null || true
    unset "DIFS_PID[$(realpath mnt)]"
    rc=0; wait "$writer" || rc=$?
    (( rc == 3 )) || fail "cycle $cycle: the writer exited $rc, want 3 (a write failing once the daemon died)"
    fusermount3 -u -z mnt 2>/dev/null || umount -l mnt
    wait_until "$DEADLINE_SECONDS" not_mounted mnt || fail "cycle $cycle: mnt still mounted after the kill"

    difs_mount img mnt
    out=$(python3 "$MOUNT_LIB_DIR/crashwrite.py" check mnt/data known.data "$log" 512 "$blocks") \
        || fail "cycle $cycle (kill after $target writes): a block is torn or failing after the crash"
    failing=$(( $(pi_status_value mnt guard-errors) + $(pi_status_value mnt apptag-errors) + $(pi_status_value mnt reftag-errors) ))
    (( failing == 0 )) || { grep '^lba ' mnt/pi-status | head >&2; fail "cycle $cycle: $failing blocks fail after the crash"; }
    read -r next detail <<<"$out"
    [[ $detail == in-flight=- ]] || hit_in_flight=$(( hit_in_flight + 1 ))
    note "cycle $cycle: killed after $target writes; $detail"
    difs_umount mnt
done
rc=0; "$DIFS" check img >report || rc=$?
(( rc == 0 )) || { grep -v '^lba ' report >&2; fail "difs check after $kills kills exited $rc, want 0 failing blocks"; }
gen verify img --expect-data known.data --quiet || fail "gen.py verify disagrees after $kills kills"
note "$kills kills, $hit_in_flight with a write in flight; difs check: $(grep '^ok: ' report)"
