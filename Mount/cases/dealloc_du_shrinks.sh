#!/usr/bin/env bash
# A large punch on data gives the space back: du of the image file drops by about the punched
# size (the whole file-system units inside the range are deallocated), and st_blocks of data
# (what du of data shows) drops with it.
source "$(dirname "$0")/../lib.sh"

command -v fallocate >/dev/null || skip "no fallocate"
opts=logical_block_size=4096,ms=16,pif=2
"$DIFS" create img --size 64M -o "$opts" --fill random >/dev/null || fail "create failed"
before=$(du -k img | cut -f1)
mkdir mnt
difs_mount img mnt -o "$opts"
data_before=$(stat -c %b mnt/data)
fallocate --punch-hole --offset $(( 4 << 20 )) --length $(( 48 << 20 )) mnt/data || fail "punch failed"
sync mnt/data
after=$(du -k img | cut -f1)
data_after=$(stat -c %b mnt/data)
note "image: du ${before} KiB -> ${after} KiB; data st_blocks ${data_before} -> ${data_after}"
(( before - after >= 48 * 1024 - 8 )) || fail "du of the image dropped by $(( before - after )) KiB, want about 49152"
(( (data_before - data_after) * 512 == 48 << 20 )) || fail "st_blocks of data dropped by $(( data_before - data_after )) sectors"
(( $(pi_status_value mnt unwritten) == 12288 )) || fail "unwritten is not 12288"
difs_umount mnt
