#!/usr/bin/env bash
# identify samples written blocks only: a 64 GiB sparse image (4096+16 pif 2, type 2 base 0x100)
# with three written runs far apart is named exactly; -o format=auto then drives inject there, and
# check (a 1 GiB sparse image) and the mount, each saying in one line what it chose; an image
# nothing matches is refused with it.
source "$(dirname "$0")/../lib.sh"

want="logical_block_size=4096,ms=16,pi=2,pif=2,pil=0,layout=separate,reftag=256"
nlb=$(( (64 << 30) / 4112 ))
gen create big -o logical_block_size=4096,ms=16,pif=2,pi=2,reftag=0x100 --blocks "$nlb" \
    --only 0-49,1000000-1000049,10000000-10000049 --fill random
(( $(stat -c %b big) * 512 < 16 << 20 )) || fail "the 64 GiB image is not sparse"
"$DIFS" identify big >out || fail "identify failed: $(cat out)"
[[ $(sed -n 's/^-o //p' out) == "$want" ]] || fail "identify says $(head -1 out)"
"$DIFS" identify big --json | grep -q '"reftags": "lba+base"' || fail "--json lacks the reftag evidence"

# inject -o format=auto picks the same format (in one stderr line): the guard it flips is where the
# generator finds it.
before=$(gen tuple big -o "$want" --lba 1000007)
"$DIFS" inject big -o format=auto --lba 1000007 --field guard >out 2>err || fail "inject failed: $(cat err)"
grep -qF "difs inject: format=auto: $want (" err || fail "inject did not say what it chose: $(cat err)"
(( $(wc -l <err) == 1 )) || fail "format=auto printed more than one line"
after=$(gen tuple big -o "$want" --lba 1000007)
[[ ${before#guard=0x} != "${after#guard=0x}" && ${before#*apptag} == "${after#*apptag}" ]] \
    || fail "inject with format=auto changed $before into $after"

# check -o format=auto on a smaller sparse image (1 GiB, 512+8 type 1, runs of whole 4 KiB units):
# 47 of the 48 written blocks ok,
# the rest unwritten, one injected reftag found.
gen create mid --blocks $(( (1 << 30) / 520 )) --only 8-23,100000-100015,2000000-2000015 --fill random
gen corrupt mid --lba 100003 --field reftag --value 1
rc=0; "$DIFS" check mid -o format=auto --max-errors 5 >report 2>err || rc=$?
(( rc == 1 )) || fail "check -o format=auto exited $rc: $(cat err)"
grep -qF "difs check: format=auto: logical_block_size=512,ms=8,pi=1,pif=0,pil=0,layout=separate (" err \
    || fail "check did not say what it chose: $(cat err)"
grep -q "^ok: 47$" report && grep -q "^lba 100003: reftag error" report || fail "check -o format=auto reports $(grep -E '^(ok|lba)' report)"

# The mount with format=auto shows the blocks with the generator's data.
gen create small -o layout=interleaved,logical_block_size=4096,ms=64,pif=2 --blocks 20 --fill random --expect-data want.data
mkdir mnt
difs_mount small mnt -o format=auto
cmp mnt/data want.data || fail "format=auto mount shows other data"
grep -q "^format: logical_block_size=4096 ms=64 pi=1 pif=2 pil=0 layout=interleaved" mnt/pi-status || fail "mounted format: $(head -1 mnt/pi-status)"
grep -q "format=auto: logical_block_size=4096,ms=64,pi=1,pif=2,pil=0,layout=interleaved" "$(difs_log mnt)" \
    || fail "the mount did not say what it chose"
difs_umount mnt

head -c 1M /dev/urandom >random.img
expect_refused "-o format=auto: random.img: no format verifies" mnt random.img mnt -o format=auto
