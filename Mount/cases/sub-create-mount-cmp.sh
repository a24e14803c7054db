#!/usr/bin/env bash
# An image from difs create --fill pattern (and --fill random) mounts clean and its data file reads
# back exactly the documented fill, rebuilt here in Python.
source "$(dirname "$0")/../lib.sh"

# expected_fill KIND SEED BYTES: the documented fill of a data file of BYTES bytes.
expected_fill() {
    python3 - "$@" <<'PY'
import struct, sys
kind, seed, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
M = (1 << 64) - 1
def splitmix64(k):
    z = (seed + (k + 1) * 0x9E3779B97F4A7C15) & M
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
    return z ^ (z >> 31)
word = (lambda k: 8 * k) if kind == "pattern" else splitmix64
sys.stdout.buffer.write(b"".join(struct.pack("<Q", word(k)) for k in range(size // 8)))
PY
}

mkdir mnt
for opts in "" "logical_block_size=4096,ms=16,pif=2" "logical_block_size=4096,ms=64,layout=interleaved"; do
    for kind in pattern random; do
        rm -f img
        seed_flags=() seed=0
        [[ $kind == random ]] && seed_flags=(--seed 7) seed=7
        "$DIFS" create img --size 1M --fill "$kind" "${seed_flags[@]}" ${opts:+-o "$opts"} >/dev/null \
            || fail "create -o '$opts' --fill $kind failed"
        expected_fill "$kind" "$seed" $(( 1 << 20 )) >want.data
        difs_mount img mnt ${opts:+-o "$opts"}
        (( $(file_size mnt/data) == 1 << 20 )) || fail "data is $(file_size mnt/data) bytes, want 1 MiB"
        cmp mnt/data want.data || fail "-o '$opts' --fill $kind: data differs from the documented fill"
        ! grep "^lba " mnt/pi-status || fail "pi-status lists failing blocks"
        difs_umount mnt
        note "create --fill $kind -o '${opts:-defaults}': mounted data matches"
    done
done
