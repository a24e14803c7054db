#!/usr/bin/env bash
# data and metadata take the image's permission bits (here 0640); pi-status is never writable.
source "$(dirname "$0")/../lib.sh"

gen create img --blocks 16 --expect-data want.data --expect-metadata want.md
chmod 640 img
mkdir mnt
difs_mount img mnt
assert_three_files mnt img want.data want.md
[[ $(stat -c %a mnt/data) == 640 ]] || fail "data mode is $(stat -c %a mnt/data), want 640"
difs_umount mnt
