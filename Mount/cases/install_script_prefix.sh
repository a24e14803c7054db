#!/usr/bin/env bash
# `PREFIX=DIR scripts/install.sh --binary FILE` installs exactly the files the .deb holds (under
# DIR instead of /usr): the binary runs, `man -l` renders the page, `man difs` finds it once
# DIR/bin is on PATH, and the completion completes. A relative PREFIX is refused.
source "$(dirname "$0")/../lib.sh"

root=$(cd "$MOUNT_LIB_DIR/.." && pwd)
command -v man >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq man-db >/dev/null \
    || skip "no man and man-db does not install"
prefix=$CASE_DIR/prefix
PREFIX=$prefix "$root/scripts/install.sh" --binary "$DIFS" >install.log || fail "install.sh failed: $(cat install.log)"
(cd "$prefix" && find . -type f | sed 's|^\.|/usr|' | sort) >installed.txt

command -v dpkg-deb >/dev/null || skip "no dpkg-deb: cannot compare with the package"
deb=$("$root/scripts/package.sh" --binary "$DIFS" --allow-swift-runtime --output "$CASE_DIR") || fail "package.sh failed"
dpkg-deb -c "$deb" | awk '$1 !~ /^d/ { sub(/^\./, "", $6); print $6 }' | sort >packaged.txt
cmp -s installed.txt packaged.txt || fail "install.sh and the .deb differ: $(diff installed.txt packaged.txt | tr '\n' ' ')"
note "install.sh installs the package's $(wc -l <installed.txt) files: $(echo $(cat installed.txt))"

cmp "$prefix/bin/difs" "$DIFS" || fail "installed binary differs from --binary"
[[ $("$prefix/bin/difs" -V) == "difs "* ]] || fail "installed difs -V: $("$prefix/bin/difs" -V)"
MANWIDTH=80 man -l "$prefix/share/man/man1/difs.1.gz" >man.txt 2>man.err || fail "man -l failed: $(cat man.err)"
grep -q '^EXIT STATUS' man.txt || fail "man -l shows no EXIT STATUS"
found=$(PATH="$prefix/bin:$PATH" man -w difs) || fail "man -w difs with $prefix/bin on PATH failed"
[[ $found == "$prefix/share/man/man1/difs.1.gz" ]] || fail "man -w difs found $found"
COMP_WORDS=(difs img mnt -o "pif="); COMP_CWORD=4; COMPREPLY=()
# shellcheck source=/dev/null
source "$prefix/share/bash-completion/completions/difs"; _difs
[[ " ${COMPREPLY[*]} " == *" pif=0 "* ]] || fail "installed completion of -o pif=: ${COMPREPLY[*]}"

rc=0; PREFIX=relative "$root/scripts/install.sh" --binary "$DIFS" 2>err.txt || rc=$?
(( rc == 2 )) || fail "a relative PREFIX: exit $rc, want 2"
grep -q 'must be an absolute path' err.txt || fail "a relative PREFIX: $(cat err.txt)"
[[ ! -e relative ]] || fail "a refused install created files"
