#!/usr/bin/env bash
# difs -h and --help exit 0 and list every option with its default.
source "$(dirname "$0")/../lib.sh"

for flag in -h --help; do
    "$DIFS" "$flag" >help.txt 2>&1 || fail "difs $flag exited non-zero"
    for opt in logical_block_size ms pi pif pil layout prchk pract apptag appmask reftag errors \
               holes ro; do
        grep -Eq "^ +$opt .*default" help.txt || fail "difs $flag does not list $opt with a default"
    done
done
