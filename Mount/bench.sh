#!/usr/bin/env bash
# The difs benchmark: every figure a ratio taken side by side in one run. The baseline is what a
# user would pick instead of difs: a minimal C libfuse3 passthrough (Mount/passthrough.c, built
# here with cc) showing the image file with pread/pwrite, direct I/O, the same max_write and the
# same request loop. Each pair is measured in alternation (difs then baseline, then baseline then
# difs, ...), for --rounds rounds (at least 5); a row shows the medians, the median of the
# per-round ratios and their range, so a neighbour's burst of CPU spoils one round, not the row.
# Under each row with a target: the ceiling this machine sets for it (Mount/floor.c, built here).
#
# Run as root:  Mount/bench.sh [--quick] [--only NAME[,NAME...]] [--size-mib N] [--rounds N]
#                              [--fio-seconds S] [--ext4-dir DIR]
# Sections (NAME): seq rand sparse mount loop scan crc. --quick: 256 MiB, 1 s fio runs, only the
# sections with targets (seq rand sparse mount). It asserts nothing and exits 0; tests never run it.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh

size_mib= rounds=5 fio_seconds= ext4_dir= quick=0 sections=
while (($#)); do
    case $1 in
        --quick) quick=1 ;;
        --only) sections=${2//,/ }; shift ;;
        --size-mib) size_mib=$2; shift ;;
        --rounds) rounds=$2; shift ;;
        --fio-seconds) fio_seconds=$2; shift ;;
        --ext4-dir) ext4_dir=$2; shift ;;
        -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench.sh: $1: unknown argument (--help lists them)" >&2; exit 2 ;;
    esac
    shift
done
# --quick sets what the other flags leave unset.
if ((quick)); then
    : "${size_mib:=256}" "${fio_seconds:=1}" "${sections:=seq rand sparse mount}"
fi
: "${size_mib:=1024}" "${fio_seconds:=2}" "${sections:=seq rand sparse mount loop scan crc}"
for s in $sections; do
    case " seq rand sparse mount loop scan crc " in *" $s "*) ;; *) echo "bench.sh: --only $s: no such section" >&2; exit 2 ;; esac
done
(( rounds >= 5 )) || echo "bench.sh: note: --rounds $rounds is below the 5 the targets are defined with" >&2
want() { [[ " $sections " == *" $1 "* ]]; }
[ "$(id -u)" -eq 0 ] || { echo "bench.sh: run as root (it mounts)" >&2; exit 2; }

swift build -c release 2>&1 | tail -n 1
bin=$(swift build -c release --show-bin-path)
difs=$bin/difs
work=$(mktemp -d /tmp/difs-bench.XXXXXX)        # mount points, logs, the passthrough binary
shm=$(mktemp -d /dev/shm/difs-bench.XXXXXX)     # images (tmpfs)
passthrough=$work/passthrough
cc -O2 -Wall -o "$passthrough" Mount/passthrough.c $(pkg-config --cflags --libs fuse3) -lpthread
floor=$work/floor
cc -O2 -Wall -I Sources/CDifsCRC/include -o "$floor" Mount/floor.c Sources/CDifsCRC/*.c -lpthread
ncpu=$(nproc)
declare -A pid_of=()
loop_dev= ext4_mnt= ext4_made=
cleanup() {
    set +e
    for d in "${!pid_of[@]}"; do fusermount3 -u -z "$d" 2>/dev/null; kill "${pid_of[$d]}" 2>/dev/null; done
    wait 2>/dev/null
    [ -n "$ext4_made" ] && rm -rf "$ext4_made"
    [ -n "$ext4_mnt" ] && umount "$ext4_mnt" 2>/dev/null
    [ -n "$loop_dev" ] && losetup -d "$loop_dev" 2>/dev/null
    rm -rf "$work" "$shm"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- numbers
now_ns() { date +%s%N; }
mbps() { awk '/copied/ { for (i = 1; i <= NF; i++) if ($i == "s,") t = $(i - 1); b = $1 } END { printf "%.0f", b / t / 1e6 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }'; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
minimum() { printf '%s\n' "$@" | sort -g | head -n 1; }
maximum() { printf '%s\n' "$@" | sort -g | tail -n 1; }
f2() { awk -v v="$1" 'BEGIN { printf "%.2f", v }'; }
f0() { awk -v v="$1" 'BEGIN { printf "%.0f", v }'; }

# pair CMD_A CMD_B: $rounds rounds, alternating which goes first; each CMD prints one number.
# Sets pa, pb (medians), pr (median of the per-round ratios A/B), prlo, prhi (their range).
pair() {
    local a=() b=() r=() i x y
    for ((i = 0; i < rounds; i++)); do
        if ((i % 2 == 0)); then x=$(eval "$1"); y=$(eval "$2"); else y=$(eval "$2"); x=$(eval "$1"); fi
        a+=("$x"); b+=("$y"); r+=("$(ratio "$x" "$y")")
    done
    pa=$(median "${a[@]}"); pb=$(median "${b[@]}"); pr=$(median "${r[@]}")
    prlo=$(minimum "${r[@]}"); prhi=$(maximum "${r[@]}")
}

# ---- report: rows as they are measured, targets again at the end
summary=()
header() { echo; echo "== $1"; printf '%-52s %10s %10s %6s %-11s %s\n' "" "${2-difs}" "${3-baseline}" "${4-ratio}" "(range)" target; }
# row LABEL [OP TARGET]: prints the last pair; OP is >= (ratio targets).
row() {
    local verdict=""
    if [ -n "${2:-}" ]; then
        verdict="$2 $3 $(awk -v r="$pr" -v t="$3" 'BEGIN { print (r >= t ? "PASS" : "MISS") }')"
        summary+=("$(printf '%-68s %6s  %s' "$1" "$(f2 "$pr")" "$verdict")")
    fi
    printf '%-52s %10s %10s %6s %-11s %s\n' "$1" "$pa" "$pb" "$(f2 "$pr")" "($(f2 "$prlo")-$(f2 "$prhi"))" "$verdict"
}
# limit LABEL UNIT OP BOUND VALUES...: an absolute figure (median of VALUES, with their range)
# against a bound (OP is <).
limit() {
    local label=$1 unit=$2 op=$3 bound=$4; shift 4
    local m verdict; m=$(median "$@")
    verdict=$(awk -v v="$m" -v b="$bound" 'BEGIN { print (v < b ? "PASS" : "MISS") }')
    summary+=("$(printf '%-68s %6s  %s %s %s %s' "$label ($unit)" "$m" "$op" "$bound" "$unit" "$verdict")")
    printf '%-52s %10s %-10s %6s %-11s %s\n' "$label ($unit)" "$m" "" "" "($(minimum "$@")-$(maximum "$@"))" "$op $bound $verdict"
}

# ---- daemons: difs and the passthrough, in the foreground in the background, logs in $work
# mount_fs difs|pt IMAGE DIR [ARGS...]: waits (30 s at most) until DIR/data exists.
mount_fs() {
    local kind=$1 image=$2 dir=$3 prog=$difs; shift 3
    [ "$kind" = pt ] && prog=$passthrough
    mkdir -p "$dir"
    "$prog" "$image" "$dir" -f "$@" >>"$work/$kind.log" 2>&1 &
    pid_of[$dir]=$!
    local end=$(( $(now_ns) + 30000000000 ))
    until [ -e "$dir/data" ]; do
        if ! kill -0 "${pid_of[$dir]}" 2>/dev/null || (( $(now_ns) > end )); then
            echo "bench.sh: $kind $image $dir $*: not mounted; its log:" >&2; tail -n 5 "$work/$kind.log" >&2; exit 1
        fi
        sleep 0.002
    done
}
# umount_fs DIR: sets hwm_kib (the daemon's peak RSS, VmHWM) first.
umount_fs() {
    hwm_kib=$(awk '/VmHWM/ { print $2 }' "/proc/${pid_of[$1]}/status")
    fusermount3 -u "$1"; wait "${pid_of[$1]}" || true; unset "pid_of[$1]"
}
# pin DIR CPUS: every thread of the daemon on DIR (new threads inherit it from their creator).
pin() { taskset -apc "$2" "${pid_of[$1]}" >/dev/null; }
unpin() { pin "$1" "0-$((ncpu - 1))"; }

# ---- workloads (each prints one number); dirty pages are flushed before writes, untimed
read_seq() { dd if="$1/data" of=/dev/null bs=1M count="${2:-$size_mib}" iflag=direct 2>&1 | mbps; }
write_seq() { sync; dd if=/dev/zero of="$1/data" bs=1M count="${2:-$size_mib}" oflag=direct conv=notrunc 2>&1 | mbps; }
# fio_iops FILE JOBS [CPU]: 4 KiB random reads, psync (QD1 per job), over the first size_mib MiB.
fio_iops() {
    local pinning=(); [ -n "${3:-}" ] && pinning=(taskset -c "$3")
    "${pinning[@]}" fio --name=rand --filename="$1" --rw=randread --bs=4k --direct=1 --ioengine=psync \
        --numjobs="$2" --group_reporting --size="${size_mib}M" --runtime="$fio_seconds" --time_based \
        --output-format=terse --terse-version=3 2>/dev/null | awk -F';' '{ printf "%.0f", $8 }'
}

# ---- images, made once per run and per format (difs create: valid PI, random data)
fmt_512="pi=1,pif=0,logical_block_size=512"
fmt_4096="pi=1,pif=2,logical_block_size=4096,ms=16"
image() {  # image 512|4096: path of a filled image in /dev/shm, made on first use
    local f=fmt_$1 path=$shm/filled-$1.img
    [ -e "$path" ] || "$difs" create "$path" --size "${size_mib}M" -o "${!f}" --fill random --seed 7 >/dev/null
    echo "$path"
}
label_512="512+8 pif=0"; label_4096="4096+16 pif=2"

# ---- ceilings: what a check must add, whatever difs's code. A checked read does what the
# passthrough does plus a pread of the blocks' metadata (the separate layout keeps it after the
# data) and a CRC over every byte; Mount/floor.c times exactly that in plain C on this CPU's
# fastest CRC path, per request, in the same run ("extra"). A PRACT write adds at least the CRC
# (difs-crcbench, batched as difs calls it). With t the passthrough's time per request (1 MiB /
# its MB/s; 1 / its IOPS; with every CPU busy, 4 jobs, ncpu / IOPS of CPU), difs / passthrough
# can reach at most t / (t + extra). Printed under each row with a target, so a MISS says whether
# the target is reachable on this machine at all.
floor_args_512="512 8 16" floor_args_4096="4096 16 64"
crc_algo_512=crc16-t10dif crc_block_512=512 crc_algo_4096=crc64-nvme crc_block_4096=4096
floor_ns() {  # floor_ns 512|4096 REQUEST_BYTES: a checked read's extra ns per request
    local args=floor_args_$1
    # shellcheck disable=SC2086
    "$floor" "$(image "$1")" ${!args} "$2" | awk '{ print $1 }'
}
crc_ns() {  # crc_ns 512|4096: ns for the guards of 1 MiB, measured now
    local a=crc_algo_$1 b=crc_block_$1
    "$bin/difs-crcbench" --path auto --algo "${!a}" | awk -v b="${!b}" '$3 == b && $5 == "batch" { print 1048576 / $6 }'
}
# ceiling WHAT T_NS EXTRA_NS TARGET: the row under the last one, and a summary line.
ceiling() {
    local c verdict
    c=$(awk -v t="$2" -v x="$3" 'BEGIN { printf "%.3f", t / (t + x) }')
    verdict=$(awk -v c="$c" -v t="$4" 'BEGIN { print (c >= t ? "target below it" : "TARGET ABOVE IT") }')
    printf '%-52s %10s %10s %6s %-11s %s\n' "  ceiling: $1 ($(f0 "$3") ns)" "" "" "$(f2 "$c")" "" "$verdict"
    summary+=("$(printf '%-68s %6s  %s' "  ceiling on this machine: $1" "$(f2 "$c")" "$verdict")")
}
per_mib_ns() { awk -v m="$1" 'BEGIN { print 1048576 / m * 1000 }'; }   # MB/s -> ns per 1 MiB request
per_io_ns() { awk -v i="$1" -v n="${2:-1}" 'BEGIN { print n * 1e9 / i }'; }  # IOPS [CPUS] -> ns per request

echo "difs bench: ${size_mib} MiB, $rounds rounds, fio ${fio_seconds} s, sections: $sections"
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $ncpu CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg), $(uname -r), libfuse $(pkg-config --modversion fuse3)"
echo "ratios are difs / baseline (sparse: sparse / filled); (range) = lowest and highest per-round ratio"

# ---- seq: 1 MiB direct reads and PRACT writes, difs checked vs passthrough on the same image
if want seq; then
    a=$work/a b=$work/b
    for g in 512 4096; do
        img=$(image $g); f=fmt_$g; l=label_$g
        mount_fs difs "$img" "$a" -o "${!f}"
        mount_fs pt "$img" "$b"
        header "seq: 1 MiB direct, ${!l}, difs checked vs passthrough, image in /dev/shm (MB/s)"
        pair "read_seq $a" "read_seq $b"; row "read 1 MiB, ${!l}" ">=" 0.95
        ceiling "metadata pread + CRC" "$(per_mib_ns "$pb")" "$(floor_ns $g 1048576)" 0.95
        # zeros: difs writes them with their PI, the passthrough writes the same bytes again
        pair "write_seq $a" "write_seq $b"; row "PRACT write 1 MiB, ${!l}" ">=" 0.90
        ceiling "CRC" "$(per_mib_ns "$pb")" "$(crc_ns $g)" 0.90
        umount_fs "$a"; rss_checked=$hwm_kib
        umount_fs "$b"
        mount_fs difs "$img" "$a" -o "${!f/pi=1/pi=0}"
        mount_fs pt "$img" "$b"
        pair "read_seq $a" "read_seq $b"; row "read 1 MiB, ${!l}, difs pi=0"
        pair "write_seq $a" "write_seq $b"; row "write 1 MiB, ${!l}, difs pi=0"
        umount_fs "$a"; umount_fs "$b"
        echo "daemon peak RSS, checked mount: $((rss_checked / 1024)) MiB"
    done
fi

# ---- rand: 4 KiB random reads, QD1 pinned two ways and 4 jobs unpinned
# rand_rows DIFS_DIR PT_DIR LABEL [TARGETS 512|4096]: the three placements (with the targets and
# their ceilings for that format when TARGETS is given).
rand_rows() {
    local a=$1 b=$2 l=$3 targets=${4:-} g=${5:-}
    pin "$a" 0; pin "$b" 0
    pair "fio_iops $a/data 1 0" "fio_iops $b/data 1 0"
    if [ -n "$targets" ]; then
        row "QD1 pinned, same CPU, $l" ">=" 0.95
        ceiling "metadata pread + CRC" "$(per_io_ns "$pb")" "$(floor_ns "$g" 4096)" 0.95
    else row "QD1 pinned, same CPU, $l"; fi
    if ((ncpu > 1)); then
        pin "$a" 1; pin "$b" 1
        pair "fio_iops $a/data 1 0" "fio_iops $b/data 1 0"; row "QD1 pinned, different CPUs, $l"
    fi
    unpin "$a"; unpin "$b"
    pair "fio_iops $a/data 4" "fio_iops $b/data 4"
    if [ -n "$targets" ]; then
        row "4 jobs unpinned, $l" ">=" 0.90
        ceiling "metadata pread + CRC" "$(per_io_ns "$pb" "$ncpu")" "$(floor_ns "$g" 4096)" 0.90
    else row "4 jobs unpinned, $l"; fi
}
if want rand; then
    a=$work/a b=$work/b
    header "rand: 4 KiB random checked reads, fio psync, difs vs passthrough (IOPS)"
    for g in 512 4096; do
        img=$(image $g); f=fmt_$g; l=label_$g
        mount_fs difs "$img" "$a" -o "${!f}"
        mount_fs pt "$img" "$b"
        rand_rows "$a" "$b" "${!l}" targets "$g"
        umount_fs "$a"; umount_fs "$b"
    done
fi

# ---- the ext4 directory for sparse and mount: --ext4-dir, else a loop-mounted ext4 file system
# backed by a file in /dev/shm (no dependence on the disk or its other users, and no `discard`
# mount option, which makes freeing 100,000 extents take minutes).
ext4_dir_ready() {
    [ -n "$ext4_made" ] && return 0
    if [ -z "$ext4_dir" ]; then
        truncate -s $(( size_mib * 3 + 1536 ))M "$shm/ext4.fs"
        mkfs.ext4 -q -F "$shm/ext4.fs"
        loop_dev=$(losetup --find --show "$shm/ext4.fs")
        ext4_mnt=$work/ext4; mkdir "$ext4_mnt"; mount "$loop_dev" "$ext4_mnt"
        ext4_dir=$ext4_mnt
    fi
    ext4_made=$(mktemp -d "$(realpath "$ext4_dir")/difs-bench.XXXXXX")
    echo "ext4 directory: $ext4_made ($(stat -f -c %T "$ext4_made")${loop_dev:+, on $loop_dev backed by /dev/shm})"
}

# ---- sparse: an image created with truncate -s, first half written through difs, against a
# filled image mounted beside it; reads and rewrites of the written half (4096+8, as in issue 8)
if want sparse; then
    ext4_dir_ready
    a=$work/a b=$work/b half=$((size_mib / 2))
    fmt="logical_block_size=4096"
    for where in tmpfs ext4; do
        dir=$shm; [ $where = ext4 ] && dir=$ext4_made
        truncate -s $(( size_mib * 1024 * 1024 / 4096 * (4096 + 8) )) "$dir/sparse.img"
        "$difs" create "$dir/filled.img" --size "${size_mib}M" -o "$fmt" --fill random --seed 9 >/dev/null
        mount_fs difs "$dir/sparse.img" "$a" -o "$fmt"
        mount_fs difs "$dir/filled.img" "$b" -o "$fmt"
        first=$(write_seq "$a" $half)
        header "sparse on $where: 4096+8, ${half} MiB of ${size_mib} MiB written (first write into the holes: ${first} MB/s)" sparse filled
        pair "read_seq $a $half" "read_seq $b $half"; row "read written half, $where (MB/s)" ">=" 0.95
        pair "write_seq $a $half" "write_seq $b $half"; row "rewrite written half, $where (MB/s)" ">=" 0.95
        umount_fs "$a"; umount_fs "$b"
        rm -f "$dir/sparse.img" "$dir/filled.img"
    done
fi

# ---- mount: time to mount and answer a first read, and peak RSS, of a 64 TiB sparse image and
# of an image with 100,000 data extents (every other 4 KiB unit written), medians of $rounds
# mount_once IMAGE DIR ARGS...: sets mount_ms, the milliseconds from starting difs to the end of a
# 4 KiB read of unit 1 (a hole in both images); leaves the mount up. (Not in a subshell: the
# daemon would hold the command substitution's pipe open.)
mount_once() {
    local image=$1 dir=$2; shift 2
    local t0; t0=$(now_ns)
    mount_fs difs "$image" "$dir" "$@"
    dd if="$dir/data" of=/dev/null bs=4k skip=1 count=1 iflag=direct status=none
    mount_ms=$(awk -v t=$(( $(now_ns) - t0 )) 'BEGIN { printf "%.0f", t / 1e6 }')
}
# mount_rows LABEL IMAGE WORKLOAD ARGS...: $rounds mounts; WORKLOAD runs on the mount before
# the RSS is read.
mount_rows() {
    local label=$1 image=$2 workload=$3; shift 3
    local ms=() rss=() i a=$work/a
    for ((i = 0; i < rounds; i++)); do
        mount_once "$image" "$a" "$@"; ms+=("$mount_ms")
        $workload "$a"
        umount_fs "$a"; rss+=("$hwm_kib")
    done
    limit "mount + first read, $label" ms "<" "$mount_limit_ms" "${ms[@]}"
    local mib=() k; for k in "${rss[@]}"; do mib+=($((k / 1024))); done
    limit "daemon peak RSS (highest of $rounds), $label" MiB "<" 64 "$(maximum "${mib[@]}")"
}
# Scattered I/O over a huge image: reads and writes at 1/8, 3/8, ... of it.
huge_workload() {
    local dir=$1 size blocks k; size=$(stat -c %s "$dir/data"); blocks=$((size / 1048576))
    for k in 1 3 5 7; do
        dd if=/dev/zero of="$dir/data" bs=1M seek=$((blocks * k / 8)) count=4 oflag=direct conv=notrunc status=none
        dd if="$dir/data" of=/dev/null bs=1M skip=$((blocks * k / 8 - 2)) count=16 iflag=direct status=none
    done
}
# The fragmented image: every block read, pi-status scanned, new extents written.
fragmented_workload() {
    local dir=$1
    dd if="$dir/data" of=/dev/null bs=1M iflag=direct status=none
    cat "$dir/pi-status" >/dev/null
    dd if=/dev/zero of="$dir/data" bs=4k seek=3 count=1 oflag=direct conv=notrunc status=none
}
# make_fragmented FILE: 512+8, 1,576,000 blocks (819,520,000 bytes): zeros in every other 4 KiB
# unit; zero data and zero tuples pass prchk=guard (the CRC of zeros is 0). Prints its extents.
make_fragmented() {
    python3 - "$1" <<'EOF'
import os, sys
path, size = sys.argv[1], 1_576_000 * 520
fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
os.ftruncate(fd, size)
zeros = bytes(4096)
for unit in range(0, size // 4096, 2):
    os.pwrite(fd, zeros, unit * 4096)
os.fsync(fd)
extents, pos = 0, 0
while True:
    try:
        pos = os.lseek(fd, pos, os.SEEK_DATA)
    except OSError:
        break
    pos = os.lseek(fd, pos, os.SEEK_HOLE)
    extents += 1
print(extents)
EOF
}
if want mount; then
    ext4_dir_ready
    header "mount: 512+8, time to mount and read 4 KiB, peak RSS after some I/O" median "" ""
    echo "-- a 64 TiB sparse image (truncate -s), tmpfs (ext4 files end at 16 TiB)"
    truncate -s $(( 64 * 1024 * 1024 * 1024 * 1024 / 512 * 520 )) "$shm/huge.img"
    mount_limit_ms=500 mount_rows "64 TiB sparse, tmpfs" "$shm/huge.img" huge_workload
    rm -f "$shm/huge.img"
    for where in tmpfs ext4; do
        dir=$shm; [ $where = ext4 ] && dir=$ext4_made
        extents=$(make_fragmented "$dir/fragmented.img")
        echo "-- $extents data extents (SEEK_DATA/SEEK_HOLE), 800 MB image on $where"
        mount_limit_ms=2000 mount_rows "$extents extents, $where" "$dir/fragmented.img" fragmented_workload -o prchk=guard
        rm -f "$dir/fragmented.img" &  # freeing 100,000 extents takes ext4 a while; not timed
        removing=$!
    done
    wait "$removing"
fi

# ---- loop: the request loop. Each candidate is measured twice, side by side: against the
# passthrough configured alike (what the loop costs difs), and against difs's default loop mounted
# beside it on a copy of the image (which loop is faster for difs: the choice of the default).
loop_candidates=("-s" "-o max_threads=2" "-o max_threads=4" "-o max_idle_threads=1" "-o clone_fd")
if want loop; then
    a=$work/a b=$work/b c=$work/c img=$(image 512)
    cp "$img" "$shm/copy.img"
    mount_fs difs "$shm/copy.img" "$c" -o "$fmt_512"
    header "loop: request loop candidates, 4 KiB random checked reads, 512+8 (IOPS)" candidate other
    for config in "${loop_candidates[@]}"; do
        # shellcheck disable=SC2086
        mount_fs difs "$img" "$a" -o "$fmt_512" $config
        # shellcheck disable=SC2086
        mount_fs pt "$img" "$b" $config
        echo "-- difs $config against the passthrough $config"
        rand_rows "$a" "$b" "$config"
        umount_fs "$b"
        echo "-- difs $config against difs's default loop"
        rand_rows "$a" "$c" "$config vs default"
        umount_fs "$a"
    done
    umount_fs "$c"
    rm -f "$shm/copy.img"
fi

# ---- scan: page cache, pi-status, difs check (absolute figures)
if want scan; then
    img=$(image 512) a=$work/a
    echo; echo "== scan: ${size_mib} MiB 512+8 image in /dev/shm"
    cat "$img" >/dev/null
    printf '%-58s %10s\n' "raw dd of the image file (MB/s)" "$(dd if="$img" of=/dev/null bs=1M 2>&1 | mbps)"
    mount_fs difs "$img" "$a" -o "$fmt_512"
    t0=$(now_ns); cat "$a/pi-status" >/dev/null; t1=$(now_ns)
    umount_fs "$a"
    printf '%-58s %10s\n' "cat pi-status (s)" "$(awk -v t=$((t1 - t0)) 'BEGIN { printf "%.3f", t / 1e9 }')"
    t0=$(now_ns); "$difs" check "$img" -o "$fmt_512" >/dev/null || true; t1=$(now_ns)
    printf '%-58s %10s\n' "difs check (MB/s of image)" \
        "$(awk -v t=$((t1 - t0)) -v b="$(stat -c %s "$img")" 'BEGIN { printf "%.0f", b / (t / 1e9) / 1e6 }')"
fi

if want crc; then
    echo; echo "== crc: CRC micro-benchmark (difs-crcbench)"
    "$bin/difs-crcbench"
fi

if ((${#summary[@]})); then
    echo; echo "== targets (load average now $(cut -d' ' -f1-3 /proc/loadavg))"
    printf '%s\n' "${summary[@]}"
fi
exit 0
