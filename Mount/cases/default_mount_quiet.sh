#!/usr/bin/env bash
# A default mount (libfuse's multi-threaded loop, as difs sets it up) prints nothing of libfuse's
# on stderr while it mounts, serves concurrent readers and unmounts: in particular not 3.14's
# `Ignoring invalid max threads value 4294967295 > max (100000).`
source "$(dirname "$0")/../lib.sh"

gen create img --blocks 2048 --fill random --expect-data want.data
mkdir mnt
difs_mount img mnt
# Four readers at once make the loop start workers of its own.
readers=()
for i in 1 2 3 4; do
    dd if=mnt/data of="got.$i" bs=4k iflag=direct status=none &
    readers+=($!)
done
for i in 1 2 3 4; do
    wait "${readers[i - 1]}" || fail "reader $i failed"
done
for i in 1 2 3 4; do
    cmp "got.$i" want.data || fail "reader $i got other bytes"
done
difs_umount mnt
log=$(difs_log mnt)
if grep -q "max threads" "$log"; then
    sed 's/^/  stderr: /' "$log" >&2
    fail "libfuse's max threads warning on stderr"
fi
if grep -v '^difs: ' "$log" | grep -q .; then
    sed 's/^/  stderr: /' "$log" >&2
    fail "stderr holds lines that are not difs's own"
fi
