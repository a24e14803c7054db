#!/usr/bin/env bash
# Paths are bytes: an image and a mount point whose names are not UTF-8 (\xff\xfe) round-trip
# through create, check, inject and mount exactly; a file named with the two U+FFFD characters
# that Swift would "repair" them into is never touched; messages show the bytes escaped (\xff) on
# one line.
source "$(dirname "$0")/../lib.sh"
export LC_ALL=C

bad=$'\xff\xfe'
repaired=$'\xef\xbf\xbd\xef\xbf\xbd'   # U+FFFD U+FFFD in UTF-8
echo "an unrelated file" >"$repaired"
sha_unrelated=$(sha256sum <"$repaired")

"$DIFS" create "$bad" --blocks 32 --fill pattern >create.out || fail "create of a non-UTF-8 name failed"
[[ -f $bad ]] || fail "create did not make the file named \\xff\\xfe"
grep -qF 'created \xff\xfe: 32 blocks' create.out || fail "create does not name \\xff\\xfe escaped: $(head -n 1 create.out)"
gen verify "$bad" --quiet || fail "the created image does not verify"
"$DIFS" create "$bad" --blocks 32 --fill pattern --force >/dev/null || fail "create --force of a non-UTF-8 name failed"
"$DIFS" check "$bad" >check.out || fail "check of a non-UTF-8 name failed"
"$DIFS" inject "$bad" --lba 7 --field guard >/dev/null || fail "inject into a non-UTF-8 name failed"
rc=0; "$DIFS" check "$bad" --json >check.json || rc=$?
(( rc == 1 )) || fail "check after inject exited $rc, want 1"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["image"] == "\\xff\\xfe", d["image"]; assert [f["lba"] for f in d["failures"]] == [7]' check.json \
    || fail "check --json does not show the injected block or the escaped name"
[[ $(sha256sum <"$repaired") == "$sha_unrelated" ]] || fail "the file named U+FFFD U+FFFD was changed"
[[ $(cat "$repaired") == "an unrelated file" ]] || fail "the unrelated file lost its contents"

mnt=mnt$'\xff'
mkdir "$mnt"
difs_mount "$bad" "$mnt"
# The mount table shows the image's own bytes as the source (field after "- fuse.difs").
source_field=$(awk -v d="$(realpath "$mnt")" '$5 == d { for (i = 7; $i != "-"; i++); print $(i + 2) }' /proc/self/mountinfo)
[[ $source_field == "$bad" ]] || fail "mountinfo shows the source as $(printf %q "$source_field")"
expect_fail_msg "Input/output error" dd if="$mnt/data" of=/dev/null bs=512 skip=7 count=1
read_block "$mnt/data" 512 6 >got.block || fail "lba 6 does not read"
grep -q "^lba 7: guard error" "$mnt/pi-status" || fail "pi-status lacks lba 7"
difs_umount "$mnt"

# A missing non-UTF-8 name is named escaped, one line, and nothing else is created.
expect_fail_msg $'difs check: \\xff\\xfex: No such file or directory' "$DIFS" check "${bad}x"
(( $(wc -l <"$CASE_DIR/.stderr") == 1 )) || fail "the refusal is not one line"
expect_fail_msg 'difs inject: a\x0ab\x1b: No such file or directory' "$DIFS" inject $'a\nb\x1b' --lba 0 --field guard
(( $(wc -l <"$CASE_DIR/.stderr") == 1 )) || fail "a name with a newline made more than one line"
expect_refused 'difs: \xff\xfex: No such file or directory' "$mnt" "${bad}x" "$mnt"
[[ $(sha256sum <"$repaired") == "$sha_unrelated" ]] || fail "the file named U+FFFD U+FFFD was changed"
