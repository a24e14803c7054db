#!/usr/bin/env bash
# ext4 on a loop device over data (losetup --direct-io=on): mkfs.ext4 discards the device, files
# are written and some removed, fstrim gives their blocks back through difs; afterwards e2fsck is
# clean, the files read back, and difs check and the generator find every tuple valid, with the
# trimmed blocks unwritten. For 512+8 and the interleaved layout (4096+16 pif=2).
source "$(dirname "$0")/../lib.sh"

for tool in losetup mkfs.ext4 fstrim e2fsck; do command -v $tool >/dev/null || skip "no $tool"; done
mkdir mnt fs
for opts in "" "logical_block_size=4096,ms=16,pif=2,layout=interleaved"; do
    lbs=$(sed -n 's/.*logical_block_size=\([0-9]*\).*/\1/p' <<<"$opts"); lbs=${lbs:-512}
    "$DIFS" create img --force --size 16M ${opts:+-o "$opts"} --fill random >/dev/null || fail "create failed"
    difs_mount img mnt ${opts:+-o "$opts"}
    loop_attach_to dev mnt/data --direct-io=on --sector-size "$lbs"
    mkfs.ext4 -q -F -E discard "$dev" || fail "-o '$opts': mkfs.ext4 failed"
    unwritten_after_mkfs=$(pi_status_value mnt unwritten)
    mount "$dev" fs || fail "-o '$opts': mounting ext4 failed"
    track_inner_mount fs
    for i in 1 2 3 4 5 6; do head -c $(( 3 << 19 )) /dev/urandom >fs/f$i || fail "writing f$i failed"; done
    sync
    sum_kept=$(cat fs/f1 fs/f3 fs/f5 | md5sum)
    rm fs/f2 fs/f4 fs/f6
    sync
    unwritten_before_trim=$(pi_status_value mnt unwritten)
    fstrim -v fs || fail "-o '$opts': fstrim failed"
    unwritten_after_trim=$(pi_status_value mnt unwritten)
    note "-o '${opts:-defaults}': unwritten after mkfs $unwritten_after_mkfs, before fstrim $unwritten_before_trim, after $unwritten_after_trim"
    (( unwritten_after_trim >= unwritten_before_trim + (9 << 19) / lbs - 64 )) \
        || fail "-o '$opts': fstrim deallocated too little"
    umount fs
    e2fsck -fn "$dev" >fsck.log 2>&1 || { cat fsck.log >&2; fail "-o '$opts': e2fsck found errors"; }
    mount -o ro "$dev" fs || fail "-o '$opts': remounting ext4 failed"
    [[ $(cat fs/f1 fs/f3 fs/f5 | md5sum) == "$sum_kept" ]] || fail "-o '$opts': kept files differ"
    umount fs
    loop_detach "$dev"
    ! grep "^lba " mnt/pi-status || fail "-o '$opts': pi-status lists failing blocks"
    difs_umount mnt
    "$DIFS" check img ${opts:+-o "$opts"} >check.txt || { cat check.txt >&2; fail "-o '$opts': difs check is not clean"; }
    gen verify img ${opts:+-o "$opts"} >verify.txt || { head verify.txt >&2; fail "-o '$opts': the generator finds failing blocks"; }
    diff <(grep -E '^(ok|unwritten|escaped):' check.txt) <(grep -E '^(ok|unwritten|escaped):' verify.txt) \
        || fail "-o '$opts': difs check and the generator count differently"
done
