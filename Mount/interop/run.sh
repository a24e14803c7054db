#!/usr/bin/env bash
# run.sh: the interoperability harness: difs against QEMU's emulated NVMe controller and a Linux
# guest, in both directions (README "Interoperability"). Installs what is missing from Debian
# (qemu-system-x86, linux-image-amd64 for a guest kernel never booted on the host,
# busybox-static, nvme-cli, cpio, kmod), then runs interop.py: one guest boot per format, a
# table of case x format x PASS/FAIL/SKIP, the wall time, and `N passed, N failed` last.
#
# Usage: [DIFS=path/to/difs] Mount/interop/run.sh [--formats NAME,...] [--keep]
# DIFS defaults to $(swift build --show-bin-path)/difs of the package around this script.
# INTEROP_ACCEL=kvm|tcg overrides the choice of accelerator (KVM when a kernel boots under it).
set -uo pipefail

interop_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
package_dir=$(dirname "$(dirname "$interop_dir")")

skip_all() {
    echo "interop: skipped: $*"
    echo "0 passed, 0 failed, 1 skipped"
    exit 0
}

[[ $(id -u) -eq 0 ]] || skip_all "needs root (FUSE mounts)"
[[ -c /dev/fuse ]] || skip_all "no /dev/fuse"

if [[ -z ${DIFS:-} ]]; then
    if ! bin_dir=$(cd "$package_dir" && swift build --show-bin-path 2>/dev/null); then
        echo "interop: DIFS is unset and swift build --show-bin-path failed" >&2
        exit 2
    fi
    DIFS=$bin_dir/difs
fi
[[ -x $DIFS ]] || { echo "interop: DIFS=$DIFS is not an executable file" >&2; exit 2; }

needed=(qemu-system-x86 linux-image-amd64 busybox-static nvme-cli cpio kmod fuse3 python3)
missing=()
for p in "${needed[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if (( ${#missing[@]} > 0 )); then
    echo "interop: installing ${missing[*]}" >&2
    if ! { apt-get update -qq &&
           DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
               "${missing[@]}"; } >/tmp/difs-interop-apt.log 2>&1; then
        tail -n 20 /tmp/difs-interop-apt.log >&2
        echo "interop: apt-get install ${missing[*]} failed" >&2
        exit 2
    fi
fi

exec python3 "$interop_dir/interop.py" --difs "$(realpath "$DIFS")" "$@"
