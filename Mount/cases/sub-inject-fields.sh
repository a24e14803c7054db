#!/usr/bin/env bash
# difs inject of each field makes difs check exit 1 naming exactly that LBA and kind, and a mounted
# read of that LBA fails with EIO while every other block reads back; for every guard format, and
# for storage tags (stag) and the reference tags STS leaves, at bit boundaries inside a byte.
source "$(dirname "$0")/../lib.sh"

nlb=64 lba=21
mkdir mnt
# field, the check kind it causes, inject flags, format options
while IFS='|' read -r field kind flags opts; do
    rm -f img
    "$DIFS" create img --blocks $nlb --fill pattern ${opts:+-o "$opts"} >/dev/null || fail "create failed"
    lbasz=$(sed -n 's/.*logical_block_size=\([0-9]*\).*/\1/p' <<<"logical_block_size=512,$opts" | tail -n 1)
    # The expected data file: the good image as mounted before the injection (data-field
    # injections change the data itself; the mounted read must fail before that matters).
    python3 -c "import struct,sys; sys.stdout.buffer.write(b''.join(struct.pack('<Q', 8*k) for k in range($nlb*$lbasz//8)))" >want.data
    # shellcheck disable=SC2086
    "$DIFS" inject img --lba $lba --field "$field" $flags ${opts:+-o "$opts"} >inject.out \
        || fail "inject --field $field failed"
    grep -q "^lba $lba $field" inject.out || fail "inject printed \"$(cat inject.out)\""
    grep -q "0x[0-9a-f]* -> 0x[0-9a-f]*" inject.out || fail "inject does not show old and new bytes"
    rc=0
    "$DIFS" check img ${opts:+-o "$opts"} >report || rc=$?
    (( rc == 1 )) || { cat report >&2; fail "check after inject --field $field exited $rc, want 1"; }
    [[ $(grep "^lba " report) == "lba $lba: $kind error:"* ]] \
        || { cat report >&2; fail "check does not name exactly \"lba $lba: $kind error\""; }
    grep -qx "$kind-errors: 1" report || fail "check: $kind-errors is not 1"
    grep -qx "ok: $(( nlb - 1 ))" report || fail "check: ok is not $(( nlb - 1 ))"
    difs_mount img mnt ${opts:+-o "$opts"}
    assert_bad_block_reads mnt "$lbasz" $nlb $lba "$kind" want.data
    difs_umount mnt
    note "inject --field $field $flags -o '${opts:-defaults}': check and mount name lba $lba $kind"
done <<'CASES'
guard|guard|--bit 0|
guard|guard|--bit 63|logical_block_size=4096,ms=16,pif=2
apptag|apptag|--value 0x1234|prchk=all
apptag|apptag|--bit 15|ms=16,pil=1,prchk=all
reftag|reftag|--value 0|
reftag|reftag|--bit 47|logical_block_size=4096,ms=64,pif=2,layout=interleaved
data|guard|--byte-offset 100 --bit 7|
data|guard|--value 0xff|logical_block_size=4096,ms=64,pil=1
guard|guard|--bit 31|logical_block_size=4096,pif=1
stag|stag|--bit 0|logical_block_size=4096,pif=1,sts=40,prchk=all
stag|stag|--value 0x1ffff|logical_block_size=4096,ms=16,pif=2,sts=18,prchk=guard+stag+ref
reftag|reftag|--bit 29|logical_block_size=4096,ms=16,pif=2,sts=18
reftag|reftag|--bit 63|logical_block_size=4096,pif=1,layout=interleaved
stag|stag|--bit 11|ms=8,sts=12,prchk=all
CASES
