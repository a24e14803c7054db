#!/usr/bin/env bash
# SIGTERM to the daemon unmounts cleanly and it exits 0; the image is left consistent.
source "$(dirname "$0")/../lib.sh"

gen create img --blocks 16 --fill random --expect-data shadow
head -c 700 /dev/urandom >src
mkdir mnt
difs_mount img mnt
dd if=src of=mnt/data bs=700 seek=3000 oflag=seek_bytes conv=notrunc status=none \
    || fail "write failed"
dd if=src of=shadow bs=700 seek=3000 oflag=seek_bytes conv=notrunc status=none
kill -TERM "$(difs_pid mnt)"
difs_wait_exit mnt
gen verify img --quiet --expect-data shadow || fail "image not consistent after SIGTERM"
