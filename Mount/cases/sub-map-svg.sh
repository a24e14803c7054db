#!/usr/bin/env bash
# difs map --svg draws well-formed SVG: one cell per run of blocks, in LBA order, each coloured by
# the worst state of its blocks as gen.py judges them (guard > apptag > stag > reftag > escaped >
# unwritten > ok), the format line, an LBA axis (one label per row of 64 cells) and a legend with
# the block counts; at 1, 4 and the default blocks per cell, and at 64 Ki blocks per cell on a
# 256 Ki-block sparse image. `check --map` prints the same cells as letters.
source "$(dirname "$0")/../lib.sh"

opts="ms=16,prchk=all,apptag=0x0042"
gen create img -o "$opts" --blocks 300 --fill random --escape 33,34,200 >/dev/null
fallocate -p -o $(( 64 * 512 )) -l $(( 40 * 512 )) img       # blocks 64-103 unwritten
gen corrupt img -o "$opts" --lba 5 --field guard >/dev/null
gen corrupt img -o "$opts" --lba 6 --field reftag --value 1 >/dev/null
gen corrupt img -o "$opts" --lba 130 --field apptag --value 0 >/dev/null
gen corrupt img -o "$opts" --lba 131 --field reftag --value 0 >/dev/null
gen corrupt img -o "$opts" --lba 299 --field data >/dev/null
gen blocks img -o "$opts" >states.jsonl || fail "gen.py blocks failed"
format_line="format: logical_block_size=512 ms=16 pi=1 pif=0 pil=0 layout=separate"

# check_svg FILE BLOCKS_PER_CELL: the SVG against gen.py's states (JSON lines in states.jsonl).
check_svg() {
    python3 - "$1" "$2" states.jsonl "$format_line" <<'PY'
import json, sys, xml.etree.ElementTree as ET
path, per_cell, states_path, format_line = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
NS = "{http://www.w3.org/2000/svg}"
root = ET.parse(path).getroot()                 # raises on malformed XML
assert root.tag == NS + "svg", root.tag
states = [json.loads(l)["verdict"] for l in open(states_path)]
rank = ["ok", "unwritten", "escaped", "reftag", "stag", "apptag", "guard"]
cells = [e for e in root.iter(NS + "rect") if e.get("class") == "cell"]
want_cells = (len(states) + per_cell - 1) // per_cell
assert len(cells) == want_cells, (len(cells), want_cells)
colour = {}
for i, cell in enumerate(cells):
    first, last = int(cell.get("data-first-lba")), int(cell.get("data-last-lba"))
    assert first == i * per_cell and last == min(first + per_cell, len(states)) - 1, (i, first, last)
    worst = max(states[first:last + 1], key=rank.index)
    assert cell.get("data-state") == worst, (i, cell.get("data-state"), worst)
    assert colour.setdefault(worst, cell.get("fill")) == cell.get("fill"), ("two colours", worst)
    assert cell.find(NS + "title").text.startswith(f"lba {first}"), cell.find(NS + "title").text
assert len(set(colour.values())) == len(colour), ("states share a colour", colour)
texts = {e.get("class"): e for e in root.iter(NS + "text")}
assert texts["format"].text == format_line, texts["format"].text
labels = [int(e.text) for e in root.iter(NS + "text") if e.get("class") == "lba"]
assert labels == [row * 64 * per_cell for row in range((want_cells + 63) // 64)], labels
legend = {e.get("data-state"): e for e in root.iter(NS + "g") if e.get("class") == "legend-entry"}
assert sorted(legend) == sorted(rank), sorted(legend)
for state in rank:
    assert int(legend[state].get("data-blocks")) == states.count(state), (state, legend[state].get("data-blocks"))
    swatch = legend[state].find(NS + "rect").get("fill")
    assert state not in colour or swatch == colour[state], (state, swatch, colour.get(state))
print(f"{len(cells)} cells, {len(labels)} axis labels, legend {[states.count(s) for s in rank]}")
PY
}

for per_cell in 1 4; do
    rc=0; "$DIFS" map img -o "$opts" --svg map.svg --blocks-per-cell $per_cell || rc=$?
    (( rc == 1 )) || fail "map of a damaged image exited $rc, want 1"
    result=$(check_svg map.svg $per_cell) || fail "SVG at $per_cell blocks per cell is wrong"
    note "--blocks-per-cell $per_cell: $result"
done
rc=0; "$DIFS" map img -o "$opts" --svg - >stdout.svg || rc=$?
(( rc == 1 )) || fail "map --svg - exited $rc, want 1"
result=$(check_svg stdout.svg 1) || fail "default SVG (300 blocks: 1 per cell) on stdout is wrong"
note "default to stdout: $result"

# check --map: the same worst states as letters, 64 per row after the row's first LBA.
rc=0; "$DIFS" check img -o "$opts" --map --blocks-per-cell 4 >check.txt || rc=$?
(( rc == 1 )) || fail "check --map exited $rc, want 1"
python3 - check.txt states.jsonl <<'PY' || fail "check --map letters disagree with gen.py"
import json, sys
lines = open(sys.argv[1]).read().split("\n")
start = lines.index("") + 1             # the map follows the report and a blank line
assert lines[start].startswith("format: "), lines[start]
rows = lines[start + 2:start + 2 + 2]   # 300 blocks / 4 per cell = 75 cells: two rows
letters = "".join(row.split(" ", 1)[1] for row in (r.lstrip() for r in rows))
assert [r.split()[0] for r in rows] == ["0", "256"], rows
states = [json.loads(l)["verdict"] for l in open(sys.argv[2])]
rank = ["ok", "unwritten", "escaped", "reftag", "stag", "apptag", "guard"]
letter = dict(zip(rank, ".-eRSAG"))
want = "".join(letter[max(states[i:i + 4], key=rank.index)] for i in range(0, len(states), 4))
assert letters == want, (letters, want)
PY
note "check --map letters match"

# 256 Ki + 100 blocks, all unwritten but for one 4 KiB unit of zeros written into the data at
# lba 100000 (zero data, zero tuple: reftag errors for its 8 blocks): 5 cells of 64 Ki blocks.
"$DIFS" create big --blocks $(( 262144 + 100 )) --unwritten >/dev/null || fail "create big failed"
dd if=/dev/zero of=big bs=512 seek=100000 count=8 conv=notrunc status=none
gen blocks big --lba 99998 --count 12 >states.jsonl || fail "gen.py blocks on big failed"
[[ $(python3 -c 'import json,sys; print(" ".join(json.loads(l)["verdict"] for l in open(sys.argv[1])))' states.jsonl) \
    == "unwritten unwritten$(printf ' reftag%.0s' {1..8}) unwritten unwritten" ]] || fail "gen.py sees other states around lba 100000"
rc=0; "$DIFS" map big --svg big.svg --blocks-per-cell 64K || rc=$?
(( rc == 1 )) || fail "map of big exited $rc, want 1"
python3 - big.svg <<'PY' || fail "64 Ki blocks per cell SVG is wrong"
import sys, xml.etree.ElementTree as ET
NS = "{http://www.w3.org/2000/svg}"
cells = [e for e in ET.parse(sys.argv[1]).iter(NS + "rect") if e.get("class") == "cell"]
got = [(e.get("data-first-lba"), e.get("data-last-lba"), e.get("data-state")) for e in cells]
want = [(str(i * 65536), str(min((i + 1) * 65536, 262244) - 1), "reftag" if i == 1 else "unwritten") for i in range(5)]
assert got == want, got
assert "65528 unwritten, 8 reftag" in cells[1].find(NS + "title").text, cells[1].find(NS + "title").text
PY
note "64 Ki blocks per cell: 5 cells, the written unit's cell shows its reftag errors"
