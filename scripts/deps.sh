#!/usr/bin/env bash
# Installs what difs needs to build, test and mount, when it is missing (Debian/Ubuntu, apt).
# Sourced by demo.sh and test.sh; safe to run again.
set -euo pipefail

difs_need_packages=(fuse3 libfuse3-dev pkg-config python3 fio)

difs_missing=()
for p in "${difs_need_packages[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || difs_missing+=("$p")
done
if [ "${#difs_missing[@]}" -gt 0 ]; then
    echo "deps: installing ${difs_missing[*]}" >&2
    sudo_cmd=()
    [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${difs_missing[@]}" >/dev/null
fi

if ! command -v swift >/dev/null 2>&1; then
    for d in /opt/swift/usr/bin /usr/share/swift/usr/bin; do
        [ -x "$d/swift" ] && export PATH="$d:$PATH" && break
    done
fi
command -v swift >/dev/null 2>&1 || { echo "deps: no Swift toolchain found (install Swift 6 from swift.org)" >&2; exit 1; }
