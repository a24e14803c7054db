#!/usr/bin/env bash
# A sparse image in /dev/shm (tmpfs, where test suites keep images; made by truncate as qemu-img
# does): unaligned and whole-block writes through difs read back, the unwritten blocks around them
# read as zeros, and the image verifies after unmount. tmpfs answers holes by walking its pages:
# difs reads them once, at mount, into its allocation map.
source "$(dirname "$0")/../lib.sh"

[ -d /dev/shm ] && [ -w /dev/shm ] || skip "no writable /dev/shm"
shm=$(mktemp -d /dev/shm/difs-case.XXXXXX)
# The image may still be open by the daemon: unlinking it is fine, cleanup then unmounts.
trap 'rc=$?; rm -rf "$shm"; (exit $rc); cleanup' EXIT
img="$shm/img"
opts=logical_block_size=4096,ms=8
truncate -s $((1024 * (4096 + 8))) "$img"
truncate -s $((1024 * 4096)) shadow
head -c $((300 * 4096)) /dev/urandom >src
mkdir mnt
difs_mount "$img" mnt -o $opts
# Whole blocks 100..399 in one go, then an unaligned write across blocks 600..602.
dd if=src of=mnt/data bs=4096 seek=100 conv=notrunc status=none || fail "whole-block write failed"
dd if=src of=shadow bs=4096 seek=100 conv=notrunc status=none
dd if=src of=mnt/data bs=1 skip=7 seek=$((600 * 4096 + 1234)) count=9000 conv=notrunc status=none \
    || fail "unaligned write failed"
dd if=src of=shadow bs=1 skip=7 seek=$((600 * 4096 + 1234)) count=9000 conv=notrunc status=none
# A second pass over part of the written range (a rewrite, not an allocation).
dd if=src of=mnt/data bs=4096 skip=10 seek=150 count=20 conv=notrunc status=none || fail "rewrite failed"
dd if=src of=shadow bs=4096 skip=10 seek=150 count=20 conv=notrunc status=none
cmp mnt/data shadow || fail "data differs from the shadow copy"
[ "$(pi_status_value mnt unwritten)" = $((1024 - 300 - 3)) ] \
    || fail "unwritten count $(pi_status_value mnt unwritten), want $((1024 - 303))"
assert_pi_status_sum mnt
difs_umount mnt
gen verify "$img" -o $opts --quiet --expect-data shadow || fail "image not valid after the writes"
# Mounted again, the map is read afresh from tmpfs: the same bytes.
difs_mount "$img" mnt -o $opts
cmp mnt/data shadow || fail "data differs after remount"
difs_umount mnt
