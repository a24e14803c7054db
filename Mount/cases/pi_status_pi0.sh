#!/usr/bin/env bash
# For pi=0, pi-status omits the counts after blocks:.
source "$(dirname "$0")/../lib.sh"

gen create img --pi 0 --blocks 16
mkdir mnt
difs_mount img mnt -o pi=0
grep -q "^format: .* pi=0 " mnt/pi-status || fail "format line lacks pi=0"
[[ $(sed -n 3p mnt/pi-status) == "blocks: 16" ]] || fail "line 3: $(sed -n 3p mnt/pi-status)"
! grep -Eq "^(ok|unwritten|escaped|guard-errors|apptag-errors|reftag-errors):" mnt/pi-status \
    || fail "pi=0 pi-status shows PI counts"
difs_umount mnt
