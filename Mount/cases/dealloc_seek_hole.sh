#!/usr/bin/env bash
# SEEK_DATA/SEEK_HOLE on data find exactly the unwritten blocks (the generator's list): punched
# ranges, deallocated blocks that share a unit with written ones, a sparse image's holes; cp
# --sparse=always and tar --sparse copy the data exactly and keep the holes.
source "$(dirname "$0")/../lib.sh"

command -v fallocate >/dev/null || skip "no fallocate"
mkdir mnt
walk() {  # walk FILE: the holes SEEK_DATA/SEEK_HOLE find, `hole START END` per line
    python3 - "$1" <<'PY'
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
size, at = os.fstat(fd).st_size, 0
while at < size:
    try:
        data = os.lseek(fd, at, os.SEEK_DATA)
    except OSError:
        data = size
    if data > at:
        print(f"hole {at} {data}")
    if data >= size:
        break
    at = os.lseek(fd, data, os.SEEK_HOLE)
PY
}
for opts in "" "logical_block_size=4096,ms=16,pif=2" "layout=interleaved"; do
    lbs=$(sed -n 's/.*logical_block_size=\([0-9]*\).*/\1/p' <<<"$opts"); lbs=${lbs:-512}
    gen create img ${opts:+-o "$opts"} --blocks 256 --fill random --expect-data shadow
    difs_mount img mnt ${opts:+-o "$opts"}
    for range in "2 3" "40 100" "130 131" "250 256"; do  # first and end block of each punch
        read -r first end <<<"$range"
        fallocate --punch-hole --offset $(( first * lbs )) --length $(( (end - first) * lbs )) mnt/data \
            || fail "-o '$opts': punch $range failed"
        dd if=/dev/zero of=shadow bs="$lbs" seek="$first" count=$(( end - first )) conv=notrunc status=none
    done
    walk mnt/data >seen
    fusermount3 -u mnt && difs_wait_exit mnt
    gen holes img ${opts:+-o "$opts"} >want
    diff want seen || fail "-o '$opts': SEEK_DATA/SEEK_HOLE differ from the generator's holes"
    [[ $(wc -l <want) == 4 ]] || fail "-o '$opts': the generator found $(wc -l <want) holes, want 4"
    difs_mount img mnt ${opts:+-o "$opts"}
    walk mnt/data >seen.remount
    diff want seen.remount || fail "-o '$opts': after a remount SEEK_HOLE differs"
    rm -f copy
    cp --sparse=always mnt/data copy || fail "-o '$opts': cp --sparse=always failed"
    cmp copy shadow || fail "-o '$opts': the sparse copy differs"
    (( $(stat -c %b copy) * 512 < $(stat -c %s copy) )) || fail "-o '$opts': the copy is not sparse"
    tar --sparse -cf copy.tar -C mnt data || fail "-o '$opts': tar --sparse failed"
    mkdir -p untar && tar -xf copy.tar -C untar && cmp untar/data shadow || fail "-o '$opts': tar round trip differs"
    difs_umount mnt
    note "-o '${opts:-defaults}': $(tr '\n' ';' <want)"
done
