#!/usr/bin/env bash
# A deterministic crash inside one write request: the daemon runs under strace, which kills it
# with SIGKILL on entry to its Nth pwrite64 (N = 1, 2, 3, 4: before the first write of the request,
# between its data and its metadata write, and after; whatever the daemon writes first). The
# daemon serves on one thread (-s), so strace's per-thread count is the request's. One 512 KiB
# write of all 1024 blocks through the mount (crashwrite.py iteration 9, one request); after a
# remount every block must
# read and hold its old or its new contents with a valid tuple, and difs check must report 0
# failing blocks.
# timeout: 300
source "$(dirname "$0")/../lib.sh"

command -v strace >/dev/null || { apt-get install -y -qq strace >/dev/null 2>&1 || true; }
command -v strace >/dev/null || skip "no strace (apt-get install strace)"

blocks=1024
mkdir mnt
killed_between=0
for n in 1 2 3 4; do
    rm -f img known.data writer.log
    gen create img --blocks "$blocks" --fill random --seed "$n" --expect-data known.data
    # The daemon under strace: only the injected signal, no trace output.
    strace -f -qq -o /dev/null -e trace=pwrite64 -e inject=pwrite64:signal=SIGKILL:when="$n" \
        "$DIFS" img "$(realpath mnt)" -f -s >"difs-strace.$n.log" 2>&1 &
    tracer=$!
    DIFS_PID[$(realpath mnt)]=$tracer
    DIFS_LOG[$(realpath mnt)]=difs-strace.$n.log
    wait_until "$DEADLINE_SECONDS" is_mounted mnt || fail "N=$n: not mounted under strace"
    : >writer.log
    rc=0; python3 "$MOUNT_LIB_DIR/crashwrite.py" write mnt/data writer.log 512 "$blocks" 9 9 || rc=$?
    if (( rc == 3 )); then
        wait "$tracer" 2>/dev/null || true
        fusermount3 -u -z mnt 2>/dev/null || umount -l mnt
        wait_until "$DEADLINE_SECONDS" not_mounted mnt || fail "N=$n: mnt still mounted after the kill"
        (( n == 2 )) && killed_between=1
        what="killed at pwrite64 #$n"
    else
        (( rc == 0 )) || fail "N=$n: the writer exited $rc"
        difs_umount mnt
        what="the request made fewer than $n pwrite64 calls; not killed"
    fi
    unset "DIFS_PID[$(realpath mnt)]"
    difs_mount img mnt
    out=$(python3 "$MOUNT_LIB_DIR/crashwrite.py" check mnt/data known.data writer.log 512 "$blocks") \
        || fail "N=$n ($what): a block of the interrupted request is torn or failing after the remount"
    failing=$(( $(pi_status_value mnt guard-errors) + $(pi_status_value mnt apptag-errors) + $(pi_status_value mnt reftag-errors) ))
    (( failing == 0 )) || { grep '^lba ' mnt/pi-status | head >&2; fail "N=$n ($what): $failing blocks fail after the remount"; }
    difs_umount mnt
    rc=0; "$DIFS" check img >report || rc=$?
    (( rc == 0 )) || fail "N=$n ($what): difs check exited $rc, want 0 failing blocks"
    note "N=$n: $what; ${out#* }"
done
(( killed_between == 1 )) || fail "no kill landed inside the request (pwrite64 #2 never reached)"
