#!/usr/bin/env bash
# An image written through the mount (full and partial blocks, into a sparse image) is clean for
# difs check afterwards, and check agrees with the mount's own pi-status counts.
source "$(dirname "$0")/../lib.sh"

# The interleaved layout has its own case, sub-check-after-mount-write-interleaved.
[[ -v GEOMETRIES ]] || GEOMETRIES=("" "ms=16" "logical_block_size=4096,ms=16,pif=2" "logical_block_size=4096,ms=64,pil=1")
mkdir mnt
for opts in "${GEOMETRIES[@]}"; do
    rm -f img
    "$DIFS" create img --blocks 1024 --unwritten ${opts:+-o "$opts"} >/dev/null || fail "create failed"
    difs_mount img mnt ${opts:+-o "$opts"}
    head -c 70000 /dev/urandom >chunk
    dd if=chunk of=mnt/data bs=70000 seek=1 conv=notrunc status=none || fail "write 1 failed"
    dd if=chunk of=mnt/data bs=512 count=1 seek=200 conv=notrunc status=none || fail "write 2 failed"
    dd if=chunk of=mnt/data bs=100 count=3 seek=1000 conv=notrunc status=none || fail "write 3 failed"
    cp mnt/pi-status mounted.status
    difs_umount mnt
    rc=0
    "$DIFS" check img ${opts:+-o "$opts"} >report || rc=$?
    for key in blocks ok unwritten escaped guard-errors apptag-errors reftag-errors; do
        [[ $(grep "^$key: " report) == $(grep "^$key: " mounted.status) ]] \
            || fail "-o '$opts': check says \"$(grep "^$key: " report)\", the mount \"$(grep "^$key: " mounted.status)\""
    done
    (( rc == 0 )) || { cat report >&2; fail "-o '$opts': check of a mount-written image exited $rc"; }
    gen verify img ${opts:+-o "$opts"} --quiet || fail "-o '$opts': gen.py verify disagrees"
    note "-o '${opts:-defaults}': written through the mount, check clean: $(grep '^ok: ' report), $(grep '^unwritten: ' report)"
done
