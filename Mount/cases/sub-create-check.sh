#!/usr/bin/env bash
# difs create then difs check is clean for every geometry and fill, and the independent gen.py
# verify agrees (no mount involved).
source "$(dirname "$0")/../lib.sh"

geometries=(
    ""
    "ms=16"
    "ms=16,pil=1"
    "logical_block_size=4096"
    "logical_block_size=4096,ms=16,pif=2"
    "logical_block_size=4096,ms=64,pif=2"
    "logical_block_size=4096,ms=64,pil=1"
    "layout=interleaved"
    "logical_block_size=4096,ms=64,pif=2,layout=interleaved"
    "pi=2,reftag=1000"
    "pi=3,apptag=0x1234,reftag=0xdeadbeef,prchk=all"
    "pi=0"
    "pi=0,ms=0"
)
fills=("--fill zero" "--fill pattern" "--fill random --seed 42" "--unwritten")

for opts in "${geometries[@]}"; do
    for fill in "${fills[@]}"; do
        rm -f img
        # shellcheck disable=SC2086  # $fill is two or three words on purpose
        "$DIFS" create img --blocks 64 ${opts:+-o "$opts"} $fill >/dev/null \
            || fail "create -o '$opts' $fill failed"
        rc=0
        "$DIFS" check img ${opts:+-o "$opts"} >report 2>check.err || rc=$?
        (( rc == 0 )) || { cat report check.err >&2; fail "check -o '$opts' ($fill) exited $rc, want 0"; }
        [[ -s check.err ]] && { cat check.err >&2; fail "check -o '$opts' ($fill) wrote to stderr"; }
        grep -qx "blocks: 64" report || fail "check -o '$opts' ($fill): no \"blocks: 64\""
        if [[ $opts != *pi=0* ]]; then
            want=ok; [[ $fill == --unwritten ]] && want=unwritten
            grep -qx "$want: 64" report || { cat report >&2; fail "check -o '$opts' ($fill): $want is not 64"; }
        fi
        gen verify img ${opts:+-o "$opts"} --quiet || fail "gen.py verify disagrees: -o '$opts' $fill"
    done
    note "create -> check clean: -o '${opts:-defaults}' (4 fills)"
done
