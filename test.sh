#!/usr/bin/env bash
# The whole test suite: unit tests (swift test), the real-mount shell suite (Mount/run.sh, as
# root), then the interoperability harness (Mount/interop/run.sh: QEMU's NVMe controller and a
# Linux guest). Installs missing packages first. Exits 0 only when every suite passed; ends with
# the two runners' "N passed, N failed" lines.
set -uo pipefail
cd "$(dirname "$0")"
source scripts/deps.sh
set +e  # deps.sh sets -e; every suite runs even when an earlier one failed

swift build 2>&1 | tail -n 3 || exit 1
# Unit tests: failures in full, then swift test's own summary lines.
swift test 2>&1 | grep -E '✘|error:|Test run with|Executed [0-9]+ test'
unit=${PIPESTATUS[0]}

difs_bin="$(swift build --show-bin-path)/difs"
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

DIFS=$difs_bin bash Mount/run.sh | tee "$logs/mount"
mount_status=${PIPESTATUS[0]}

DIFS=$difs_bin bash Mount/interop/run.sh | tee "$logs/interop"
interop_status=${PIPESTATUS[0]}

echo "mount: $(tail -n 1 "$logs/mount")"
echo "interop: $(tail -n 1 "$logs/interop")"
[ "$unit" -eq 0 ] && [ "$mount_status" -eq 0 ] && [ "$interop_status" -eq 0 ]
