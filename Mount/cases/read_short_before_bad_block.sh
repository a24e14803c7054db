#!/usr/bin/env bash
# A read that reaches a failing block later returns the good bytes before it (a short read); a
# read that starts inside the failing block, even unaligned, gets EIO; reads at or past the end
# return 0 bytes.
source "$(dirname "$0")/../lib.sh"

gen create img --blocks 32 --fill random --expect-data want.data
gen corrupt img --lba 10 --field guard
mkdir mnt
difs_mount img mnt
cat >pread.py <<'PY'
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
try:
    print(len(os.pread(fd, int(sys.argv[2]), int(sys.argv[3]))))
except OSError as err:
    print(err.strerror)
PY
got=$(python3 pread.py mnt/data 1000 $(( 10 * 512 - 300 )))
[[ $got == 300 ]] || fail "pread of 1000 bytes 300 before the bad block gave \"$got\", want 300"
got=$(python3 pread.py mnt/data 100 $(( 10 * 512 + 200 )))
[[ $got == "Input/output error" ]] || fail "pread inside the bad block gave \"$got\""
got=$(python3 pread.py mnt/data 4096 $(( 3 * 512 + 7 )))
[[ $got == $(( 7 * 512 - 7 )) ]] || fail "pread from lba 3 gave \"$got\", want $(( 7 * 512 - 7 ))"
got=$(python3 pread.py mnt/data 512 $(( 32 * 512 )))
[[ $got == 0 ]] || fail "pread at the end gave \"$got\", want 0"
got=$(python3 pread.py mnt/data 512 $(( 40 * 512 )))
[[ $got == 0 ]] || fail "pread past the end gave \"$got\", want 0"
got=$(python3 pread.py mnt/data 4096 $(( 31 * 512 + 10 )))
[[ $got == 502 ]] || fail "pread crossing the end gave \"$got\", want 502"
difs_umount mnt
