#!/usr/bin/env bash
# The format and policy lines show the options in force for a non-default mount.
source "$(dirname "$0")/../lib.sh"

opts=logical_block_size=4096,ms=32,pi=2,pif=2,pil=1,layout=interleaved
gen create img -o "$opts,apptag=0x12,reftag=16" --blocks 8
mkdir mnt
difs_mount img mnt -o "$opts,prchk=guard+app+ref,pract=0,apptag=0x12,appmask=0xff00,reftag=16,errors=report,holes=check"
want="format: logical_block_size=4096 ms=32 pi=2 pif=2 pil=1 layout=interleaved
policy: prchk=guard+app+ref pract=0 apptag=0x0012 appmask=0xff00 reftag=16 errors=report holes=check
blocks: 8
ok: 8"
[[ $(head -n 4 mnt/pi-status) == "$want" ]] \
    || { diff <(echo "$want") <(head -n 4 mnt/pi-status) >&2; fail "pi-status head differs"; }
difs_umount mnt
