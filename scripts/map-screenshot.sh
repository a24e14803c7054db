#!/usr/bin/env bash
# Rebuilds docs/map.png, the README's picture of `difs map`: a 16 Ki-block image with clustered
# damage (a guard error every 64 blocks in one region, a run of wrong reftags, escapes, two apptag
# errors, an unwritten tail), drawn as SVG and photographed by headless Chromium.
# Usage: DIFS=path/to/difs scripts/map-screenshot.sh   (installs chromium when missing; as root)
set -euo pipefail
cd "$(dirname "$0")/.."
DIFS=$(realpath "${DIFS:-$(swift build --show-bin-path)/difs}")
command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
img=$work/demo.img
"$DIFS" create "$img" --blocks 16384 --fill random --seed 7 -o prchk=all >/dev/null
for lba in $(seq 2048 64 3000); do "$DIFS" inject "$img" --lba "$lba" --field guard --bit 3 >/dev/null; done
for lba in $(seq 6000 6100); do "$DIFS" inject "$img" --lba "$lba" --field reftag --value 0 >/dev/null; done
for lba in 9000 9001 9002 12000; do "$DIFS" inject "$img" --lba "$lba" --field apptag --value 0xffff >/dev/null; done
for lba in 10500 10501; do "$DIFS" inject "$img" --lba "$lba" --field apptag --value 7 >/dev/null; done
fallocate -p -o $(( 13312 * 512 )) -l $(( 3072 * 512 )) "$img"
(cd "$work" && "$DIFS" map demo.img -o prchk=all --svg demo.svg) || [[ $? == 1 ]]
size=$(sed -nE '2s/.* width="([0-9]+)" height="([0-9]+)".*/\1,\2/p' "$work/demo.svg")
chromium --headless=new --no-sandbox --disable-gpu --hide-scrollbars --window-size="$size" \
    --screenshot="$PWD/docs/map.png" "file://$work/demo.svg" 2>/dev/null
echo "docs/map.png ($size)"
