#!/usr/bin/env bash
# difs identify names the exact format of images the independent generator wrote in twelve formats
# (both layouts of one file, split with its sidecar, 512 to 65536-byte blocks, both guards, a pil=0
# metadata prefix, tuple first, type 2 with a base, type 3 with and without a tag, an apptag), prints
# it as a -o string that check then accepts clean, and says "no match" (exit 1) on random bytes.
source "$(dirname "$0")/../lib.sh"

# generator options | the -o string identify must print (pil=0 when ms is the tuple size: the
# same bytes either way)
cases=(
    "|logical_block_size=512,ms=8,pi=1,pif=0,pil=0,layout=separate"
    "logical_block_size=4096,ms=16,pif=2|logical_block_size=4096,ms=16,pi=1,pif=2,pil=0,layout=separate"
    "layout=interleaved|logical_block_size=512,ms=8,pi=1,pif=0,pil=0,layout=interleaved"
    "logical_block_size=4096,ms=64,pif=2,layout=interleaved|logical_block_size=4096,ms=64,pi=1,pif=2,pil=0,layout=interleaved"
    "layout=split|logical_block_size=512,ms=8,pi=1,pif=0,pil=0,layout=split"
    "layout=split,logical_block_size=4096,ms=64,pif=2,pil=1|logical_block_size=4096,ms=64,pi=1,pif=2,pil=1,layout=split"
    "ms=16,pil=0|logical_block_size=512,ms=16,pi=1,pif=0,pil=0,layout=separate"
    "ms=32,pil=1,pif=2,logical_block_size=1024|logical_block_size=1024,ms=32,pi=1,pif=2,pil=1,layout=separate"
    "pi=2,reftag=1000|logical_block_size=512,ms=8,pi=2,pif=0,pil=0,layout=separate,reftag=1000"
    "pi=2,reftag=0x123456789,pif=2,logical_block_size=2048,ms=16|logical_block_size=2048,ms=16,pi=2,pif=2,pil=0,layout=separate,reftag=4886718345"
    "pi=3|logical_block_size=512,ms=8,pi=3,pif=0,pil=0,layout=separate"
    "pi=3,reftag=77,apptag=0x1234,logical_block_size=65536,ms=128,pif=2|logical_block_size=65536,ms=128,pi=3,pif=2,pil=0,layout=separate,reftag=77,apptag=0x1234"
)
for entry in "${cases[@]}"; do
    opts=${entry%%|*} want=${entry#*|}
    rm -f img img.protection
    gen create img ${opts:+-o "$opts"} --blocks 40 --fill random --seed 5
    "$DIFS" identify img >out || fail "identify of '$opts' failed: $(cat out)"
    got=$(sed -n 's/^-o //p' out)
    [[ $got == "$want" ]] || fail "'$opts': identify says '$got', want '$want'"
    grep -q "^evidence: 40 of 40 sampled written blocks verify" out \
        || fail "'$opts': evidence line is $(sed -n 2p out)"
    "$DIFS" check img -o "$got" >/dev/null || fail "'$opts': check with identify's answer is not clean"
    note "${opts:-defaults} -> $got"
done

# Random bytes: no format verifies.
head -c 1M /dev/urandom >random.img
rc=0; "$DIFS" identify random.img >out || rc=$?
(( rc == 1 )) || fail "identify of random bytes exited $rc, want 1"
grep -q "^no match" out || fail "identify of random bytes says $(cat out)"
rc=0; "$DIFS" identify random.img --json >json || rc=$?
(( rc == 1 )) && grep -q '"match": false' json || fail "--json exits $rc and says $(cat json)"
