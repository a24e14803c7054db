#!/usr/bin/env bash
# Builds the release difs with the Swift runtime linked statically (--static-swift-stdlib), in its
# own scratch directory .build/static (so the ordinary debug and release builds stay cached),
# refuses a binary that still needs a libswift* library, and prints the binary's path.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if ! command -v swift >/dev/null 2>&1; then
    for d in /opt/swift/usr/bin /usr/share/swift/usr/bin; do
        [[ -x $d/swift ]] && PATH="$d:$PATH" && break
    done
fi
command -v swift >/dev/null || { echo "build-static.sh: no Swift toolchain (install Swift 6 from swift.org)" >&2; exit 1; }
cd "$root"
swift build -c release --static-swift-stdlib --scratch-path .build/static --product difs >&2
binary=$(swift build -c release --static-swift-stdlib --scratch-path .build/static --show-bin-path)/difs
if ldd "$binary" | grep -i 'libswift'; then
    echo "build-static.sh: $binary still links the Swift runtime dynamically (above)" >&2
    exit 1
fi
echo "$binary"
