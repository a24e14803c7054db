#!/usr/bin/env bash
# With a storage tag, each check fails exactly its corrupted block: guard (a data bit), apptag,
# storage tag and reference tag each at their own LBA, for a 32b-guard (pif=1) and a 64b-guard
# image whose 18-bit storage tag splits a byte. A mounted read of each fails with EIO while the
# others read; pi-status, gen.py and difs check --json name the same four blocks and kinds; a
# stag difference outside stagmask passes; without stag in prchk the stag block reads.
source "$(dirname "$0")/../lib.sh"

nlb=32
mkdir mnt
while read -r opts; do
    [[ -n $opts ]] || continue
    lbasz=$(sed -n 's/.*logical_block_size=\([0-9]*\).*/\1/p' <<<"logical_block_size=512,$opts")
    rm -f img
    gen create img -o "$opts" --blocks $nlb --fill pattern --expect-data want.data
    gen corrupt img -o "$opts" --lba 3 --field data --byte-offset 9 --bit 2 >/dev/null
    gen corrupt img -o "$opts" --lba 9 --field apptag --bit 0 >/dev/null
    gen corrupt img -o "$opts" --lba 17 --field stag --bit 0 >/dev/null
    gen corrupt img -o "$opts" --lba 26 --field reftag --bit 0 >/dev/null
    # The generator's own verdicts first (exit 1: four failing blocks).
    if gen verify img -o "$opts,prchk=all" >gen.out; then fail "gen.py verify passed a corrupted image"; fi
    grep "^lba " gen.out | cut -d: -f1,2 >gen.lines
    printf '%s\n' "lba 3: guard error" "lba 9: apptag error" "lba 17: stag error" "lba 26: reftag error" >want.lines
    cmp gen.lines want.lines || { cat gen.out >&2; fail "-o $opts: gen.py names other blocks"; }
    # The data the mount shows: the corrupted data byte is in block 3, which never reads.
    difs_mount img mnt -o "$opts,prchk=all"
    for lba in 3 9 17 26; do
        expect_fail_msg "Input/output error" dd if=mnt/data of=/dev/null bs="$lbasz" skip=$lba count=1
    done
    for lba in 0 2 4 8 10 16 18 25 27 31; do
        read_block mnt/data "$lbasz" $lba >got.block || fail "-o $opts: lba $lba failed to read"
        block_of want.data "$lbasz" $lba want.block
        cmp got.block want.block || fail "-o $opts: lba $lba differs"
    done
    grep "^lba " mnt/pi-status | cut -d: -f1,2 >difs.lines
    cmp difs.lines want.lines || { cat mnt/pi-status >&2; fail "-o $opts: pi-status names other blocks"; }
    for key in guard-errors apptag-errors stag-errors reftag-errors; do
        (( $(pi_status_value mnt $key) == 1 )) || fail "-o $opts: $key is not 1"
    done
    (( $(pi_status_value mnt ok) == nlb - 4 )) || fail "-o $opts: ok is not $(( nlb - 4 ))"
    grep -q "^lba 17: stag error: stored 0x[0-9a-f]* expected 0x[0-9a-f]* mask 0x[0-9a-f]*$" mnt/pi-status \
        || fail "-o $opts: stag line format"
    grep -q "storage tag error at lba 17 (rcvd [0-9a-f]*, want [0-9a-f]*)" "$(difs_log mnt)" \
        || { cat "$(difs_log mnt)" >&2; fail "-o $opts: no storage tag log line"; }
    difs_umount mnt
    # Bit 0 of the storage tag is outside stagmask=~1: only three failures, stag-errors 0.
    difs_mount img mnt -o "$opts,prchk=all,stagmask=0xfffe"
    read_block mnt/data "$lbasz" 17 >/dev/null || fail "-o $opts: stag outside the mask failed a read"
    (( $(pi_status_value mnt stag-errors) == 0 )) || fail "-o $opts: masked stag still counted"
    difs_umount mnt
    # Default prchk (guard+ref): the storage tag is not compared (NVMe's STC is off unless set).
    difs_mount img mnt -o "$opts"
    read_block mnt/data "$lbasz" 17 >/dev/null || fail "-o $opts: stag checked without prchk stag"
    difs_umount mnt
    # difs check --json names the same blocks, with the stag mask.
    rc=0; "$DIFS" check img -o "$opts,prchk=all" --json >report.json || rc=$?
    (( rc == 1 )) || fail "-o $opts: check exited $rc, want 1"
    python3 - "$opts" <<'PY' || fail "-o $opts: check --json"
import json, sys
d = json.load(open("report.json"))
kinds = [(f["lba"], f["kind"]) for f in d["failures"]]
assert kinds == [(3, "guard"), (9, "apptag"), (17, "stag"), (26, "reftag")], kinds
assert d["stag-errors"] == 1 and d["ok"] == 28, d
assert "mask" in d["failures"][2] and d["format"]["sts"] > 0, d
PY
    note "-o $opts: guard, apptag, stag and reftag each fail exactly their block"
done <<'FORMATS'
logical_block_size=4096,pif=1,sts=40,stag=0x123456789a,apptag=0x4242
logical_block_size=4096,ms=16,pif=2,sts=18,stag=0x2abcd,pil=1,layout=interleaved
FORMATS
