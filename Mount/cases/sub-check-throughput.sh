#!/usr/bin/env bash
# difs check scans a 1 GiB image at 1 GB/s or more (page cache warm; a build under a debug/
# directory is only reported, not held to it), prints no progress line when stderr is not a
# terminal, and finds the one injected error at the end.
source "$(dirname "$0")/../lib.sh"

"$DIFS" create big --size 1G --fill random --seed 3 >/dev/null || fail "create of 1 GiB failed"
"$DIFS" inject big --lba $(( (1 << 21) - 1 )) --field reftag >/dev/null || fail "inject failed"
cat big >/dev/null  # warm the page cache: measure difs, not the disk
bytes=$(file_size big)
start=$(now_ns)
rc=0; "$DIFS" check big >report 2>check.err || rc=$?
elapsed=$(( $(now_ns) - start ))
(( rc == 1 )) || fail "check exited $rc, want 1"
grep -qx "lba 2097151: reftag error: stored 0x001ffffe expected 0x001fffff" report || fail "the last block's error is missing"
[[ ! -s check.err ]] || { cat check.err >&2; fail "check wrote to stderr that is not a terminal"; }
rate=$(( bytes * 1000 / elapsed ))  # MB/s
note "difs check: $bytes bytes in $(( elapsed / 1000000 )) ms = $rate MB/s"
if [[ $(realpath "$DIFS") == */debug/* ]]; then
    note "debug build: throughput reported, not required"
else
    (( rate >= 1000 )) || fail "check ran at $rate MB/s, want at least 1000"
fi
