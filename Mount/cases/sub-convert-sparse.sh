#!/usr/bin/env bash
# convert keeps unwritten blocks unwritten: a sparse image written in three places through a mount
# converts to split and back with the same unwritten count (the generator's verify), to interleaved
# with unwritten and escaped blocks together as many as the source's, the target files stay sparse, and separate -> split -> separate is byte for byte.
source "$(dirname "$0")/../lib.sh"

"$DIFS" create s.img --blocks 20000 --unwritten >/dev/null || fail "create failed"
mkdir mnt
difs_mount s.img mnt
for lba in 100 5000 19998; do
    head -c 1024 /dev/urandom | dd of=mnt/data bs=512 seek="$lba" conv=notrunc,fsync status=none || fail "write at $lba"
done
difs_umount mnt
unwritten() { gen verify "$@" | sed -n 's/^unwritten: //p'; }
want=$(unwritten s.img)
(( want > 19000 )) || fail "the source has only $want unwritten blocks"
# Blocks whose data a write allocated hold the unwritten tuple (all ones): escaped, not unwritten.
neither=$(( want + $(gen verify s.img | sed -n 's/^escaped: //p') ))

"$DIFS" convert s.img t.img --to layout=split >out || fail "separate -> split: $(cat out)"
[[ $(unwritten t.img -o layout=split) == "$want" ]] || fail "split target: $(unwritten t.img -o layout=split) unwritten, want $want"
(( $(stat -c %b t.img) * 512 < 256 << 10 )) || fail "the split data file is not sparse ($(stat -c %b t.img) sectors)"
"$DIFS" convert t.img u.img -o layout=split --to layout=separate >/dev/null || fail "split -> separate"
cmp s.img u.img || fail "separate -> split -> separate of a sparse image is not byte for byte"
(( $(stat -c %b u.img) <= $(stat -c %b s.img) )) || fail "the round trip allocated more than the source"

"$DIFS" convert s.img i.img --to layout=interleaved,pif=2 >/dev/null || fail "separate -> interleaved pif 2"
"$DIFS" check i.img -o layout=interleaved,pif=2 >report || fail "the interleaved target does not check clean"
(( $(sed -n 's/^unwritten: //p' report) + $(sed -n 's/^escaped: //p' report) == neither )) \
    || fail "interleaved target: $(grep -E '^(unwritten|escaped)' report | tr '\n' ' '), want $neither together"
(( $(stat -c %b i.img) * 512 < 512 << 10 )) || fail "the interleaved target is not sparse"
