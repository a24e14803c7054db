#!/usr/bin/env bash
# Trailing bytes that make no whole block are ignored (nlb = size / (lbasz + ms)) with a warning
# that says how many.
source "$(dirname "$0")/../lib.sh"

gen create img --blocks 16 --trailing-bytes 300 --expect-data want.data
mkdir mnt
difs_mount img mnt
(( $(file_size mnt/data) == 16 * 512 )) || fail "data is $(file_size mnt/data) bytes"
cmp mnt/data want.data || fail "data differs"
grep -q "300" "$(difs_log mnt)" || fail "no warning naming the 300 trailing bytes"
difs_umount mnt
