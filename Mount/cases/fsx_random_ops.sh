#!/usr/bin/env bash
# fsx-style exerciser (Mount/fsx.py): a fixed-seed run of random aligned, unaligned and
# end-crossing reads and writes of data, raw metadata writes and reads, mirrored on a shadow
# whose tuples come from gen.py, over several formats (separate and interleaved, pil=0 with a
# metadata prefix, pil=1, pi=2 with a reftag base, pi=3, 64-bit guards). Afterwards the unmounted
# image verifies with gen.py against the final shadow. FSX_OPS (default 2000) and FSX_SEED
# (default 1) make a longer or different run: FSX_OPS=100000 Mount/run.sh fsx_random_ops.
# timeout: 600
source "$(dirname "$0")/../lib.sh"

ops=${FSX_OPS:-2000}
seed=${FSX_SEED:-1}
formats=(
    ""
    "ms=16"
    "ms=16,layout=interleaved"
    "pi=2,reftag=0x1000,apptag=0x1234"
    "pi=3,reftag=0xabcd,ms=24,pil=1"
    "logical_block_size=4096,ms=16,pif=2"
    "logical_block_size=4096,ms=32,pif=2,layout=interleaved"
)
mkdir mnt
for opts in "${formats[@]}"; do
    rm -f img
    blocks=256
    [[ $opts == *logical_block_size=4096* ]] && blocks=64
    gen create img ${opts:+-o "$opts"} --blocks "$blocks" --fill random --seed "$seed" \
        --expect-data start.data --expect-metadata start.md
    difs_mount img mnt ${opts:+-o "$opts"}
    python3 "$MOUNT_LIB_DIR/fsx.py" mnt ${opts:+-o "$opts"} --data start.data --metadata start.md \
        --ops "$ops" --seed "$seed" --save-data end.data --save-metadata end.md --log fsx.log >fsx.out \
        || fail "-o '${opts:-defaults}': fsx.py found a mismatch (log: $(tail -n 3 fsx.log | tr '\n' ';'))"
    note "-o '${opts:-defaults}': $(cat fsx.out)"
    grep -q "^failed-reads: 0$" mnt/pi-status || fail "-o '${opts:-defaults}': a read failed its check"
    difs_umount mnt
    gen verify img ${opts:+-o "$opts"} --expect-data end.data --expect-metadata end.md --quiet \
        || fail "-o '${opts:-defaults}': the image does not verify against the final shadow"
done
