#!/usr/bin/env bash
# fallocate --zero-range on data (Write Zeroes, PRACT), for 512+8, 4096+16 pif=2, 512+16 pil=0
# (prefix) and the interleaved layout, over a written and over a sparse image: every block reads
# zeros and carries the tuple the generator computes for a write of zeros (guard over the real
# block size and metadata prefix); edge blocks keep their other bytes; the blocks stay data.
source "$(dirname "$0")/../lib.sh"

command -v fallocate >/dev/null || skip "no fallocate"
mkdir mnt
for opts in "" "logical_block_size=4096,ms=16,pif=2" "ms=16,pil=0" "layout=interleaved"; do
    lbs=$(sed -n 's/.*logical_block_size=\([0-9]*\).*/\1/p' <<<"$opts"); lbs=${lbs:-512}
    for fill in "--fill random" "--unwritten"; do
        gen create img ${opts:+-o "$opts"} --blocks 64 $fill --expect-data shadow
        difs_mount img mnt ${opts:+-o "$opts"}
        start=$(( 3 * lbs + 100 )) length=$(( 47 * lbs + 100 ))
        fallocate --zero-range --offset $start --length $length mnt/data \
            || fail "-o '$opts' $fill: zero-range failed"
        dd if=/dev/zero of=shadow bs=1 seek=$start count=$length conv=notrunc status=none
        cmp mnt/data shadow || fail "-o '$opts' $fill: data differs from the shadow copy"
        ! grep "^lba " mnt/pi-status || fail "-o '$opts' $fill: pi-status lists failing blocks"
        python3 - mnt/data $(( 4 * lbs )) $(( 50 * lbs )) <<'PY' || fail "-o '$opts' $fill: zeroed blocks are a hole"
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
start, end = int(sys.argv[2]), int(sys.argv[3])
# Zeroed blocks are written: SEEK_HOLE from their start goes past them.
sys.exit(0 if os.lseek(fd, start, os.SEEK_HOLE) >= end else 1)
PY
        difs_umount mnt
        gen verify img ${opts:+-o "$opts"} --quiet --expect-data shadow --expect-zeroed 4-49 \
            || fail "-o '$opts' $fill: the generator disagrees after the zero-range"
        note "-o '${opts:-defaults}' $fill: 46 blocks zeroed with PRACT tuples, edges kept"
    done
done
