#!/usr/bin/env bash
# difs convert: a generator image (512+16, pil=0 with a metadata prefix the guard covers) goes
# separate -> interleaved -> split -> separate and comes back byte for byte; each step mounts clean
# with the generator's data. An injected failure stays failing through every step (check names the
# same LBA and kind), --force carries it without PI (escaped), a pif change keeps the prefix bytes,
# a failed or refused convert leaves nothing behind.
source "$(dirname "$0")/../lib.sh"

gen create a.img -o ms=16 --blocks 300 --fill random --seed 9 --expect-data want.data --expect-metadata want.md
"$DIFS" convert a.img b.img -o ms=16 --to layout=interleaved >out || fail "separate -> interleaved: $(cat out)"
grep -q "300 regenerated, 0 unwritten, 0 escaped, 0 failing" out || fail "report: $(cat out)"
gen verify b.img -o ms=16,layout=interleaved --expect-data want.data --expect-metadata want.md --quiet \
    || fail "the interleaved image is not what the generator expects"
"$DIFS" convert b.img c.img -o ms=16,layout=interleaved --to layout=split >out || fail "interleaved -> split: $(cat out)"
[[ -f c.img.protection ]] || fail "no c.img.protection"
gen verify c.img -o ms=16,layout=split --expect-data want.data --expect-metadata want.md --quiet \
    || fail "the split image is not what the generator expects"
"$DIFS" convert c.img d.img -o ms=16,layout=split --to layout=separate >out || fail "split -> separate: $(cat out)"
cmp a.img d.img || fail "separate -> interleaved -> split -> separate is not byte for byte"
mkdir mnt
difs_mount c.img mnt -o ms=16,layout=split
cmp mnt/data want.data || fail "the converted split image mounts with other data"
cmp mnt/metadata want.md || fail "the converted split image mounts with other metadata"
difs_umount mnt

# An injected failure: a guard bit at lba 77, a reftag at lba 200, stays failing, same kind.
"$DIFS" inject a.img -o ms=16 --lba 77 --field guard --bit 3 >/dev/null
"$DIFS" inject a.img -o ms=16 --lba 200 --field reftag --value 9 >/dev/null
rm -f b.img c.img c.img.protection d.img
rc=0; "$DIFS" convert a.img b.img -o ms=16 --to layout=interleaved >out || rc=$?
(( rc == 1 )) || fail "convert with failing blocks exited $rc, want 1"
grep -q "^lba 77: guard error: .*: kept failing$" out && grep -q "^lba 200: reftag error: .*: kept failing$" out \
    || fail "convert does not name the failing blocks: $(cat out)"
"$DIFS" convert b.img c.img -o ms=16,layout=interleaved --to layout=split >/dev/null || true
"$DIFS" convert c.img d.img -o ms=16,layout=split --to layout=separate >/dev/null || true
for step in "b.img ms=16,layout=interleaved" "c.img ms=16,layout=split" "d.img ms=16"; do
    read -r img opts <<<"$step"
    rc=0; "$DIFS" check "$img" -o "$opts" >report || rc=$?
    (( rc == 1 )) || fail "$img: check exited $rc, want 1"
    [[ $(grep "^lba " report | cut -d: -f1,2 | tr '\n' ' ') == "lba 77: guard error lba 200: reftag error " ]] \
        || fail "$img: check lists $(grep '^lba ' report)"
done
cmp a.img d.img || fail "the round trip with failing blocks is not byte for byte"

# --force: the failing blocks carry their data with the escape tuple.
"$DIFS" convert a.img f.img -o ms=16 --force >out || true
grep -q "^lba 77: .*carried without PI" out || fail "--force does not say lba 77 is carried without PI"
"$DIFS" check f.img -o ms=16 >report || fail "--force target does not check clean"
grep -q "^escaped: 2$" report || fail "--force target: $(grep escaped report)"
cmp <(dd if=f.img bs=512 skip=77 count=1 status=none) <(dd if=a.img bs=512 skip=77 count=1 status=none) \
    || fail "--force changed lba 77's data"

# pif 0 -> 2 keeps the 8 prefix bytes: ms=24 tuple last, prefix first (then back to pif 0: identical).
"$DIFS" convert d.img p.img -o ms=16 --to pif=2,ms=24 >/dev/null || true
"$DIFS" convert p.img q.img -o pif=2,ms=24 --to pif=0,ms=16 >/dev/null || true
cmp a.img q.img || fail "pif 0 -> 2 -> 0 with a prefix is not byte for byte"

# Refusals leave nothing: an existing DST, a block size change.
expect_fail_msg "difs convert: d.img: already exists; add --replace" "$DIFS" convert a.img d.img -o ms=16
expect_fail_msg "convert keeps the block size" "$DIFS" convert a.img z.img -o ms=16 --to logical_block_size=4096
[[ ! -e z.img ]] || fail "a refused convert left z.img"
ls -a | grep -q difs-convert && fail "a temporary file was left behind"
true
