#!/usr/bin/env bash
# difs show takes blocks apart exactly as the independent generator does: for every block of
# several formats (guard, apptag, stag and reftag damage, an escape, unwritten holes, LBA 0
# forgiven, pif 0, 1 and 2) the verdict, the stored and computed guard, the tags stored and
# expected, the metadata bytes
# and their image offsets equal gen.py's; a failing block's first text line is its pi-status
# line; the exit status says whether a block shown fails.
source "$(dirname "$0")/../lib.sh"

# compare_all OPTS BLOCKS: difs show --json of every block against gen.py blocks.
compare_all() {
    local opts=$1 blocks=$2 rc=0
    "$DIFS" show img -o "$opts" --lba 0 --count "$blocks" --json >show.json || rc=$?
    (( rc == 1 )) || fail "show -o $opts of a damaged image exited $rc, want 1"
    gen blocks img -o "$opts" >gen.jsonl || fail "gen.py blocks failed"
    python3 - show.json gen.jsonl "$blocks" <<'PY' || fail "difs show disagrees with gen.py (-o $opts)"
import json, sys
shown = json.load(open(sys.argv[1]))["blocks"]
want = [json.loads(line) for line in open(sys.argv[2])]
assert len(shown) == len(want) == int(sys.argv[3]), (len(shown), len(want))
for s, w in zip(shown, want):
    for key in w:
        assert s[key] == w[key], (w["lba"], key, s[key], w[key])
    assert s["reason"], s
PY
    note "show -o $opts: $blocks blocks agree with gen.py"
}

# 512+16, tuple last (the guard covers 8 prefix bytes), every check on.
opts="ms=16,pil=0,prchk=all,apptag=0x1234"
gen create img -o "$opts" --blocks 40 --fill random --escape 9 >/dev/null
gen corrupt img -o "$opts" --lba 3 --field guard >/dev/null
gen corrupt img -o "$opts" --lba 5 --field prefix --byte-offset 2 >/dev/null
gen corrupt img -o "$opts" --lba 7 --field apptag --value 0x1200 >/dev/null
gen corrupt img -o "$opts" --lba 11 --field reftag --value 99 >/dev/null
compare_all "$opts" 40

# The text form: the first line of a failing block is its pi-status line (gen.py verify's).
rc=0; "$DIFS" show img -o "$opts" --lba 3 >show.txt || rc=$?
(( rc == 1 )) || fail "show of a failing block exited $rc, want 1"
want=$(gen verify img -o "$opts" --quiet | grep '^lba 3:') || true
[[ $(head -n 1 <(grep '^lba ' show.txt)) == "$want" ]] || fail "show lba 3 first line: $(grep '^lba ' show.txt), want $want"
grep -q '^  guard: .*mismatch' show.txt || fail "show lba 3 does not call the guard a mismatch"
[[ $(head -n 1 show.txt) == "format: logical_block_size=512 ms=16 pi=1 pif=0 pil=0 layout=separate" ]] \
    || fail "show does not start with the format line: $(head -n 1 show.txt)"
rc=0; "$DIFS" show img -o "$opts" --lba 12 --count 3 >show.txt || rc=$?
(( rc == 0 )) || fail "show of passing blocks exited $rc, want 0"
(( $(grep -c '^lba 1[234]: ok: ' show.txt) == 3 )) || fail "show --count 3 did not show lba 12-14 ok"
"$DIFS" show img -o "$opts" --lba 9 >show.txt || fail "show of an escaped block failed"
grep -q '^lba 9: escaped: apptag 0xffff' show.txt || fail "escaped block not explained: $(sed -n 3p show.txt)"

# 4096+16, 64-bit guard, type 3, interleaved, with holes: unwritten blocks and LBA 0 forgiven.
opts="logical_block_size=4096,ms=16,pif=2,pi=3,layout=interleaved,prchk=guard+app"
gen create img -o "$opts" --blocks 24 --fill pattern >/dev/null
fallocate -p -o $(( 8 * 4112 )) -l $(( 6 * 4112 )) img   # blocks 9-12 lie wholly in the hole
dd if=/dev/zero of=img bs=4096 count=1 conv=notrunc status=none   # lba 0: zero data, old guard
gen corrupt img -o "$opts" --lba 20 --field data --byte-offset 4000 >/dev/null
compare_all "$opts" 24
"$DIFS" show img -o "$opts" --lba 10 >show.txt || fail "show of an unwritten block failed"
grep -q '^lba 10: unwritten: ' show.txt || fail "lba 10 not unwritten: $(sed -n 3p show.txt)"
grep -q '^  reftag: .*type 3: not checked' show.txt || fail "type 3 reftag not marked unchecked"
"$DIFS" show img -o "$opts" --lba 0 >show.txt || fail "show of lba 0 failed"
grep -q '^lba 0: unwritten: lba 0 with all-zero data' show.txt || fail "lba 0 forgiveness not explained: $(sed -n 3p show.txt)"

# 4096+64 type 2 with a reftag base, tuple first: metadata wider than a line is wrapped.
opts="logical_block_size=4096,ms=64,pil=1,pi=2,reftag=0x1000"
gen create img -o "$opts" --blocks 8 --fill pattern >/dev/null
gen corrupt img -o "$opts" --lba 6 --field reftag --bit 3 >/dev/null
compare_all "$opts" 8
"$DIFS" show img -o "$opts" --lba 6 >show.txt && fail "show of a failing block exited 0"
(( $(grep -c '^    +00[0-3]0  ' show.txt) == 4 )) || fail "64 metadata bytes not in 4 rows of 16"
note "text form: pi-status first line, escapes, unwritten, type 3 and wrapped metadata explained"

# 512+16, 32-bit guard, a 24-bit storage tag (56 bits of reftag), every check: a stag error.
opts="pif=1,sts=24,stag=0xabcdef,prchk=all"
gen create img -o "$opts" --blocks 12 --fill random >/dev/null
gen corrupt img -o "$opts" --lba 4 --field stag --bit 7 >/dev/null
gen corrupt img -o "$opts" --lba 9 --field reftag --value 1 >/dev/null
compare_all "$opts" 12
"$DIFS" show img -o "$opts" --lba 4 >show.txt && fail "show of a stag error exited 0"
grep -q '^lba 4: stag error: ' show.txt || fail "lba 4 not a stag error: $(sed -n 3p show.txt)"
grep -q '^  stag: .*mismatch' show.txt || fail "no stag line calling it a mismatch"
note "pif=1 sts=24: storage tags shown as gen.py reads them"
