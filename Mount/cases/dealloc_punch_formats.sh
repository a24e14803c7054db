#!/usr/bin/env bash
# fallocate --punch-hole on data (Deallocate), for 512+8, 4096+16 pif=2, 512+16 pil=0 (prefix)
# and the interleaved layout: blocks wholly inside read as zeros and count as unwritten (in
# pi-status and for the generator), the partly covered edge blocks keep their other bytes and
# verify with a regenerated tuple, and no other block changes.
source "$(dirname "$0")/../lib.sh"

command -v fallocate >/dev/null || skip "no fallocate"
mkdir mnt
for opts in "" "logical_block_size=4096,ms=16,pif=2" "ms=16,pil=0" "layout=interleaved"; do
    lbs=$(sed -n 's/.*logical_block_size=\([0-9]*\).*/\1/p' <<<"$opts"); lbs=${lbs:-512}
    gen create img ${opts:+-o "$opts"} --blocks 64 --fill random --expect-data shadow
    difs_mount img mnt ${opts:+-o "$opts"}
    # Blocks 3 and 50 partly (from byte 100 of block 3, to byte 200 of block 50), 4-49 whole.
    start=$(( 3 * lbs + 100 )) length=$(( 47 * lbs + 100 ))
    fallocate --punch-hole --offset $start --length $length mnt/data || fail "-o '$opts': punch failed"
    dd if=/dev/zero of=shadow bs=1 seek=$start count=$length conv=notrunc status=none
    cmp mnt/data shadow || fail "-o '$opts': data after the punch differs from the shadow copy"
    (( $(pi_status_value mnt unwritten) == 46 )) || fail "-o '$opts': unwritten is not 46"
    (( $(pi_status_value mnt ok) == 18 )) || fail "-o '$opts': ok is not 18"
    assert_pi_status_sum mnt
    difs_umount mnt
    gen verify img ${opts:+-o "$opts"} --quiet --expect-data shadow --expect-unwritten 4-49 \
        || fail "-o '$opts': the generator disagrees after the punch"
    note "-o '${opts:-defaults}': 46 blocks deallocated, edges kept"
done
