#!/usr/bin/env bash
# Through a loop device over data (losetup --direct-io=on, the block size as sector size):
# blkdiscard deallocates (the blocks become unwritten) and blkdiscard -z writes zeroes (zeros with
# the tuples the generator computes), for 512+8 and 4096+16 pif=2; the rest stays as it was.
source "$(dirname "$0")/../lib.sh"

command -v losetup >/dev/null && command -v blkdiscard >/dev/null || skip "no losetup/blkdiscard"
mkdir mnt
for opts in "" "logical_block_size=4096,ms=16,pif=2"; do
    lbs=$(sed -n 's/.*logical_block_size=\([0-9]*\).*/\1/p' <<<"$opts"); lbs=${lbs:-512}
    gen create img ${opts:+-o "$opts"} --blocks 1024 --fill random --expect-data shadow
    difs_mount img mnt ${opts:+-o "$opts"}
    loop_attach_to dev mnt/data --direct-io=on --sector-size "$lbs"
    [[ $(cat /sys/block/"${dev#/dev/}"/queue/discard_max_bytes) != 0 ]] || fail "$dev offers no discard"
    blkdiscard --offset $(( 100 * lbs )) --length $(( 300 * lbs )) "$dev" || fail "-o '$opts': blkdiscard failed"
    blkdiscard --zeroout --offset $(( 500 * lbs )) --length $(( 200 * lbs )) "$dev" \
        || fail "-o '$opts': blkdiscard -z failed"
    dd if=/dev/zero of=shadow bs="$lbs" seek=100 count=300 conv=notrunc status=none
    dd if=/dev/zero of=shadow bs="$lbs" seek=500 count=200 conv=notrunc status=none
    cmp "$dev" shadow || fail "-o '$opts': the loop device reads differently from the shadow copy"
    loop_detach "$dev"
    cmp mnt/data shadow || fail "-o '$opts': data differs from the shadow copy"
    (( $(pi_status_value mnt unwritten) == 300 )) || fail "-o '$opts': unwritten is not 300"
    (( $(pi_status_value mnt ok) == 724 )) || fail "-o '$opts': ok is not 724"
    difs_umount mnt
    gen verify img ${opts:+-o "$opts"} --quiet --expect-data shadow --expect-unwritten 100-399 \
        --expect-zeroed 500-699 || fail "-o '$opts': the generator disagrees"
    note "-o '${opts:-defaults}': blkdiscard 300 blocks unwritten, blkdiscard -z 200 blocks zeroed"
done
