#!/usr/bin/env bash
# run.sh: runs the real-mount cases (Mount/cases/*.sh, or those named) each in a fresh temporary
# directory under a timeout, prints PASS/FAIL/SKIP per case and one summary line
# `N passed, N failed` (`, N skipped` appended when any skipped); exits 1 when any failed.
#
# Usage: [DIFS=path/to/difs] [CASE_TIMEOUT=120] Mount/run.sh [case-name-or-path...]
# A case that needs longer says so in a header line `# timeout: SECONDS` (the larger one wins).
# DIFS defaults to $(swift build --show-bin-path)/difs of the package around this script.
set -uo pipefail

mount_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
package_dir=$(dirname "$mount_dir")
timeout_seconds=${CASE_TIMEOUT:-120}

if [[ -z ${DIFS:-} ]]; then
    if ! bin_dir=$(cd "$package_dir" && swift build --show-bin-path 2>/dev/null); then
        echo "run.sh: DIFS is unset and swift build --show-bin-path failed" >&2
        exit 2
    fi
    DIFS=$bin_dir/difs
fi
DIFS=$(realpath -m "$DIFS")
export DIFS

cases=()
if (( $# == 0 )); then
    cases=("$mount_dir"/cases/*.sh)
else
    for name in "$@"; do
        if [[ -f $name ]]; then
            cases+=("$(realpath "$name")")
        elif [[ -f $mount_dir/cases/$name ]]; then
            cases+=("$mount_dir/cases/$name")
        elif [[ -f $mount_dir/cases/$name.sh ]]; then
            cases+=("$mount_dir/cases/$name.sh")
        else
            echo "run.sh: no case named $name" >&2
            exit 2
        fi
    done
fi

# Lazily unmounts whatever a case left under its directory, so the directory can be removed.
unmount_leftovers() {
    local dir=$1 mnt
    awk -v d="$dir/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
        while read -r mnt; do
            echo "run.sh: unmounting leftover $mnt" >&2
            fusermount3 -u -z "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null || true
        done
}

passed=0 failed=0 skipped=0
keep=${KEEP_CASE_DIRS:-0}
for case_path in "${cases[@]}"; do
    name=$(basename "$case_path" .sh)
    case_dir=$(mktemp -d "${TMPDIR:-/tmp}/difs-mount.$name.XXXXXX")
    case_timeout=$(sed -n 's/^# timeout: \([0-9][0-9]*\)$/\1/p' "$case_path" | head -n 1)
    (( ${case_timeout:-0} > timeout_seconds )) || case_timeout=$timeout_seconds
    rc=0
    (cd "$case_dir" && CASE_DIR=$case_dir timeout -k 10 "$case_timeout" bash "$case_path") \
        >"$case_dir/.output" 2>&1 || rc=$?
    unmount_leftovers "$case_dir"
    case $rc in
        0) echo "PASS $name"; passed=$(( passed + 1 )) ;;
        77) echo "SKIP $name: $(sed -n "s/^SKIP: //p" "$case_dir/.output" | head -n 1)"; skipped=$(( skipped + 1 )) ;;
        *)
            if (( rc == 124 )); then
                echo "FAIL $name (timed out after $case_timeout s)"
            else
                echo "FAIL $name (status $rc)"
            fi
            tail -n 25 "$case_dir/.output" | sed 's/^/    /'
            for log in "$case_dir"/difs-*.log; do
                [[ -s $log ]] || continue
                echo "    --- $(basename "$log") (tail)"
                tail -n 10 "$log" | sed 's/^/    /'
            done
            failed=$(( failed + 1 ))
            ;;
    esac
    if [[ $keep == 1 || ( $rc != 0 && $rc != 77 && ${KEEP_FAILED:-0} == 1 ) ]]; then
        echo "    (kept $case_dir)"
    elif ! awk -v d="$case_dir/" 'index($5, d) == 1 { found = 1 } END { exit !found }' /proc/self/mountinfo; then
        rm -rf "$case_dir"
    fi
done

summary="$passed passed, $failed failed"
(( skipped > 0 )) && summary+=", $skipped skipped"
echo "$summary"
(( failed == 0 ))
