#!/usr/bin/env bash
# libfuse's request-loop options, under libfuse's names: -o max_threads=N caps the workers,
# -o max_idle_threads=N and -o clone_fd mount and serve; bad values and a loop option with -s
# are refused before mounting; none of them makes libfuse print anything.
source "$(dirname "$0")/../lib.sh"

gen create img --blocks 4096 --fill random --expect-data want.data
mkdir mnt

expect_refused max_threads mnt img mnt -o max_threads=0
expect_refused max_threads mnt img mnt -o max_threads=100001
expect_refused max_idle_threads mnt img mnt -o max_idle_threads=some
expect_refused clone_fd mnt img mnt -o clone_fd=1
expect_refused max_threads mnt img mnt -s -o max_threads=2

# serve_and_check ARGS...: mount, four concurrent readers, compare, count the daemon's threads at
# their busiest (into $peak_threads), unmount, require a quiet stderr.
serve_and_check() {
    difs_mount img mnt "$@"
    local pid; pid=$(difs_pid mnt)
    local i readers=()
    for i in 1 2 3 4; do
        dd if=mnt/data of="got.$i" bs=4k iflag=direct status=none &
        readers+=($!)
    done
    peak_threads=0
    while kill -0 "${readers[@]}" 2>/dev/null; do
        local n; n=$(ls "/proc/$pid/task" | wc -l)
        (( n > peak_threads )) && peak_threads=$n
        sleep 0.01
    done
    for i in 1 2 3 4; do
        wait "${readers[i - 1]}" || fail "reader $i failed with $*"
        cmp "got.$i" want.data || fail "reader $i got other bytes with $*"
    done
    difs_umount mnt
    if grep -v '^difs: ' "$(difs_log mnt)" | grep -q .; then
        sed 's/^/  stderr: /' "$(difs_log mnt)" >&2
        fail "libfuse printed something with $*"
    fi
}

# max_threads=1: the main thread (which only waits) and one worker, however many readers.
serve_and_check -o max_threads=1
note "max_threads=1: at most $peak_threads threads"
(( peak_threads <= 2 )) || fail "max_threads=1 ran $peak_threads threads, want at most 2"
serve_and_check -o max_threads=2,max_idle_threads=0
serve_and_check -o clone_fd
serve_and_check -s
