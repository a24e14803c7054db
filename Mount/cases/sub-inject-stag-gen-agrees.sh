#!/usr/bin/env bash
# difs inject --field stag and --field reftag change exactly the bits the spec gives each (the
# storage tag the STS high bits of the storage and reference space, the reference tag the rest),
# as read back by the independent generator, for a storage tag that splits a byte.
source "$(dirname "$0")/../lib.sh"

opts="logical_block_size=4096,ms=16,pif=2,sts=18,stag=0x2abcd"
"$DIFS" create img --blocks 16 -o "$opts" >/dev/null || fail "create failed"
[[ $(gen tuple img -o "$opts" --lba 5) == "guard="*" apptag=0x0000 stag=0x2abcd reftag=0x00000005" ]] \
    || fail "created tuple: $(gen tuple img -o "$opts" --lba 5)"
"$DIFS" inject img --lba 5 --field stag --value 0x15555 -o "$opts" >out || fail "inject stag failed"
grep -q "^lba 5 stag: 0x2abcd -> 0x15555 (image byte " out || fail "inject printed $(cat out)"
[[ $(gen tuple img -o "$opts" --lba 5) == "guard="*" apptag=0x0000 stag=0x15555 reftag=0x00000005" ]] \
    || fail "after inject stag: $(gen tuple img -o "$opts" --lba 5)"
"$DIFS" inject img --lba 6 --field reftag --bit 29 -o "$opts" >out || fail "inject reftag failed"
grep -q "^lba 6 reftag: 0x00000006 -> 0x20000006 " out || fail "inject printed $(cat out)"
[[ $(gen tuple img -o "$opts" --lba 6) == "guard="*" apptag=0x0000 stag=0x2abcd reftag=0x20000006" ]] \
    || fail "after inject reftag: $(gen tuple img -o "$opts" --lba 6)"
expect_fail_msg "wider than the 18-bit stag field" "$DIFS" inject img --lba 7 --field stag --value 0x40000 -o "$opts"
expect_fail_msg "the format has no storage tag (sts=0)" "$DIFS" inject img --lba 7 --field stag --bit 0 \
    -o logical_block_size=4096,ms=16,pif=2
