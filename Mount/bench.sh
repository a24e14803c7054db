#!/usr/bin/env bash
# The difs benchmark: builds release and prints, side by side in one run, the throughput of the
# page cache, of difs with no checks (pi=0, the transport ceiling) and with full checks (pif 0 and
# 2), random 4 KiB reads, a pi-status scan, difs check, daemon peak RSS, the CRC micro-benchmark,
# and the checked/unchecked ratios. Run as root: Mount/bench.sh [--size-mib N]. No assertions.
set -euo pipefail
cd "$(dirname "$0")/.."
DIFS_WITH_FIO=1 source scripts/deps.sh

size_mib=1024
[ "${1:-}" = "--size-mib" ] && size_mib=$2
swift build -c release 2>&1 | tail -n 1
bin=$(swift build -c release --show-bin-path)
difs=$bin/difs
work=$(mktemp -d /tmp/difs-bench.XXXXXX)
mnt=$work/mnt
mkdir "$mnt"
daemon=
cleanup() {
    mountpoint -q "$mnt" && fusermount3 -u "$mnt" 2>/dev/null || true
    [ -n "$daemon" ] && kill "$daemon" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# dd's rate in MB/s (decimal), from its last line.
mbps() { awk '/copied/ { for (i = 1; i <= NF; i++) if ($i == "s,") { t = $(i - 1) } ; b = $1 } END { printf "%.0f", b / t / 1e6 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

start_mount() {  # IMAGE OPTIONS: foreground daemon in the background, wait for the mount
    "$difs" "$1" "$mnt" -f -o "$2" 2>"$work/daemon.log" &
    daemon=$!
    for _ in $(seq 200); do grep -q " $mnt fuse.difs " /proc/self/mountinfo && return 0; sleep 0.05; done
    echo "mount failed: $(cat "$work/daemon.log")" >&2; exit 1
}
stop_mount() {
    peak_rss_kib=$(awk '/VmHWM/ { print $2 }' "/proc/$daemon/status")
    fusermount3 -u "$mnt"; wait "$daemon"; daemon=
}
read_seq() { for _ in 1 2; do dd if="$mnt/data" of=/dev/null bs=1M iflag=direct 2>&1 | mbps; echo; done | sort -n | tail -1; }
write_seq() { for _ in 1 2; do dd if=/dev/zero of="$mnt/data" bs=1M oflag=direct conv=notrunc count=$size_mib 2>&1 | mbps; echo; done | sort -n | tail -1; }
rand_iops() {
    if command -v fio >/dev/null; then
        fio --name=rand --filename="$mnt/data" --rw=randread --bs=4k --direct=1 --ioengine=psync \
            --runtime=4 --time_based --output-format=terse --terse-version=3 2>/dev/null | awk -F';' '{ print $8 }'
    else
        local blocks=$((size_mib * 256)) n=0 t0=$(date +%s.%N)
        for _ in $(seq 4000); do dd if="$mnt/data" of=/dev/null bs=4k count=1 skip=$((RANDOM * 32768 % blocks + RANDOM % 32768)) iflag=direct status=none; n=$((n + 1)); done
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

start_mount "$img16" pi=0
r0=$(read_seq); w0=$(write_seq); q0=$(rand_iops); stop_mount
start_mount "$img16" pi=1
r1=$(read_seq); w1=$(write_seq); q1=$(rand_iops)
t0=$(date +%s.%N); cat "$mnt/pi-status" >/dev/null; t1=$(date +%s.%N)
status_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
stop_mount; rss1=$peak_rss_kib
start_mount "$img64" pi=1,pif=2,logical_block_size=4096
r2=$(read_seq); w2=$(write_seq); q2=$(rand_iops); stop_mount; rss2=$peak_rss_kib
t0=$(date +%s.%N); "$difs" check "$img16" -o pi=1 >/dev/null; t1=$(date +%s.%N)
check_mbps=$(awk -v s=$size_mib -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", s * 1.048576 * 520 / 512 / (b - a) }')

# A 64 GiB sparse image: memory must not grow with the image.
sparse=$work/sparse.img
"$difs" create "$sparse" --size 64G -o pi=1 --unwritten >/dev/null
start_mount "$sparse" pi=1
cat "$mnt/pi-status" >/dev/null
dd if="$mnt/data" of=/dev/null bs=1M count=2048 iflag=direct status=none
dd if=/dev/zero of="$mnt/data" bs=1M count=256 seek=4096 oflag=direct conv=notrunc status=none
stop_mount; rss3=$peak_rss_kib

printf '\n%-58s %10s\n' "measurement" "result"
printf '%-58s %10s\n' "raw dd of the image file from page cache (MB/s)" "$raw"
printf '%-58s %10s\n' "read  data pi=0, 1 MiB direct (MB/s)" "$r0"
printf '%-58s %10s\n' "read  data pi=1 pif=0 512+8, full checks (MB/s)" "$r1"
printf '%-58s %10s\n' "read  data pi=1 pif=2 4096+16, full checks (MB/s)" "$r2"
printf '%-58s %10s\n' "write data pi=0 (MB/s)" "$w0"
printf '%-58s %10s\n' "write data pi=1 pif=0 512+8, PRACT (MB/s)" "$w1"
printf '%-58s %10s\n' "write data pi=1 pif=2 4096+16, PRACT (MB/s)" "$w2"
printf '%-58s %10s\n' "4 KiB random reads pi=0 (IOPS)" "$q0"
printf '%-58s %10s\n' "4 KiB random reads pi=1 pif=0 (IOPS)" "$q1"
printf '%-58s %10s\n' "4 KiB random reads pi=1 pif=2 4096+16 (IOPS)" "$q2"
printf '%-58s %10s\n' "cat pi-status, ${size_mib} MiB image (s)" "$status_s"
printf '%-58s %10s\n' "difs check, ${size_mib} MiB image (MB/s of image)" "$check_mbps"
printf '%-58s %10s\n' "daemon peak RSS, 512+8 image (MiB)" "$((rss1 / 1024))"
printf '%-58s %10s\n' "daemon peak RSS, 4096+16 image (MiB)" "$((rss2 / 1024))"
printf '%-58s %10s\n' "daemon peak RSS, 64 GiB sparse image (MiB)" "$((rss3 / 1024))"
echo
echo "ratios (checked / unchecked, same run):"
printf '  read  pif=0: %s   read  pif=2: %s   (target >= 0.85)\n' "$(ratio "$r1" "$r0")" "$(ratio "$r2" "$r0")"
printf '  write pif=0: %s   write pif=2: %s   (target >= 0.80)\n' "$(ratio "$w1" "$w0")" "$(ratio "$w2" "$w0")"
printf '  4 KiB random reads pif=0: %s   pif=2: %s   (target >= 0.85)\n' "$(ratio "$q1" "$q0")" "$(ratio "$q2" "$q0")"
printf '  pi=0 read / page cache: %s\n' "$(ratio "$r0" "$raw")"
echo
echo "== CRC micro-benchmark (difs-crcbench)"
"$bin/difs-crcbench"
