#!/usr/bin/env bash
# The difs benchmark: builds release and prints, side by side in one run, the throughput of the
# page cache, of difs with no checks (pi=0, the transport ceiling) and with full checks (pif 0 and
# 2) mounted side by side and measured in alternation, random 4 KiB reads, a pi-status scan, difs check, daemon peak RSS, the CRC micro-benchmark,
# and the checked/unchecked ratios. Run as root: Mount/bench.sh [--size-mib N]. No assertions.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh

size_mib=1024
[ "${1:-}" = "--size-mib" ] && size_mib=$2
swift build -c release 2>&1 | tail -n 1
bin=$(swift build -c release --show-bin-path)
difs=$bin/difs
work=$(mktemp -d /tmp/difs-bench.XXXXXX)
mnt=$work/mnt      # the checked mount (and the single mounts)
mnt0=$work/mnt0    # the unchecked mount beside it
mkdir "$mnt" "$mnt0"
declare -A daemons=()
cleanup() {
    for m in "$mnt" "$mnt0"; do mountpoint -q "$m" && fusermount3 -u "$m" 2>/dev/null; done
    for pid in "${daemons[@]}"; do kill "$pid" 2>/dev/null; done
    rm -rf "$work"
}
trap cleanup EXIT

# dd's rate in MB/s (decimal), from its last line.
mbps() { awk '/copied/ { for (i = 1; i <= NF; i++) if ($i == "s,") { t = $(i - 1) } ; b = $1 } END { printf "%.0f", b / t / 1e6 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

start_mount() {  # IMAGE DIR OPTIONS: a foreground daemon in the background; wait for the mount
    "$difs" "$1" "$2" -f -o "$3" 2>"$work/daemon.log" &
    daemons[$2]=$!
    for _ in $(seq 200); do grep -q " $2 " /proc/self/mountinfo && return 0; sleep 0.05; done
    echo "mount failed: $(cat "$work/daemon.log")" >&2; exit 1
}
stop_mount() {  # DIR: sets peak_rss_kib
    peak_rss_kib=$(awk '/VmHWM/ { print $2 }' "/proc/${daemons[$1]}/status")
    fusermount3 -u "$1"; wait "${daemons[$1]}"; unset "daemons[$1]"
}
# Dirty pages are flushed before each run, so no run pays for the writeback of the one before.
read_seq() { sync; dd if="$1/data" of=/dev/null bs=1M iflag=direct 2>&1 | mbps; }
write_seq() { sync; dd if=/dev/zero of="$1/data" bs=1M oflag=direct conv=notrunc count=$size_mib 2>&1 | mbps; }
rand_iops() {
    if command -v fio >/dev/null; then
        fio --name=rand --filename="$1/data" --rw=randread --bs=4k --direct=1 --ioengine=psync \
            --runtime=2 --time_based --output-format=terse --terse-version=3 2>/dev/null | awk -F';' '{ print $8 }'
    else
        local blocks=$((size_mib * 256)) n=0 t0 ; t0=$(date +%s.%N)
        for _ in $(seq 2000); do dd if="$1/data" of=/dev/null bs=4k count=1 skip=$(( (RANDOM * 32768 + RANDOM) % blocks )) iflag=direct status=none; n=$((n + 1)); done
        awk -v n=$n -v t0="$t0" -v t1="$(date +%s.%N)" 'BEGIN { printf "%.0f", n / (t1 - t0) }'
    fi
}

echo "== images: ${size_mib} MiB of data each"
img16=$work/pif0.img; img64=$work/pif2.img
t0=$(date +%s.%N)
"$difs" create "$img16" --size ${size_mib}M -o pi=1 --fill random --seed 7 >/dev/null
t1=$(date +%s.%N)
"$difs" create "$img64" --size ${size_mib}M -o pi=1,pif=2,logical_block_size=4096 --fill random --seed 7 >/dev/null
echo "difs create --fill random (512+8): $(awk -v s=$size_mib -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", s * 1.048576 / (b - a) }') MB/s"

cat "$img16" >/dev/null
raw=$(dd if="$img16" of=/dev/null bs=1M 2>&1 | mbps)

# Side by side: the image mounted with full checks (pi=1) and a copy of it mounted with pi=0, at
# the same time; each round measures one then the other, five rounds, medians. Writes come
# after reads (zeros with PRACT keep the checked image valid).
rounds=5
measure() {  # IMAGE FORMAT-OPTIONS -> sets r1 w1 q1 r0 w0 q0 rss
    cp "$1" "$work/unchecked.img"
    start_mount "$1" "$mnt" "pi=1,$2"
    start_mount "$work/unchecked.img" "$mnt0" "pi=0,$2"
    local a=() b=() c=() d=() e=() f=()
    for _ in $(seq $rounds); do a+=("$(read_seq "$mnt")"); b+=("$(read_seq "$mnt0")"); done
    for _ in $(seq $rounds); do c+=("$(rand_iops "$mnt")"); d+=("$(rand_iops "$mnt0")"); done
    for _ in $(seq $rounds); do e+=("$(write_seq "$mnt")"); f+=("$(write_seq "$mnt0")"); done
    r1=$(median "${a[@]}"); r0=$(median "${b[@]}"); q1=$(median "${c[@]}"); q0=$(median "${d[@]}")
    w1=$(median "${e[@]}"); w0=$(median "${f[@]}")
    stop_mount "$mnt"; rss=$peak_rss_kib
    stop_mount "$mnt0"
    rm -f "$work/unchecked.img"
}
measure "$img16" pif=0
r16=$r1 w16=$w1 q16=$q1 r16u=$r0 w16u=$w0 q16u=$q0 rss1=$rss
measure "$img64" pif=2,logical_block_size=4096
r64=$r1 w64=$w1 q64=$q1 r64u=$r0 w64u=$w0 q64u=$q0 rss2=$rss
start_mount "$img16" "$mnt" pi=1
t0=$(date +%s.%N); cat "$mnt/pi-status" >/dev/null; t1=$(date +%s.%N)
status_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
stop_mount "$mnt"
t0=$(date +%s.%N); "$difs" check "$img16" -o pi=1 >/dev/null; t1=$(date +%s.%N)
check_mbps=$(awk -v s=$size_mib -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", s * 1.048576 * 520 / 512 / (b - a) }')

# A 64 GiB sparse image: memory must not grow with the image.
sparse=$work/sparse.img
"$difs" create "$sparse" --size 64G -o pi=1 --unwritten >/dev/null
start_mount "$sparse" "$mnt" pi=1
cat "$mnt/pi-status" >/dev/null
dd if="$mnt/data" of=/dev/null bs=1M count=2048 iflag=direct status=none
dd if=/dev/zero of="$mnt/data" bs=1M count=256 seek=4096 oflag=direct conv=notrunc status=none
stop_mount "$mnt"; rss3=$peak_rss_kib

row() { printf '%-50s %12s %12s %8s\n' "$@"; }
echo
row "(medians of $rounds alternating rounds)" "checked" "pi=0" "ratio"
row "read  1 MiB direct, 512+8 pif=0 (MB/s)" "$r16" "$r16u" "$(ratio "$r16" "$r16u")"
row "read  1 MiB direct, 4096+16 pif=2 (MB/s)" "$r64" "$r64u" "$(ratio "$r64" "$r64u")"
row "write 1 MiB direct, 512+8 pif=0 (MB/s)" "$w16" "$w16u" "$(ratio "$w16" "$w16u")"
row "write 1 MiB direct, 4096+16 pif=2 (MB/s)" "$w64" "$w64u" "$(ratio "$w64" "$w64u")"
row "4 KiB random reads, 512+8 pif=0 (IOPS)" "$q16" "$q16u" "$(ratio "$q16" "$q16u")"
row "4 KiB random reads, 4096+16 pif=2 (IOPS)" "$q64" "$q64u" "$(ratio "$q64" "$q64u")"
echo "targets: read >= 0.85, write >= 0.80, random read >= 0.85; pi=0 read >= 4000 MB/s"
echo
printf '%-58s %10s\n' "raw dd of the image file from page cache (MB/s)" "$raw"
printf '%-58s %10s\n' "pi=0 read / page cache" "$(ratio "$r16u" "$raw")"
printf '%-58s %10s\n' "cat pi-status, ${size_mib} MiB image (s)" "$status_s"
printf '%-58s %10s\n' "difs check, ${size_mib} MiB image (MB/s of image)" "$check_mbps"
printf '%-58s %10s\n' "daemon peak RSS, 512+8 image (MiB)" "$((rss1 / 1024))"
printf '%-58s %10s\n' "daemon peak RSS, 4096+16 image (MiB)" "$((rss2 / 1024))"
printf '%-58s %10s\n' "daemon peak RSS, 64 GiB sparse image (MiB)" "$((rss3 / 1024))"
echo
echo "== CRC micro-benchmark (difs-crcbench)"
"$bin/difs-crcbench"
