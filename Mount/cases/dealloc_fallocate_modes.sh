#!/usr/bin/env bash
# Every fallocate mode on data and metadata has a defined answer, as on a fixed-size file or a
# block device: plain allocation succeeds and changes nothing; past the end without keep-size is
# refused (EINVAL); collapse and insert are not supported; on metadata punch and zero-range make
# the bytes zeros (raw, no checks); pi-status is not writable; ro refuses.
source "$(dirname "$0")/../lib.sh"

command -v fallocate >/dev/null || skip "no fallocate"
gen create img --blocks 64 --fill random --expect-data want.data --expect-metadata want.md
mkdir mnt
difs_mount img mnt
size=$(( 64 * 512 ))
cp img img.before
fallocate --length $size mnt/data || fail "plain allocation within the size failed"
fallocate --keep-size --offset 4096 --length $(( 2 * size )) mnt/data || fail "keep-size allocation failed"
fallocate --posix --length 4096 mnt/data || fail "posix_fallocate failed"
expect_fail_msg "Invalid argument" fallocate --offset $(( size - 512 )) --length 1024 mnt/data
expect_fail_msg "Invalid argument" fallocate --zero-range --offset $(( size - 512 )) --length 1024 mnt/data
expect_fail_msg "Operation not supported" fallocate --collapse-range --offset 4096 --length 4096 mnt/data
expect_fail_msg "Operation not supported" fallocate --insert-range --offset 4096 --length 4096 mnt/data
cmp img img.before || fail "a no-op or refused fallocate changed the image"
(( $(stat -c %s mnt/data) == size )) || fail "data changed size"
# Metadata: bytes become zeros, and the blocks then fail as after a raw write of zeros.
fallocate --punch-hole --offset 16 --length 8 mnt/metadata || fail "punch on metadata failed"
fallocate --zero-range --offset 40 --length 8 mnt/metadata || fail "zero-range on metadata failed"
dd if=/dev/zero of=want.md bs=8 seek=2 count=1 conv=notrunc status=none
dd if=/dev/zero of=want.md bs=8 seek=5 count=1 conv=notrunc status=none
cmp mnt/metadata want.md || fail "metadata after fallocate differs"
expect_fail_msg "Input/output error" dd if=mnt/data of=/dev/null bs=512 skip=2 count=1
(( $(pi_status_value mnt reftag-errors) + $(pi_status_value mnt guard-errors) == 2 )) || fail "not 2 failing blocks"
expect_fail_msg "Permission denied" fallocate --punch-hole --offset 0 --length 512 mnt/pi-status
difs_umount mnt
difs_mount img mnt -o ro
expect_fail_msg "Read-only file system" fallocate --punch-hole --offset 0 --length 512 mnt/data
difs_umount mnt
