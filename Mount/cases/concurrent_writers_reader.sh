#!/usr/bin/env bash
# Two dd writers on adjacent ranges that share one block (both write parts of LBA 500) and a
# reader in a loop: no read fails, and after unmount every block is valid and holds the last data.
source "$(dirname "$0")/../lib.sh"

gen create img --blocks 1024 --fill random --expect-data shadow
split_byte=$(( 500 * 512 + 100 ))
end_byte=$(( 1024 * 512 ))
for i in 1 2 3 4; do
    head -c "$split_byte" /dev/urandom >a$i
    head -c $(( end_byte - split_byte )) /dev/urandom >b$i
done
mkdir mnt
difs_mount img mnt

writer_a() {
    local i
    for i in 1 2 3 4; do
        dd if=a$i of=mnt/data bs=1000 conv=notrunc status=none || return 1
    done
}
writer_b() {
    local i
    for i in 1 2 3 4; do
        dd if=b$i of=mnt/data bs=700 seek="$split_byte" oflag=seek_bytes conv=notrunc status=none \
            || return 1
    done
}
reader() {
    local n=0
    while [[ ! -e writers.done ]]; do
        cat mnt/data >/dev/null || { echo "read $n failed" >reader.err; return 1; }
        n=$(( n + 1 ))
    done
    echo "$n" >reader.count
}
reader & reader_pid=$!
writer_a & a_pid=$!
writer_b & b_pid=$!
a_rc=0; wait "$a_pid" || a_rc=$?
b_rc=0; wait "$b_pid" || b_rc=$?
touch writers.done
r_rc=0; wait "$reader_pid" || r_rc=$?
(( a_rc == 0 )) || fail "writer a failed"
(( b_rc == 0 )) || fail "writer b failed"
(( r_rc == 0 )) || fail "reader failed: $(cat reader.err)"
note "reader passes: $(cat reader.count)"
dd if=a4 of=shadow conv=notrunc status=none
dd if=b4 of=shadow bs=700 seek="$split_byte" oflag=seek_bytes conv=notrunc status=none
cmp mnt/data shadow || fail "data differs from the last writes"
! grep "^lba " mnt/pi-status || fail "pi-status lists failing blocks"
difs_umount mnt
gen verify img --quiet --expect-data shadow || fail "PI or data wrong after concurrent writes"
