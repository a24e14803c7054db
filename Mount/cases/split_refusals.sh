#!/usr/bin/env bash
# layout=split is validated before mounting, one line each: a missing sidecar, one too short or too
# long for nlb × ms (naming the ms its size fits), a data file that is not whole blocks, and mdfile=
# without layout=split. The files are left as they were.
source "$(dirname "$0")/../lib.sh"

mkdir mnt
gen create img -o layout=split --blocks 16 --fill pattern
sums=$(sha256sum img img.protection)
mv img.protection away
expect_refused "img.protection: metadata file of layout=split: No such file" mnt img mnt -o layout=split
mv away img.protection
head -c 64 img.protection >short.protection
expect_refused "shorter than the 16 blocks × ms=8 = 128 bytes" mnt img mnt -o layout=split,mdfile=short.protection
cat img.protection img.protection >long.protection
expect_refused "longer than the 16 blocks × ms=8 = 128 bytes the data file needs (its size fits ms=16)" \
    mnt img mnt -o layout=split,mdfile=long.protection
head -c 1000 img >odd.img
expect_refused "not a whole number of 512-byte blocks" mnt odd.img mnt -o layout=split,mdfile=img.protection
expect_refused "mdfile=img.protection: only with layout=split" mnt img mnt -o mdfile=img.protection
expect_fail_msg "difs check: short.protection: metadata file of 64 bytes is shorter" "$DIFS" check img -o layout=split,mdfile=short.protection
[[ $(sha256sum img img.protection) == "$sums" ]] || fail "a refusal changed the files"
