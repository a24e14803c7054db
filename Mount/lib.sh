# lib.sh: helpers sourced by every Mount/cases/*.sh: find difs, mount it in the foreground with
# its log, wait on /proc/self/mountinfo with a deadline, assert failures one at a time, clean up.
#
# A case runs in a fresh empty directory (its CASE_DIR, the current directory when run by
# Mount/run.sh) and exits 0 (pass), 77 (skip) or anything else (fail).
# shellcheck shell=bash

set -euo pipefail

MOUNT_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CASE_DIR=${CASE_DIR:-$PWD}
DEADLINE_SECONDS=${DEADLINE_SECONDS:-15}

skip() { echo "SKIP: $*" >&2; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
note() { echo "# $*"; }

[[ $(id -u) -eq 0 ]] || skip "needs root"
[[ -c /dev/fuse ]] || skip "no /dev/fuse"
command -v fusermount3 >/dev/null || skip "no fusermount3"
[[ -n ${DIFS:-} ]] || fail "DIFS is not set: point it at the difs binary"
[[ -x $DIFS ]] || fail "DIFS=$DIFS is not an executable file"

# The independent fixture generator and checker.
gen() { python3 "$MOUNT_LIB_DIR/gen.py" "$@"; }

file_size() { stat -c %s "$1"; }

now_ns() { date +%s%N; }

# wait_until SECONDS CMD...: polls CMD until it succeeds; returns 1 once SECONDS have passed.
wait_until() {
    local limit=$1; shift
    local end=$(( $(now_ns) + limit * 1000000000 ))
    until "$@"; do
        (( $(now_ns) < end )) || return 1
        sleep 0.02
    done
}

# is_mounted DIR: DIR is a mount point now (field 5 of /proc/self/mountinfo).
is_mounted() {
    local dir; dir=$(realpath -m "$1")
    awk -v d="$dir" '$5 == d { found = 1 } END { exit !found }' /proc/self/mountinfo
}

# mount_count DIR: how many mounts are stacked on DIR.
mount_count() {
    local dir; dir=$(realpath -m "$1")
    awk -v d="$dir" '$5 == d { n++ } END { print n + 0 }' /proc/self/mountinfo
}

# mount_options DIR: the per-mount options (field 6) of the top mount on DIR.
mount_options() {
    local dir; dir=$(realpath -m "$1")
    awk -v d="$dir" '$5 == d { o = $6 } END { print o }' /proc/self/mountinfo
}

# mount_fstype DIR: the file system type of the top mount on DIR.
mount_fstype() {
    local dir; dir=$(realpath -m "$1")
    awk -v d="$dir" '$5 == d { for (i = 7; $i != "-"; i++); t = $(i + 1) } END { print t }' \
        /proc/self/mountinfo
}

not_mounted() { ! is_mounted "$1"; }

declare -A DIFS_PID=() DIFS_LOG=()
EXTRA_MOUNTS=()

# difs_mount IMAGE MNT [difs args...]: starts difs in the foreground (-f) in the background,
# its output in CASE_DIR/difs-<mnt>.log, and waits until MNT shows in mountinfo. Fails fast,
# showing the log, when the daemon exits first.
difs_mount() {
    local image=$1 mnt; mnt=$(realpath "$2"); shift 2
    local log; log="$CASE_DIR/difs-$(basename "$mnt").log"
    "$DIFS" "$image" "$mnt" -f "$@" >"$log" 2>&1 &
    local pid=$!
    DIFS_PID[$mnt]=$pid
    DIFS_LOG[$mnt]=$log
    local end=$(( $(now_ns) + DEADLINE_SECONDS * 1000000000 ))
    until is_mounted "$mnt"; do
        if ! kill -0 "$pid" 2>/dev/null; then
            local rc=0
            wait "$pid" || rc=$?
            unset "DIFS_PID[$mnt]"
            sed 's/^/  log: /' "$log" >&2
            fail "difs $image $mnt $* exited with status $rc before mounting"
        fi
        if (( $(now_ns) >= end )); then
            sed 's/^/  log: /' "$log" >&2
            fail "difs $image $mnt $*: not mounted after ${DEADLINE_SECONDS} s"
        fi
        sleep 0.02
    done
}

difs_pid() { echo "${DIFS_PID[$(realpath "$1")]}"; }
difs_log() { echo "${DIFS_LOG[$(realpath "$1")]}"; }

# difs_wait_exit MNT: waits (with the deadline) for the daemon of MNT to exit and requires
# status 0 and MNT no longer mounted.
difs_wait_exit() {
    local mnt; mnt=$(realpath "$1")
    local pid=${DIFS_PID[$mnt]}
    if ! wait_until "$DEADLINE_SECONDS" not_running "$pid"; then
        fail "difs (pid $pid) still running ${DEADLINE_SECONDS} s after unmounting $mnt"
    fi
    local rc=0
    wait "$pid" || rc=$?
    unset "DIFS_PID[$mnt]"
    if (( rc != 0 )); then
        sed 's/^/  log: /' "${DIFS_LOG[$mnt]}" >&2
        fail "difs for $mnt exited with status $rc, want 0"
    fi
    if is_mounted "$mnt"; then
        fail "$mnt still mounted after difs exited"
    fi
}

not_running() { ! kill -0 "$1" 2>/dev/null; }

# difs_umount MNT: fusermount3 -u, then the daemon must exit 0.
difs_umount() {
    local mnt; mnt=$(realpath "$1")
    fusermount3 -u "$mnt" || fail "fusermount3 -u $mnt failed"
    difs_wait_exit "$mnt"
}

# track_mount DIR: a mount made some other way (mount -t fuse.difs) that cleanup must undo.
track_mount() { EXTRA_MOUNTS+=("$(realpath "$1")"); }

# loop_attach_to VAR FILE [losetup flags...]: attaches a loop device over FILE (losetup --find
# --show), sets VAR to its path, and has cleanup detach it (so no command substitution: the
# registration must stay in this shell).
LOOP_DEVICES=()
INNER_MOUNTS=()
loop_attach_to() {
    local _var=$1 _file=$2; shift 2
    local _dev
    _dev=$(losetup --find --show "$@" "$_file") || fail "losetup $* $_file failed"
    LOOP_DEVICES+=("$_dev")
    printf -v "$_var" '%s' "$_dev"
}

# loop_detach DEV: detaches a device of loop_attach_to now (and forgets it, so cleanup never
# detaches a device number someone else has taken since).
loop_detach() {
    local _dev=$1 _i
    losetup -d "$_dev" || fail "losetup -d $_dev failed"
    for _i in "${!LOOP_DEVICES[@]}"; do
        [[ ${LOOP_DEVICES[$_i]} == "$_dev" ]] && unset "LOOP_DEVICES[$_i]"
    done
    return 0
}

# track_inner_mount DIR: a kernel file system mounted on a loop device over difs; cleanup
# unmounts it (before detaching the loop devices and unmounting difs).
track_inner_mount() { INNER_MOUNTS+=("$(realpath "$1")"); }

cleanup() {
    local rc=$?
    local mnt pid dev
    for mnt in "${INNER_MOUNTS[@]}"; do
        if is_mounted "$mnt"; then umount "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null || true; fi
    done
    for dev in "${LOOP_DEVICES[@]}"; do
        losetup -d "$dev" 2>/dev/null || true
    done
    for mnt in "${!DIFS_PID[@]}" "${EXTRA_MOUNTS[@]}"; do
        if is_mounted "$mnt"; then
            fusermount3 -u -z "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null || true
        fi
    done
    for pid in "${DIFS_PID[@]}" $(jobs -p); do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${DIFS_PID[@]}" $(jobs -p); do
        if ! wait_until 5 not_running "$pid"; then
            kill -KILL "$pid" 2>/dev/null || true
        fi
    done
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

# expect_fail_msg [-o OUTFILE] SUBSTRING CMD...: CMD must fail AND its stderr must contain
# SUBSTRING. Stdout goes to OUTFILE (default /dev/null).
expect_fail_msg() {
    local out=/dev/null
    if [[ $1 == -o ]]; then out=$2; shift 2; fi
    local want=$1; shift
    local err="$CASE_DIR/.stderr"
    if "$@" >"$out" 2>"$err"; then
        fail "expected failure with \"$want\", but it succeeded: $*"
    fi
    if ! grep -qF -- "$want" "$err"; then
        sed 's/^/  stderr: /' "$err" >&2
        fail "failed as expected but stderr lacks \"$want\": $*"
    fi
    note "failed as expected (\"$want\"): $*"
}

# expect_refused SUBSTRING MNT DIFS-ARGS...: difs (run without -f, under a timeout) must exit
# non-zero before mounting anything, its first stderr line (after any `fuse: ` lines of libfuse)
# starting `difs: ` and naming SUBSTRING, and MNT must carry no new mount.
expect_refused() {
    local want=$1 mnt=$2; shift 2
    local before; before=$(mount_count "$mnt")
    local err="$CASE_DIR/.stderr" rc=0
    timeout -k 5 30 "$DIFS" "$@" >"$CASE_DIR/.stdout" 2>"$err" || rc=$?
    if (( $(mount_count "$mnt") != before )); then
        fusermount3 -u -z "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null || true
        fail "difs $* left a mount on $mnt"
    fi
    if (( rc == 0 )); then
        fail "difs $* exited 0, want a refusal naming \"$want\""
    fi
    if (( rc == 124 || rc == 137 )); then
        fail "difs $* did not exit within 30 s"
    fi
    # libfuse may print its own `fuse: ...` line first (an option it rejects); difs's line must
    # follow it.
    local line; line=$(grep -m 1 -v '^fuse: ' "$err" || true)
    if [[ $line != "difs: "* ]]; then
        sed 's/^/  stderr: /' "$err" >&2
        fail "difs $*: no \"difs: \" line first on stderr"
    fi
    if [[ $line != *"$want"* ]]; then
        sed 's/^/  stderr: /' "$err" >&2
        fail "difs $*: the \"difs: \" line does not name \"$want\""
    fi
    note "refused as expected (status $rc): $line"
}

# read_block FILE LBASZ LBA: prints block LBA of FILE to stdout.
read_block() { dd if="$1" bs="$2" skip="$3" count=1 status=none; }

# block_of FILE LBASZ LBA OUT: copies block LBA of a plain file to OUT.
block_of() { dd if="$1" of="$4" bs="$2" skip="$3" count=1 status=none; }

# zero_block FILE LBASZ LBA: overwrites block LBA of a plain file with zeros, in place.
zero_block() { dd if=/dev/zero of="$1" bs="$2" seek="$3" count=1 conv=notrunc status=none; }

# pi_status_value MNT KEY: the value of the `KEY: value` line of MNT/pi-status.
pi_status_value() {
    local v
    v=$(sed -n "s/^$2: //p" "$1/pi-status")
    [[ -n $v ]] || fail "pi-status has no \"$2:\" line"
    echo "$v"
}

# assert_pi_status_sum MNT: ok + unwritten + escaped + the error counts = blocks (stag-errors
# only shows for a format with a storage tag).
assert_pi_status_sum() {
    local sum=0 key
    for key in ok unwritten escaped guard-errors apptag-errors reftag-errors; do
        sum=$(( sum + $(pi_status_value "$1" "$key") ))
    done
    if grep -q "^stag-errors: " "$1/pi-status"; then
        sum=$(( sum + $(pi_status_value "$1" stag-errors) ))
    fi
    local blocks; blocks=$(pi_status_value "$1" blocks)
    (( sum == blocks )) || fail "pi-status counts sum to $sum, blocks: $blocks"
}

# assert_bad_block_reads MNT LBASZ NLB LBA KIND EXPECTED_DATA: the whole read contract for one
# failing block (DESIGN section 3): dd of the block fails with EIO, its neighbours read fine,
# cat stops with EIO after exactly LBA*LBASZ bytes, dd conv=noerror,sync recovers every other
# block, pi-status names the block with KIND and counts it.
assert_bad_block_reads() {
    local mnt=$1 lbasz=$2 nlb=$3 lba=$4 kind=$5 expected=$6
    expect_fail_msg "Input/output error" dd if="$mnt/data" of=/dev/null bs="$lbasz" skip="$lba" count=1
    local n
    for n in $(( lba - 1 )) $(( lba + 1 )); do
        (( n >= 0 && n < nlb )) || continue
        read_block "$mnt/data" "$lbasz" "$n" >"$CASE_DIR/got.block" \
            || fail "reading neighbour lba $n failed"
        block_of "$expected" "$lbasz" "$n" "$CASE_DIR/want.block"
        cmp "$CASE_DIR/got.block" "$CASE_DIR/want.block" || fail "neighbour lba $n differs"
    done
    expect_fail_msg -o "$CASE_DIR/cat.out" "Input/output error" cat "$mnt/data"
    local got; got=$(file_size "$CASE_DIR/cat.out")
    (( got == lba * lbasz )) || fail "cat returned $got bytes before EIO, want $(( lba * lbasz ))"
    cmp -n "$got" "$CASE_DIR/cat.out" "$expected" || fail "bytes before the bad block differ"
    # dd reports the error (status=none would hide it) but carries on; with sync the bad block
    # reads back as zeros.
    dd if="$mnt/data" of="$CASE_DIR/rescued" bs="$lbasz" conv=noerror,sync \
        2>"$CASE_DIR/rescue.err" || true
    grep -qF "Input/output error" "$CASE_DIR/rescue.err" \
        || fail "dd conv=noerror,sync did not report the bad block"
    cp "$expected" "$CASE_DIR/want.rescued"
    zero_block "$CASE_DIR/want.rescued" "$lbasz" "$lba"
    cmp "$CASE_DIR/rescued" "$CASE_DIR/want.rescued" || fail "dd conv=noerror,sync lost good blocks"
    grep -q "^lba $lba: $kind error" "$mnt/pi-status" \
        || { sed 's/^/  pi-status: /' "$mnt/pi-status" >&2; fail "pi-status lacks \"lba $lba: $kind error\""; }
    local lines; lines=$(grep -c "^lba " "$mnt/pi-status" || true)
    (( lines == 1 )) || fail "pi-status lists $lines failing blocks, want 1"
    (( $(pi_status_value "$mnt" "$kind-errors") == 1 )) || fail "pi-status $kind-errors is not 1"
    (( $(pi_status_value "$mnt" ok) == nlb - 1 )) || fail "pi-status ok is not $(( nlb - 1 ))"
    assert_pi_status_sum "$mnt"
}

# assert_three_files MNT IMAGE WANT_DATA WANT_METADATA: MNT lists exactly data, metadata and
# pi-status; data and metadata have the sizes of the expected files and the image's permission
# bits; pi-status is empty-sized (like /proc), readable and not writable; all owned by root.
assert_three_files() {
    local mnt=$1 image=$2 want_data=$3 want_md=$4
    local listing; listing=$(find "$mnt" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort | tr '\n' ' ')
    [[ $listing == "data metadata pi-status " ]] || fail "$mnt lists \"$listing\""
    local image_mode; image_mode=$(stat -c %a "$image")
    local f
    for f in data metadata pi-status; do
        [[ -f $mnt/$f ]] || fail "$f is not a regular file"
        [[ $(stat -c %u "$mnt/$f") == 0 ]] || fail "$f is owned by uid $(stat -c %u "$mnt/$f")"
    done
    (( $(file_size "$mnt/data") == $(file_size "$want_data") )) \
        || fail "data is $(file_size "$mnt/data") bytes, want $(file_size "$want_data")"
    (( $(file_size "$mnt/metadata") == $(file_size "$want_md") )) \
        || fail "metadata is $(file_size "$mnt/metadata") bytes, want $(file_size "$want_md")"
    (( $(file_size "$mnt/pi-status") == 0 )) || fail "pi-status size is not 0"
    [[ $(stat -c %a "$mnt/data") == "$image_mode" ]] \
        || fail "data mode $(stat -c %a "$mnt/data"), image mode $image_mode"
    [[ $(stat -c %a "$mnt/metadata") == "$image_mode" ]] \
        || fail "metadata mode $(stat -c %a "$mnt/metadata"), image mode $image_mode"
    local status_mode; status_mode=$(stat -c %a "$mnt/pi-status")
    (( (8#$status_mode & 8#222) == 0 )) || fail "pi-status mode $status_mode has write bits"
    (( (8#$status_mode & 8#444) != 0 )) || fail "pi-status mode $status_mode is not readable"
}

# assert_shows_image OPTS [gen create flags...]: builds an image for the difs options OPTS,
# mounts it with OPTS, checks the three files and that data and metadata show exactly the
# generator's expected bytes with no PI failure, and unmounts.
assert_shows_image() {
    local opts=$1; shift
    gen create img ${opts:+-o "$opts"} --blocks 50 --fill random --seed 7 \
        --expect-data want.data --expect-metadata want.md "$@"
    mkdir -p mnt
    difs_mount img mnt ${opts:+-o "$opts"}
    assert_three_files mnt img want.data want.md
    cmp mnt/data want.data || fail "data differs from the generator's"
    cmp mnt/metadata want.md || fail "metadata differs from the generator's"
    if [[ $(sed -n 's/^format: .* pi=\([0-9]\).*/\1/p' mnt/pi-status) != 0 ]]; then
        (( $(pi_status_value mnt ok) == 50 )) || fail "pi-status ok is not 50"
    fi
    ! grep "^lba " mnt/pi-status || fail "pi-status lists failing blocks"
    difs_umount mnt
}
