#!/usr/bin/env bash
# Type 3 has no reference tag check: an explicit prchk with ref is an error, as in QEMU.
source "$(dirname "$0")/../lib.sh"

gen create img --pi 3 --blocks 16
mkdir mnt
expect_refused prchk mnt img mnt -o pi=3,prchk=ref
expect_refused prchk mnt img mnt -o pi=3,prchk=guard+ref
