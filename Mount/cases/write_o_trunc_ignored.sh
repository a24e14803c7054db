#!/usr/bin/env bash
# `echo hi > data` opens with O_TRUNC, which is ignored: three bytes are merged into block 0 and
# the size stays.
source "$(dirname "$0")/../lib.sh"

gen create img --blocks 16 --fill random --expect-data shadow
mkdir mnt
difs_mount img mnt
echo hi >mnt/data || fail "echo hi > data failed"
printf 'hi\n' | dd of=shadow conv=notrunc status=none
(( $(file_size mnt/data) == 16 * 512 )) || fail "data size is $(file_size mnt/data)"
cmp mnt/data shadow || fail "data differs from the shadow copy"
difs_umount mnt
gen verify img --quiet --expect-data shadow || fail "PI or data wrong after echo"
