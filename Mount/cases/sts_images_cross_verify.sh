#!/usr/bin/env bash
# pif=1 (32-bit CRC-32C guard) and storage-tag (sts) images agree with the independent generator
# both ways: `difs create` output verifies in gen.py (its own CRC-32C and tuple packing), and
# gen.py's images mount, show byte for byte and pass every check (prchk=all, stag included);
# blocks written through the mount then verify in gen.py too.
source "$(dirname "$0")/../lib.sh"

nlb=24
mkdir mnt
# difs options (format + policy); every STS edge of each guard format and some in between.
while read -r opts; do
    [[ -n $opts ]] || continue
    lbasz=$(sed -n 's/.*logical_block_size=\([0-9]*\).*/\1/p' <<<"logical_block_size=512,$opts")

    rm -f made img
    "$DIFS" create made --blocks $nlb --fill random --seed 3 -o "$opts" >/dev/null || fail "create -o $opts failed"
    gen verify made -o "$opts" --quiet || fail "gen.py rejects difs create -o $opts"

    gen create img -o "$opts" --blocks $nlb --fill random --seed 5 --expect-data want.data --expect-metadata want.md
    difs_mount img mnt -o "$opts,prchk=all"
    cmp mnt/data want.data || fail "-o $opts: data differs from the generator's"
    cmp mnt/metadata want.md || fail "-o $opts: metadata differs from the generator's"
    (( $(pi_status_value mnt ok) == nlb )) || { cat mnt/pi-status >&2; fail "-o $opts: not every block ok"; }
    # Write 3 whole blocks and a partial one; PRACT must give them the tuple gen.py expects.
    head -c $(( 3 * lbasz )) /dev/urandom >src
    dd if=src of=mnt/data bs="$lbasz" seek=5 conv=notrunc status=none || fail "-o $opts: write failed"
    dd if=src of=want.data bs="$lbasz" seek=5 conv=notrunc status=none
    printf 'partial' | dd of=mnt/data bs=1 seek=$(( 11 * lbasz + 100 )) conv=notrunc status=none \
        || fail "-o $opts: partial write failed"
    printf 'partial' | dd of=want.data bs=1 seek=$(( 11 * lbasz + 100 )) conv=notrunc status=none
    difs_umount mnt
    gen verify img -o "$opts" --quiet --expect-data want.data || fail "-o $opts: PI wrong after writes through the mount"
    note "-o $opts: difs create verifies in gen.py; gen.py image mounts, shows and takes writes"
done <<'FORMATS'
logical_block_size=4096,pif=1
logical_block_size=4096,pif=1,sts=64,stag=0x0123456789abcdef,pi=2,reftag=0xfffe
logical_block_size=4096,ms=64,pif=1,sts=37,stag=0x1abcdef012,apptag=0x77,layout=interleaved
logical_block_size=512,ms=16,pif=1,pil=1,sts=16,stag=0xbeef,pi=3,reftag=0x1122334455667788
ms=8,sts=12,stag=0xabc
ms=16,sts=32,stag=0xcafef00d,pil=1,layout=interleaved
logical_block_size=4096,ms=16,pif=2,sts=18,stag=0x2abcd,pi=2,reftag=0x3ffffff0
logical_block_size=4096,ms=16,pif=2,sts=48,stag=0x0123456789ab,pi=3
FORMATS
