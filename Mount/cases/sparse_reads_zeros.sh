#!/usr/bin/env bash
# A fresh sparse image (every block a hole) reads as zeros with no error; pi-status counts every
# block as unwritten.
source "$(dirname "$0")/../lib.sh"

gen create img --unwritten --blocks 256 --expect-data want.data --expect-metadata want.md
mkdir mnt
difs_mount img mnt
cmp mnt/data want.data || fail "sparse data does not read as zeros"
cmp mnt/metadata want.md || fail "sparse metadata does not read as zeros"
(( $(pi_status_value mnt unwritten) == 256 )) || fail "unwritten is not 256"
assert_pi_status_sum mnt
difs_umount mnt
