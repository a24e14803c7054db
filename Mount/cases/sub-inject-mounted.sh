#!/usr/bin/env bash
# difs inject (and create --force) on an image a difs mount holds is refused and changes nothing;
# after the unmount the same inject works.
source "$(dirname "$0")/../lib.sh"

"$DIFS" create img --blocks 64 --fill pattern >/dev/null || fail "create failed"
sha_before=$(sha256sum img)
mkdir mnt
difs_mount img mnt
expect_fail_msg "difs inject: img: in use" "$DIFS" inject img --lba 5 --field guard
expect_fail_msg "difs create: img: in use" "$DIFS" create img --blocks 8 --force
[[ $(sha256sum img) == "$sha_before" ]] || fail "a refused inject or create changed the mounted image"
cmp <(read_block mnt/data 512 5) <(dd if=img bs=512 skip=5 count=1 status=none) || fail "lba 5 reads differently"
difs_umount mnt
"$DIFS" inject img --lba 5 --field guard >/dev/null || fail "inject after unmount failed"
rc=0; "$DIFS" check img >report || rc=$?
(( rc == 1 )) && grep -q "^lba 5: guard error" report || fail "check does not find the injected guard error"
