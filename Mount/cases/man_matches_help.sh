#!/usr/bin/env bash
# man/difs.1 documents exactly what `difs -h` and `difs SUBCOMMAND -h` list, both ways: the mount
# flags, every -o key (and the words a key takes, where -h lists them as a|b|c), every subcommand
# and each subcommand's flags; and man renders the page without a warning.
source "$(dirname "$0")/../lib.sh"

page="$MOUNT_LIB_DIR/../man/difs.1"
[[ -f $page ]] || fail "no man page at $page"
"$DIFS" -h >help.txt || fail "difs -h failed"
subcommands=$(awk '/^Offline subcommands/ { on = 1; next } on && /^$/ { exit } on { print $2 }' help.txt)
[[ -n $subcommands ]] || fail "difs -h lists no subcommands"
for sub in $subcommands; do
    "$DIFS" "$sub" -h >"help-$sub.txt" || fail "difs $sub -h failed"
done

agreed=$(python3 - "$page" help.txt $subcommands <<'PY'

import re, sys
page, help_path, subs = sys.argv[1], sys.argv[2], sys.argv[3:]

def roff_text(line):
    """A roff line as words: macro dropped, font escapes and quotes removed, \\- as -."""
    line = re.sub(r"^\.[A-Z]+\s*", "", line)
    line = re.sub(r"\\f[BIRP]", "", line).replace("\\-", "-").replace("\\&", "").replace('"', " ")
    return line.split()

# The man page: the first words after each .TP, by the section (.SH) or subsection (.SS) they are in.
entries, section, lines = {}, None, open(page).read().split("\n")
for i, line in enumerate(lines):
    if line.startswith((".SH ", ".SS ")):
        section = " ".join(roff_text(line))
    elif line == ".TP" and i + 1 < len(lines):
        words = roff_text(lines[i + 1])
        if not words:
            continue
        if words[0].startswith("-"):
            names = {w.rstrip(",") for w in words if w.startswith("-")}
        else:
            key, _, rest = words[0].partition("=")
            names = {key}
            values = [w for w in words[1:] + ([rest] if rest else []) if w not in ("|",)]
            if words[0].endswith("=") and len(words) > 2 and "|" in words:
                entries.setdefault("values", {})[key] = set(values)
        entries.setdefault(section, set()).update(names)

help_text = open(help_path).read()
def block(text, start, end=None):
    part = text.split(start, 1)[1]
    return part.split(end, 1)[0] if end else part

problems = []
def compare(what, man, helped):
    for name in sorted(helped - man):
        problems.append(f"{what}: {name} is in -h but not in the man page")
    for name in sorted(man - helped):
        problems.append(f"{what}: {name} is in the man page but not in -h")

flags = set()
for line in block(help_text, "Flags:", "\n\n").splitlines():
    flags |= {w.rstrip(",") for w in line.split()[:2] if w.startswith("-")}
compare("mount flags", entries.get("OPTIONS", set()), flags)

keys, values = set(), {}
for line in block(help_text, "difs options", "Other -o options").splitlines()[1:]:
    m = re.match(r"^  ([a-z_]+)\s+(\S.*?)\s+default:", line)
    if m:
        keys.add(m.group(1))
        if re.fullmatch(r"[a-z]+(\|[a-z]+)+", m.group(2)):
            values[m.group(1)] = set(m.group(2).split("|"))
man_keys = set()
for section, names in entries.items():
    if section.endswith("options (QEMU nvme-ns names)") or section == "Policy options":
        man_keys |= names
compare("-o keys", man_keys, keys)
for key, words in values.items():
    compare(f"-o {key}= values", entries.get("values", {}).get(key, set()), words)

compare("subcommands", {s.split()[1] for s in entries if s.startswith("difs ")}, set(subs))
for sub in subs:
    text = open(f"help-{sub}.txt").read()
    helped = set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", text))
    man = entries.get(f"difs {sub}", set()) - {"-h", "--help"}
    compare(f"difs {sub} flags", man, helped)

if problems:
    print("\n".join(problems))
    sys.exit(1)
print(f"{len(flags)} mount flags, {len(keys)} -o keys ({len(values)} with word values), "
      f"{len(subs)} subcommands agree")
PY
) || { echo "$agreed" >&2; fail "man page and -h disagree"; }
note "$agreed"

command -v man >/dev/null || skip "no man (apt install man-db)"
MANWIDTH=80 man --warnings -l "$page" >rendered.txt 2>warnings.txt || fail "man -l failed: $(cat warnings.txt)"
[[ ! -s warnings.txt ]] || fail "man warns: $(cat warnings.txt)"
grep -q '^NAME' rendered.txt || fail "rendered page has no NAME"
