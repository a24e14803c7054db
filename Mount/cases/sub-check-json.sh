#!/usr/bin/env bash
# difs check --json parses with python3 -m json.tool, its counts equal the text report's, and
# --max-errors shortens the listing of both while the counts stay complete.
source "$(dirname "$0")/../lib.sh"

opts="ms=16,prchk=all"
"$DIFS" create img --blocks 300 --fill random -o "$opts" >/dev/null || fail "create failed"
for lba in 3 77 150 299; do
    "$DIFS" inject img -o "$opts" --lba $lba --field reftag >/dev/null || fail "inject lba $lba failed"
done
"$DIFS" inject img -o "$opts" --lba 200 --field apptag --value 7 >/dev/null || fail "inject apptag failed"
"$DIFS" inject img -o "$opts" --lba 201 --field guard --bit 5 >/dev/null || fail "inject guard failed"

for extra in "" "--max-errors 2"; do
    rc=0; "$DIFS" check img -o "$opts" $extra >report.txt 2>text.err || rc=$?
    (( rc == 1 )) || fail "check $extra exited $rc, want 1"
    rc=0; "$DIFS" check img -o "$opts" --json $extra >report.json 2>json.err || rc=$?
    (( rc == 1 )) || fail "check --json $extra exited $rc, want 1"
    python3 -m json.tool report.json >/dev/null || fail "check --json $extra is not JSON"
    python3 - report.txt report.json "${extra#--max-errors }" <<'PY' || fail "JSON and text disagree ($extra)"
import json, sys
text = dict(line.split(": ", 1) for line in open(sys.argv[1]) if not line.startswith("lba "))
doc = json.load(open(sys.argv[2]))
for key in ("blocks", "ok", "unwritten", "escaped", "guard-errors", "apptag-errors", "reftag-errors", "failed-reads"):
    assert int(text[key]) == doc[key], (key, text[key], doc[key])
assert text["format"].strip() == " ".join(f"{k}={v}" for k, v in doc["format"].items()), text["format"]
assert text["policy"].strip() == " ".join(f"{k}={v}" for k, v in doc["policy"].items()), text["policy"]
listed = [l.strip() for l in open(sys.argv[1]) if l.startswith("lba ")]
want = [f"lba {f['lba']}: {f['kind']} error" for f in doc["failures"]]
assert [l.split(": stored")[0] for l in listed] == want, (listed, want)
limit = int(sys.argv[3]) if sys.argv[3] else 6
assert len(want) == limit == doc["failures-listed"], (len(want), limit)
assert doc["reftag-errors"] == 4 and doc["apptag-errors"] == 1 and doc["guard-errors"] == 1
assert doc["ok"] == 294
PY
    note "check --json $extra: valid JSON, counts equal the text report"
done
grep -q "4 more failing blocks not listed" text.err || fail "no stderr note about unlisted blocks"
