#!/usr/bin/env bash
# Eight writers each own a 64-byte slice of the same 16 blocks and rewrite it 40 times at once:
# the per-block lock must serialise the read-merge-regenerate of each partial write, so no slice
# is lost and every tuple is valid.
source "$(dirname "$0")/../lib.sh"

gen create img --blocks 32 --fill random --expect-data shadow
cat >writer.py <<'PY'
import os, sys
path, slot, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
fd = os.open(path, os.O_RDWR)
for r in range(rounds):
    fill = bytes([(slot * 16 + r) & 0xFF]) * 64
    for lba in range(16):
        if os.pwrite(fd, fill, lba * 512 + slot * 64) != 64:
            sys.exit(f"short write at lba {lba} slot {slot}")
os.close(fd)
PY
mkdir mnt
difs_mount img mnt
pids=()
for slot in 0 1 2 3 4 5 6 7; do
    python3 writer.py mnt/data "$slot" 40 & pids+=($!)
done
for pid in "${pids[@]}"; do
    wait "$pid" || fail "a writer failed"
done
python3 - shadow <<'PY'
import os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
for slot in range(8):
    for lba in range(16):
        os.pwrite(fd, bytes([(slot * 16 + 39) & 0xFF]) * 64, lba * 512 + slot * 64)
PY
cmp mnt/data shadow || fail "a concurrent partial write was lost (or a read failed)"
difs_umount mnt
gen verify img --quiet --expect-data shadow || fail "PI or data wrong after concurrent writes"
