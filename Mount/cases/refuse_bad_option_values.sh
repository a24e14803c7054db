#!/usr/bin/env bash
# Each bad option value is refused before mounting with `difs: ...` naming the option.
source "$(dirname "$0")/../lib.sh"

gen create img --blocks 16
mkdir mnt
expect_refused pi mnt img mnt -o pi=4
expect_refused pif mnt img mnt -o pif=3
expect_refused pil mnt img mnt -o pil=2
expect_refused logical_block_size mnt img mnt -o logical_block_size=1000
expect_refused logical_block_size mnt img mnt -o logical_block_size=256
expect_refused ms mnt img mnt -o ms=4
expect_refused ms mnt img mnt -o pif=2,ms=8
expect_refused layout mnt img mnt -o layout=diagonal
expect_refused prchk mnt img mnt -o prchk=guard+crc
expect_refused pract mnt img mnt -o pract=2
expect_refused apptag mnt img mnt -o apptag=0x10000
expect_refused appmask mnt img mnt -o appmask=zz
expect_refused reftag mnt img mnt -o reftag=0x100000000
expect_refused reftag mnt img mnt -o reftag=ten
expect_refused errors mnt img mnt -o errors=panic
expect_refused holes mnt img mnt -o holes=maybe
expect_refused pi mnt img mnt -o pi=
