#!/usr/bin/env bash
# fio random writes with O_DIRECT (4 KiB) and buffered unaligned (1536-byte) blocks verify their
# own data, and every block's PI is valid after unmount.
source "$(dirname "$0")/../lib.sh"

command -v fio >/dev/null || skip "no fio"
gen create img --blocks 4096 --fill random
mkdir mnt
difs_mount img mnt
fio --name=direct --filename=mnt/data --rw=randwrite --bs=4k --size=1M --verify=crc32c \
    --direct=1 --ioengine=psync >fio-direct.out 2>&1 \
    || { tail -n 20 fio-direct.out >&2; fail "fio with O_DIRECT failed"; }
fio --name=unaligned --filename=mnt/data --rw=randwrite --bs=1536 --offset=1M --size=1M \
    --verify=md5 --ioengine=psync >fio-unaligned.out 2>&1 \
    || { tail -n 20 fio-unaligned.out >&2; fail "fio with 1536-byte blocks failed"; }
! grep "^lba " mnt/pi-status || fail "pi-status lists failing blocks"
difs_umount mnt
gen verify img --quiet || fail "PI wrong after fio"
