#!/usr/bin/env bash
# mmap(MAP_PRIVATE) of data never serves substitute bytes: the page holding a failing block faults
# with SIGBUS (its read fails whole with EIO), every other page reads its true bytes, the file
# keeps its size, and plain reads (cat) still stop exactly at the bad block. MAP_SHARED is refused
# (ENODEV). 512+8 with a bad guard at LBA 20 (inside page 2, with good blocks after it), and
# 4096+16 pif=2 with a bad LBA 5.
source "$(dirname "$0")/../lib.sh"

cat >mmread.py <<'PY'
# mmread.py FILE FIRST_PAGE PAGES OUT: copies pages [FIRST, FIRST+PAGES) of FILE through a
# MAP_PRIVATE mapping into OUT; a fault on a bad page kills the process with SIGBUS.
# mmread.py FILE shared: prints the errno name of mmap(MAP_SHARED), or "mapped".
import errno, mmap, os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
size = os.fstat(fd).st_size
if sys.argv[2] == "shared":
    try:
        mmap.mmap(fd, size, mmap.MAP_SHARED, mmap.PROT_READ)
        print("mapped")
    except OSError as err:
        print(errno.errorcode[err.errno])
    sys.exit(0)
m = mmap.mmap(fd, size, mmap.MAP_PRIVATE, mmap.PROT_READ)
first, pages = int(sys.argv[2]), int(sys.argv[3])
with open(sys.argv[4], "wb") as out:
    out.write(m[first * 4096:(first + pages) * 4096])
PY

# mmap_read MNT FIRST PAGES OUT: status of mmread.py (0, or 135 after SIGBUS).
mmap_read() {
    local rc=0
    python3 mmread.py "$1/data" "$2" "$3" "$4" 2>"$CASE_DIR/mmread.err" || rc=$?
    echo "$rc"
}

# check_image OPTS LBASZ BLOCKS BAD_LBA
check_image() {
    local opts=$1 lbasz=$2 blocks=$3 bad=$4
    rm -f img
    gen create img -o "$opts" --blocks "$blocks" --fill pattern --expect-data want.data
    gen corrupt img -o "$opts" --lba "$bad" --field guard >/dev/null
    local size=$(( lbasz * blocks )) pages=$(( lbasz * blocks / 4096 )) bad_page=$(( bad * lbasz / 4096 ))
    mkdir -p mnt
    difs_mount img mnt -o "$opts"

    # The first fault reads ahead over the bad page; the kernel must fall back to single pages.
    local rc; rc=$(mmap_read mnt 0 1 page0)
    (( rc == 0 )) || fail "-o $opts: mmap read of page 0 exited $rc"
    cmp page0 <(head -c 4096 want.data) || fail "-o $opts: page 0 through mmap differs"
    (( $(file_size mnt/data) == size )) || fail "-o $opts: data shrank to $(file_size mnt/data) bytes after an mmap read"

    rc=$(mmap_read mnt "$bad_page" 1 bad.page)
    (( rc == 135 )) || { od -A d -t x1 bad.page | head >&2; fail "-o $opts: mmap read of the bad page $bad_page exited $rc, want SIGBUS (135)"; }
    (( $(file_size bad.page) == 0 )) || fail "-o $opts: bytes of the bad page were served"

    local p
    for (( p = 0; p < pages; p++ )); do
        (( p == bad_page )) && continue
        rc=$(mmap_read mnt "$p" 1 page.out)
        (( rc == 0 )) || fail "-o $opts: mmap read of good page $p exited $rc"
        cmp page.out <(dd if=want.data bs=4096 skip="$p" count=1 status=none) || fail "-o $opts: page $p through mmap differs"
    done
    # All pages after the bad one in one mapping read, read ahead together.
    rc=$(mmap_read mnt $(( bad_page + 1 )) $(( pages - bad_page - 1 )) rest.out)
    (( rc == 0 )) || fail "-o $opts: mmap read after the bad page exited $rc"
    cmp rest.out <(tail -c +$(( (bad_page + 1) * 4096 + 1 )) want.data) || fail "-o $opts: pages after the bad one differ"
    (( $(file_size mnt/data) == size )) || fail "-o $opts: data is $(file_size mnt/data) bytes, want $size"

    [[ $(python3 mmread.py mnt/data shared) == ENODEV ]] || fail "-o $opts: mmap(MAP_SHARED) was not refused with ENODEV"

    # Plain reads keep the short-read rule: cat stops exactly at the bad block.
    expect_fail_msg -o cat.out "Input/output error" cat mnt/data
    (( $(file_size cat.out) == bad * lbasz )) || fail "-o $opts: cat returned $(file_size cat.out) bytes, want $(( bad * lbasz ))"
    cmp cat.out <(head -c $(( bad * lbasz )) want.data) || fail "-o $opts: bytes before the bad block differ"
    (( $(file_size mnt/data) == size )) || fail "-o $opts: data shrank after cat"
    difs_umount mnt
    note "-o $opts: bad page $bad_page SIGBUS, $(( pages - 1 )) good pages read through mmap"
}

check_image "logical_block_size=512" 512 64 20
check_image "logical_block_size=4096,ms=16,pif=2" 4096 16 5
