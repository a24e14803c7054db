#!/usr/bin/env bash
# layout=split: a data file plus a metadata sidecar (LIO fileio's IMAGE.protection, 512+8 type 1;
# a ublk-style integrity file named with mdfile=, 4096+16 pif 2 pil 0) mounts and shows the
# generator's bytes; writing `data` changes exactly the written blocks' tuples in the sidecar, which
# the generator then verifies; check is clean; while mounted, a second mount naming the same
# sidecar and an inject are refused, and the sidecar is flocked.
source "$(dirname "$0")/../lib.sh"

mkdir mnt mnt2
for opts in "layout=split" "layout=split,mdfile=integrity.bin,logical_block_size=4096,ms=16,pif=2"; do
    rm -f img img.protection integrity.bin other.img
    sidecar=img.protection
    [[ $opts == *mdfile=* ]] && sidecar=integrity.bin
    gen create img -o "$opts" --blocks 40 --fill random --seed 3 --expect-data want.data --expect-metadata want.md
    lbs=$(sed -n 's/.*logical_block_size=\([0-9]*\).*/\1/p' <<<"$opts"); lbs=${lbs:-512}
    ms=$(( $(file_size "$sidecar") / 40 ))
    cp "$sidecar" sidecar.before
    difs_mount img mnt -o "$opts"
    cmp mnt/data want.data || fail "$opts: data differs from the generator's"
    cmp mnt/metadata want.md || fail "$opts: metadata differs from the generator's"
    (( $(pi_status_value mnt ok) == 40 )) || fail "$opts: pi-status ok is not 40"
    grep -q "layout=split" mnt/pi-status || fail "$opts: pi-status does not say layout=split"

    # Both files are locked: another image naming the same sidecar, and inject, are refused.
    cp img other.img
    expect_refused "in use" mnt2 other.img mnt2 -o "$opts,mdfile=$sidecar"
    expect_fail_msg "in use" "$DIFS" inject img -o "$opts" --lba 1 --field guard
    if flock -n "$sidecar" true; then fail "$opts: $sidecar is not locked while mounted"; fi

    # Write three blocks at lba 5 through the mount.
    head -c $(( 3 * lbs )) /dev/urandom >new.blocks
    dd if=new.blocks of=mnt/data bs="$lbs" seek=5 conv=notrunc,fsync status=none || fail "$opts: write failed"
    cmp <(dd if=mnt/data bs="$lbs" skip=5 count=3 status=none) new.blocks || fail "$opts: written blocks read back differently"
    difs_umount mnt

    # The sidecar changed in exactly lba 5..7's metadata, and the generator agrees with every tuple.
    cmp -l sidecar.before "$sidecar" >changes || true
    [[ -s changes ]] || fail "$opts: the sidecar did not change"
    while read -r byte _ _; do
        (( byte - 1 >= 5 * ms && byte - 1 < 8 * ms )) || fail "$opts: sidecar byte $(( byte - 1 )) changed, outside lba 5..7"
    done <changes
    cp want.data want2.data
    dd if=new.blocks of=want2.data bs="$lbs" seek=5 conv=notrunc status=none
    gen verify img -o "$opts" --expect-data want2.data --quiet || fail "$opts: the generator finds the written image wrong"
    "$DIFS" check img -o "$opts" >report || fail "$opts: difs check is not clean after the write"
    note "$opts: write changed lba 5..7 in $sidecar; generator and check agree"
done
