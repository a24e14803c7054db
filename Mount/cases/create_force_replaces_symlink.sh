#!/usr/bin/env bash
# Writing never follows a link it did not ask for: `create --force` onto a planted symbolic link
# replaces the link itself (the file it points to, root-owned 0600, keeps every byte), `create`
# without --force refuses a link (dangling or not), and a directory or FIFO is never replaced.
# --force over a file keeps its mode and drops an intent log left beside it.
source "$(dirname "$0")/../lib.sh"

mkdir victims
printf 'root secret\n' >victims/secret
chmod 600 victims/secret
sha_secret=$(sha256sum <victims/secret)
ln -s victims/secret planted
ln -s victims/nothing-here dangling

expect_fail_msg "difs create: planted: already exists; add --force" "$DIFS" create planted --blocks 8
expect_fail_msg "difs create: dangling: already exists; add --force" "$DIFS" create dangling --blocks 8
[[ ! -e victims/nothing-here ]] || fail "create followed the dangling link"

"$DIFS" create planted --blocks 8 --fill pattern --force >/dev/null || fail "create --force onto a link failed"
[[ ! -L planted && -f planted ]] || fail "planted is still a link (or not a file) after create --force"
(( $(file_size planted) == 8 * 520 )) || fail "the new image has $(file_size planted) bytes"
gen verify planted --quiet || fail "the new image does not verify"
[[ $(sha256sum <victims/secret) == "$sha_secret" ]] || fail "create --force wrote through the link"
[[ $(stat -c %a victims/secret) == 600 ]] || fail "the link's target changed mode"
"$DIFS" create dangling --blocks 8 --force >/dev/null || fail "create --force onto a dangling link failed"
[[ ! -L dangling && ! -e victims/nothing-here ]] || fail "create --force followed the dangling link"

# --force over a regular file keeps its permission bits (a private image stays private).
"$DIFS" create private --blocks 4 >/dev/null || fail "create private failed"
chmod 600 private
"$DIFS" create private --blocks 8 --force >/dev/null || fail "create --force over a file failed"
[[ $(stat -c %a private) == 600 ]] || fail "create --force changed the mode to $(stat -c %a private)"
(( $(file_size private) == 8 * 520 )) || fail "create --force did not replace the file"

# An intent log a killed daemon left beside the old image is removed: it must never be replayed
# onto the new one.
printf 'stale intent' >private.difs-intent
"$DIFS" create private --blocks 8 --force >/dev/null 2>create.err || fail "create --force with a stale intent log failed"
[[ ! -e private.difs-intent ]] || fail "create --force left the old image's intent log"
grep -qF "private.difs-intent: removed" create.err || fail "create --force did not say it removed the intent log"

mkdir adir
mkfifo afifo
expect_fail_msg "difs create: adir: is a directory" "$DIFS" create adir --blocks 8 --force
expect_fail_msg "difs create: afifo: not a regular file" "$DIFS" create afifo --blocks 8 --force
[[ -d adir && -p afifo ]] || fail "a refused create --force replaced a directory or FIFO"
# Nothing was left behind by the refusals or the successes.
leftovers=$(find . -name '.difs-create.*')
[[ -z $leftovers ]] || fail "temporary files left: $leftovers"
