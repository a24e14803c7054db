#!/usr/bin/env bash
# The whole test suite: unit tests (swift test), then the real-mount shell suite (Mount/run.sh, as root).
# Installs missing packages first. Ends with the mount runner's "N passed, N failed" line.
set -uo pipefail
cd "$(dirname "$0")"
source scripts/deps.sh

swift build 2>&1 | tail -n 3 || exit 1
# Unit tests: failures in full, then swift test's own summary lines.
swift test 2>&1 | grep -E '✘|error:|Test run with|Executed [0-9]+ test'
unit=${PIPESTATUS[0]}

DIFS="$(swift build --show-bin-path)/difs" bash Mount/run.sh
mount_status=$?
[ "$unit" -eq 0 ] && [ "$mount_status" -eq 0 ]
