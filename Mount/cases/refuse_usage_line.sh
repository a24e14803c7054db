#!/usr/bin/env bash
# A refusal prints one `difs: <what>: <why>` line and then a usage line.
source "$(dirname "$0")/../lib.sh"

gen create img --blocks 16
mkdir mnt
expect_refused pi mnt img mnt -o pi=9
(( $(wc -l <"$CASE_DIR/.stderr") >= 2 )) || fail "no usage line after the error"
grep -qi "usage" "$CASE_DIR/.stderr" || fail "no usage line: $(cat "$CASE_DIR/.stderr")"
