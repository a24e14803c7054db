#!/usr/bin/env bash
# Builds difs, generates a small PI image, mounts it and shows what difs does: the three files, a
# checked read, a block corrupted through `metadata` failing with EIO, and the pi-status report.
# Installs missing packages first. Needs root (or a user allowed to use /dev/fuse).
set -euo pipefail
cd "$(dirname "$0")"
source scripts/deps.sh

swift build -c release 2>&1 | tail -n 1
difs="$(swift build -c release --show-bin-path)/difs"
work=$(mktemp -d /tmp/difs-demo.XXXXXX)
mnt="$work/mnt"
mkdir "$mnt"
cleanup() { mountpoint -q "$mnt" && fusermount3 -u "$mnt"; rm -rf "$work"; }
trap cleanup EXIT
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

# 8 MiB of 512-byte blocks with 8-byte PI (QEMU nvme-ns layout), written with random data.
step "$difs" create "$work/demo.img" --blocks 16384 -o pi=1 --fill random --seed 1
"$difs" create "$work/demo.img" --blocks 16384 -o pi=1 --fill random --seed 1
step "$difs" "$work/demo.img" "$mnt" -o pi=1
"$difs" "$work/demo.img" "$mnt" -o pi=1
step ls -l "$mnt"
ls -l "$mnt"
step dd if="$mnt/data" of=/dev/null bs=1M
dd if="$mnt/data" of=/dev/null bs=1M
step "dd if=$mnt/metadata bs=8 skip=42 count=1 | od -An -tx1        # the PI tuple of LBA 42: guard, apptag, reftag"
dd if="$mnt/metadata" bs=8 skip=42 count=1 status=none | od -An -tx1
step "printf '\\xde\\xad' | dd of=$mnt/metadata bs=1 seek=\$((42*8)) conv=notrunc   # break LBA 42's guard"
printf '\xde\xad' | dd of="$mnt/metadata" bs=1 seek=$((42 * 8)) conv=notrunc status=none
step dd if="$mnt/data" of=/dev/null bs=512 skip=42 count=1
dd if="$mnt/data" of=/dev/null bs=512 skip=42 count=1 || echo "(exit status $?: the corrupted block is refused)"
step "cat $mnt/data | wc -c        # cat stops exactly at the bad block: 42 * 512 = 21504"
{ cat "$mnt/data" || true; } | wc -c
step cat "$mnt/pi-status"
cat "$mnt/pi-status"
step fusermount3 -u "$mnt"
fusermount3 -u "$mnt"
echo "demo done: the image was $work/demo.img (removed)"
