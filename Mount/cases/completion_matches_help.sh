#!/usr/bin/env bash
# The bash completion (completion/difs.bash), driven as readline drives it (COMP_WORDS and
# COMP_CWORD, `=` split off as COMP_WORDBREAKS does, and not): `difs ch<TAB>` gives check,
# `-o pif=<TAB>` the guard formats; and what it offers equals what `difs -h` and `difs SUB -h`
# list: subcommands, mount flags, each subcommand's flags, the -o keys, and the values of every
# key whose -h entry lists alternatives with `|`.
source "$(dirname "$0")/../lib.sh"

script="$MOUNT_LIB_DIR/../completion/difs.bash"
[[ -f $script ]] || fail "no completion script at $script"
# shellcheck source=/dev/null
source "$script"
[[ $(complete -p difs) == "complete -F _difs difs" ]] || fail "difs has no completion function: $(complete -p difs)"

# offered WORD...: what the completion offers for the command line WORD... (the last word is
# the one being completed), sorted, one a line.
# Runs in directory `files`, which holds one file, image.raw, for the completion of file names.
mkdir files && touch files/image.raw
offered() {
    (
        cd files
        COMP_WORDS=("$@")
        COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
        COMPREPLY=()
        _difs
        printf '%s\n' "${COMPREPLY[@]}" | sort
    )
}
# expect WANT WORD...: the completion of WORD... is exactly WANT (space-separated, any order).
expect() {
    local want; want=$(tr -s ' ' '\n' <<<"$1" | sed '/^$/d' | sort); shift
    local got; got=$(offered "$@")
    [[ $got == "$want" ]] || fail "completing [$*]: got [$(echo $got)], want [$(echo $want)]"
}

"$DIFS" -h >help.txt || fail "difs -h failed"
# help_alternatives: "KEY ALT|ALT..." for every -o key whose -h values column lists alternatives.
help_alternatives() {
    awk '/^difs options/ { on = 1; next } /^Other -o options/ { exit }
         on && /default:/ { sub(/ +default:.*/, ""); k = $1; sub(/^ *[^ ]+ +/, "");
                            if ($0 ~ /\|/ && $0 !~ /\.\.\./) print k, $0 }' help.txt
}
# first_words ALTERNATIVES: the first word of each `|`-separated alternative, sorted.
first_words() { tr '|' '\n' <<<"$1" | awk '{ print $1 }' | sort; }
pif_values=$(first_words "$(help_alternatives | awk '$1 == "pif" { sub(/^pif /, ""); print }')" | tr '\n' ' ')
[[ -n $pif_values ]] || fail "difs -h lists no pif values"

expect "check" difs ch                                   # difs ch<TAB>, in an empty directory
expect "$(for v in $pif_values; do printf 'pif=%s ' "$v"; done)" difs img mnt -o "pif="
expect "$pif_values" difs img mnt -o pif = ""            # readline splits at =
expect "$pif_values" difs check img -o "pi=1,pif" = ""
expect "ms=16,pif=" difs img mnt -o ms=16,pif
expect "layout=" difs show img -o lay
expect "zero pattern random" difs create img --fill ""
expect "guard apptag stag reftag data" difs inject img --field ""
expect "image.raw" difs check ima
note "difs ch<TAB>: check; -o pif=<TAB>: $pif_values"

# Drift: the lists against -h, both ways.
subcommands=$(awk '/^Offline subcommands/ { on = 1; next } on && /^$/ { exit } on { print $2 }' help.txt | sort)
[[ $(offered difs "" | grep -vx image.raw) == "$subcommands" ]] || fail "subcommands offered: $(offered difs '' | tr '\n' ' '), -h: $(echo $subcommands)"
flags=$(awk '/^Flags:/ { on = 1; next } on && /^$/ { exit } on { print $1; if ($2 ~ /^-/) print $2 }' help.txt | tr -d , | sort)
[[ $(offered difs img mnt -) == "$flags" ]] || fail "mount flags offered: $(offered difs img mnt - | tr '\n' ' '), -h: $(echo $flags)"
for sub in $subcommands; do
    "$DIFS" "$sub" -h >"help-$sub.txt" || fail "difs $sub -h failed"
    want=$( (grep -o -- '--[a-z][a-z-]*' "help-$sub.txt"; printf '%s\n' -o -device -h --help) | sort -u)
    [[ $(offered difs "$sub" img -) == "$want" ]] \
        || fail "difs $sub flags offered: $(offered difs "$sub" img - | tr '\n' ' '), -h: $(echo $want)"
done
keys=$(awk '/^difs options/ { on = 1; next } /^Other -o options/ { exit } on && /default:/ { print $1 }' help.txt | sort)
got=$(offered difs check img -o "" | sed 's/=$//')
[[ $got == "$keys" ]] || fail "-o keys offered: $(echo $got), -h: $(echo $keys)"
checked=0
while read -r key alternatives; do
    want=$(first_words "$alternatives")
    got=$(offered difs check img -o "$key" = "")
    [[ $got == "$want" ]] || fail "-o $key= values offered: $(echo $got), -h: $(echo $want)"
    (( ++checked ))
done < <(help_alternatives)
(( checked >= 5 )) || fail "only $checked keys with alternatives found in -h"
note "subcommands, flags, $(wc -w <<<"$keys") -o keys and the values of $checked keys match -h"
