#!/usr/bin/env bash
# identify samples written blocks only: a 64 GiB sparse image (4096+16 pif 2, type 2 base 0x100)
# with three written runs far apart is named exactly; -o format=auto then drives check, inject and
# the mount, each saying in one line what it chose; an image nothing matches is refused with it.
source "$(dirname "$0")/../lib.sh"

want="logical_block_size=4096,ms=16,pi=2,pif=2,pil=0,layout=separate,reftag=256"
nlb=$(( (64 << 30) / 4112 ))
gen create big -o logical_block_size=4096,ms=16,pif=2,pi=2,reftag=0x100 --blocks "$nlb" \
    --only 0-49,1000000-1000049,10000000-10000049 --fill random
(( $(stat -c %b big) * 512 < 16 << 20 )) || fail "the 64 GiB image is not sparse"
"$DIFS" identify big >out || fail "identify failed: $(cat out)"
[[ $(sed -n 's/^-o //p' out) == "$want" ]] || fail "identify says $(head -1 out)"
"$DIFS" identify big --json | grep -q '"reftags": "lba+base"' || fail "--json lacks the reftag evidence"

# check -o format=auto: the chosen format in one stderr line, then the report; 150 written blocks ok.
"$DIFS" check big -o format=auto --max-errors 0 >report 2>err || fail "check -o format=auto failed: $(cat err)"
grep -qF "difs check: format=auto: $want (" err || fail "check did not say what it chose: $(cat err)"
(( $(wc -l <err) == 1 )) || fail "format=auto printed more than one line"
grep -q "^ok: 150$" report || fail "check found $(grep '^ok:' report), want 150"

# inject -o format=auto picks the same format: the guard it flips is found by check.
"$DIFS" inject big -o format=auto --lba 1000007 --field guard >out 2>err || fail "inject failed: $(cat err)"
grep -qF "difs inject: format=auto: $want" err || fail "inject did not say what it chose"
rc=0; "$DIFS" check big -o "$want" >report 2>/dev/null || rc=$?
(( rc == 1 )) && grep -q "^lba 1000007: guard error" report || fail "check does not find the guard injected with format=auto"

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
