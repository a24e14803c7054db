#!/usr/bin/env bash
# difs -h and --help exit 0 and list every option with its default, and the QEMU nvme-ns
# properties accepted and ignored.
source "$(dirname "$0")/../lib.sh"

for flag in -h --help; do
    "$DIFS" "$flag" >help.txt 2>&1 || fail "difs $flag exited non-zero"
    for opt in logical_block_size ms pi pif sts pil layout prchk pract apptag appmask stag stagmask \
               reftag errors holes ro; do
        grep -Eq "^ +$opt .*default" help.txt || fail "difs $flag does not list $opt with a default"
    done
done
"$DIFS" -h >help.txt 2>&1 || fail "difs -h exited non-zero"
for prop in drive nsid mset physical_block_size uuid zoned; do
    grep -Eq "^ .* $prop( |$)" help.txt || fail "difs -h does not name the QEMU property $prop"
done
