#!/usr/bin/env bash
# errors=eilseq fails a PI failure with EILSEQ, as the Linux block layer reports it.
source "$(dirname "$0")/../lib.sh"

gen create img --blocks 64 --fill random
gen corrupt img --lba 21 --field reftag
mkdir mnt
difs_mount img mnt -o errors=eilseq
expect_fail_msg "Invalid or incomplete multibyte or wide character" \
    dd if=mnt/data of=/dev/null bs=512 skip=21 count=1
dd if=mnt/data of=/dev/null bs=512 skip=20 count=1 status=none || fail "lba 20 failed"
difs_umount mnt
