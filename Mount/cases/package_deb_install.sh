#!/usr/bin/env bash
# The .deb of scripts/package.sh installs with dpkg, its difs runs (-V), `man -l` renders its man
# page and `man difs` finds it, its completion completes, `mount -t fuse.difs` mounts through
# mount(8) and mount.fuse3 with no PATH of our own, and `dpkg -r` removes every file it put there.
#
# The package holds the static release binary when scripts/build-static.sh has built one newer
# than every source file (then ldd must show no libswift*); otherwise, to keep the suite fast, the
# binary under test ($DIFS) packaged with --allow-swift-runtime.
source "$(dirname "$0")/../lib.sh"

root=$(cd "$MOUNT_LIB_DIR/.." && pwd)
command -v dpkg-deb >/dev/null && command -v dpkg >/dev/null || skip "no dpkg (not Debian)"
if dpkg-query -W -f='${db:Status-Status}' difs 2>/dev/null | grep -qx installed; then
    skip "a difs package is installed already; not replacing it"
fi
[[ ! -e /usr/bin/difs ]] || skip "/usr/bin/difs exists and is not from a package; not replacing it"
if ! command -v man >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq man-db >/dev/null || skip "no man and man-db does not install"
fi

static=$root/.build/static/release/difs
if [[ -x $static ]] && [[ -z $(find "$root/Sources" "$root/Package.swift" -newer "$static" -print -quit) ]]; then
    binary=$static; extra=()
    note "packaging the static release build $static"
else
    binary=$DIFS; extra=(--allow-swift-runtime)
    note "no up-to-date static build (scripts/build-static.sh): packaging \$DIFS"
fi
deb=$("$root/scripts/package.sh" --binary "$binary" "${extra[@]}" --output "$CASE_DIR") || fail "package.sh failed"
[[ -f $deb ]] || fail "package.sh printed $deb, which is not a file"
dpkg-deb -f "$deb" Depends | grep -qw fuse3 || fail "Depends lacks fuse3: $(dpkg-deb -f "$deb" Depends)"
mapfile -t files < <(dpkg-deb -c "$deb" | awk '$1 !~ /^d/ { sub(/^\./, "", $6); print $6 }')
note "package: $(basename "$deb"), files: ${files[*]}"

remove_package() {
    if is_mounted "$CASE_DIR/mnt" 2>/dev/null; then umount -l "$CASE_DIR/mnt" 2>/dev/null || true; fi
    if dpkg-query -W -f='${db:Status-Status}' difs 2>/dev/null | grep -qx installed; then
        dpkg -r difs >/dev/null 2>&1 || true
    fi
}
trap 'rc=$?; remove_package; (exit $rc); cleanup' EXIT
dpkg -i "$deb" >dpkg.log 2>&1 || { cat dpkg.log >&2; fail "dpkg -i failed"; }

[[ $(command -v difs) == /usr/bin/difs ]] || fail "difs is not /usr/bin/difs after install: $(command -v difs)"
version=$(difs -V) || fail "difs -V failed"
[[ $version == "difs $(dpkg-deb -f "$deb" Version) "* ]] || fail "difs -V says $version"
if [[ $binary == "$static" ]] && ldd /usr/bin/difs | grep -q libswift; then
    fail "the installed difs loads the Swift runtime: $(ldd /usr/bin/difs | grep libswift)"
fi
MANWIDTH=80 man -l /usr/share/man/man1/difs.1.gz >man.txt 2>man.err || fail "man -l failed: $(cat man.err)"
grep -q '^SYNOPSIS' man.txt || fail "man -l shows no SYNOPSIS"
[[ $(man -w difs) == /usr/share/man/man1/difs.1.gz ]] || fail "man -w difs: $(man -w difs 2>&1)"
# shellcheck source=/dev/null
source /usr/share/bash-completion/completions/difs
COMP_WORDS=(difs ch); COMP_CWORD=1; COMPREPLY=(); _difs
[[ " ${COMPREPLY[*]} " == *" check "* ]] || fail "installed completion of 'difs ch': ${COMPREPLY[*]}"
note "installed: $version; man -l and man -w work; completion completes"

# mount(8) -> mount.fuse3 -> /usr/bin/difs, found on the standard PATH.
difs create img --blocks 64 --fill pattern >/dev/null || fail "installed difs create failed"
gen blocks img >/dev/null || fail "gen.py cannot read the image"
mkdir mnt
track_mount mnt
mount -t fuse.difs "$CASE_DIR/img" "$CASE_DIR/mnt" -o pi=1 || fail "mount -t fuse.difs failed"
is_mounted mnt || fail "mount -t fuse.difs returned 0 but nothing is mounted"
[[ $(mount_fstype mnt) == fuse.difs ]] || fail "file system type is $(mount_fstype mnt)"
grep -qx 'ok: 64' mnt/pi-status || fail "pi-status of the mounted image: $(cat mnt/pi-status)"
dd if=mnt/data of=/dev/null bs=4096 status=none || fail "reading data failed"
umount "$CASE_DIR/mnt" || fail "umount failed"
wait_until "$DEADLINE_SECONDS" not_mounted mnt || fail "still mounted after umount"

dpkg -r difs >dpkg.log 2>&1 || { cat dpkg.log >&2; fail "dpkg -r failed"; }
status=$(dpkg-query -W -f='${db:Status-Status}' difs 2>/dev/null || echo not-installed)
[[ $status == not-installed ]] || fail "after dpkg -r the package is '$status', want not-installed"
for f in "${files[@]}"; do
    [[ ! -e $f ]] || fail "dpkg -r left $f behind"
done
[[ ! -e /usr/share/doc/difs ]] || fail "dpkg -r left /usr/share/doc/difs"
note "mounted through mount -t fuse.difs; dpkg -r removed all ${#files[@]} files"
