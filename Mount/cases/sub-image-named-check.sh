#!/usr/bin/env bash
# A first word naming a subcommand runs it; an image literally named `check` mounts as `./check`.
source "$(dirname "$0")/../lib.sh"

"$DIFS" create check --blocks 32 --fill pattern >/dev/null || fail "create of an image named check failed"
"$DIFS" check check >/dev/null || fail "difs check check did not check the image named check"
mkdir mnt
difs_mount ./check mnt
(( $(file_size mnt/data) == 32 * 512 )) || fail "./check mounted with the wrong size"
cat mnt/data >/dev/null || fail "reading the mounted ./check failed"
difs_umount mnt
