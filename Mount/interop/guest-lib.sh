# guest-lib.sh: shell functions the guest's script sources (busybox sh inside the QEMU guest).
# Every result is one line on stdout (the host parses them) or bytes written into the results
# namespace, a plain disk the host reads after the guest powered off:
#   I NS FORMAT                    /sys/block/nvme0nNS/integrity/format ("none" when absent)
#   D NS FIRST COUNT RC [WHY]      O_DIRECT read of COUNT blocks through the block layer (RC 0 =
#                                  read); a failing range is followed by finer ones
#   C NS FIRST COUNT RC [WHY]      the controller's checked read (nvme read --prinfo), its status
#   X NAME RC TEXT                 any other command the script runs (blkdiscard, write-zeroes)
# Bytes: for namespace NS, slot NS-1 of 1 MiB in the results namespace holds the O_DIRECT bytes
# at 0, the controller's data at 512 KiB and its metadata at 768 KiB (failed blocks as zeros).
# shellcheck shell=sh

RESULTS=/dev/nvme0n$(cat /case/namespaces)

# put FILE BYTE_OFFSET: writes FILE into the results namespace at BYTE_OFFSET (a multiple of 512).
put() {
    dd if="$1" of="$RESULTS" bs=512 seek=$(( $2 / 512 )) conv=notrunc,fsync 2>/dev/null
}

# run NAME CMD...: runs CMD and prints "X NAME RC last-line-of-its-output".
run() {
    name=$1; shift
    "$@" >/tmp/run.out 2>&1
    rc=$?
    echo "X $name $rc $(tail -n 1 /tmp/run.out)"
}

# read_D FIRST COUNT: O_DIRECT read through Linux (its integrity profile verifies; the controller
# checks what Linux asks for), with GNU dd (/gnu/dd), which page-aligns its buffers (see
# guestvm.py). read_C FIRST COUNT: the controller's own checked read: PRINFO bits from the host
# (guard, apptag, reftag as the type has them), apptag 0 under mask 0xffff, ILBRT = FIRST.
# Both start from no output file: nvme-cli writes into an existing file without truncating it.
read_D() {
    rm -f /tmp/r
    /gnu/dd if="$dev" of=/tmp/r bs="$bs" skip="$1" count="$2" iflag=direct 2>/tmp/err
}
read_C() {
    rm -f /tmp/r /tmp/rm
    nvme read "$dev" -s "$1" -c $(( $2 - 1 )) -z $(( $2 * bs )) -y $(( $2 * ms )) \
        -d /tmp/r -M /tmp/rm -p "$pr" -r "$1" -a 0 -m 0xffff >/tmp/err 2>&1
}

# walk KIND FIRST COUNT: reads blocks [FIRST, FIRST+COUNT) with read_KIND, appending the bytes to
# /tmp/out.KIND (controller metadata to /tmp/outm); a failing range is split into runs of 8
# blocks, then single blocks, so only failing blocks cost one command each. Prints
# "KIND NS FIRST COUNT RC [why]" for every range read.
walk() {
    local kind=$1 first=$2 count=$3 step l
    if "read_$kind" "$first" "$count"; then
        echo "$kind $ns $first $count 0"
        cat /tmp/r >>"/tmp/out.$kind"
        [ "$kind" = C ] && cat /tmp/rm >>/tmp/outm
        return 0
    fi
    if [ "$count" -eq 1 ]; then
        if [ "$kind" = C ]; then
            why=$(sed -n 's/.*NVMe status: \([^:(]*\).*/\1/p' /tmp/err | head -n 1)
        else
            why=$(grep -m 1 'dd: ' /tmp/err | sed 's/.*: //')
        fi
        echo "$kind $ns $first 1 1 $why"
        dd if=/dev/zero bs="$bs" count=1 2>/dev/null >>"/tmp/out.$kind"
        [ "$kind" = C ] && dd if=/dev/zero bs="$ms" count=1 2>/dev/null >>/tmp/outm
        return 0
    fi
    step=1
    [ "$count" -gt 8 ] && step=8
    l=$first
    while [ "$l" -lt $(( first + count )) ]; do
        walk "$kind" "$l" "$step"
        l=$(( l + step ))
    done
}

# views NS NLB LBASZ MS PRINFO: reads all of namespace NS both ways and records the results.
views() {
    ns=$1 nlb=$2 bs=$3 ms=$4 pr=$5
    dev=/dev/nvme0n$ns base=$(( (ns - 1) * 1048576 ))
    echo "I $ns $(cat /sys/block/nvme0n$ns/integrity/format 2>/dev/null || echo none)"
    : >/tmp/out.D
    : >/tmp/out.C
    : >/tmp/outm
    walk D 0 "$nlb"
    walk C 0 "$nlb"
    put /tmp/out.D "$base"
    put /tmp/out.C $(( base + 524288 ))
    put /tmp/outm $(( base + 786432 ))
}
