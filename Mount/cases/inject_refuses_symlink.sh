#!/usr/bin/env bash
# `difs inject` writes only a regular file named directly: a symbolic link (even to a real
# image) is refused (O_NOFOLLOW), and so are a FIFO (without blocking) and a directory, each
# with one line and nothing changed. Mount and check read through a link the user names.
source "$(dirname "$0")/../lib.sh"

gen create img --blocks 16 --fill pattern --expect-data want.data
printf 'root secret, exactly 8320 bytes long? no\n' >secret
chmod 600 secret
sha_img=$(sha256sum <img) sha_secret=$(sha256sum <secret)
ln -s img link-to-image
ln -s secret planted
mkfifo afifo
mkdir adir

expect_fail_msg "difs inject: link-to-image: is a symbolic link" "$DIFS" inject link-to-image --lba 1 --field guard
expect_fail_msg "difs inject: planted: is a symbolic link" "$DIFS" inject planted --lba 0 --field data
expect_fail_msg "difs inject: afifo: not a regular file" timeout 10 "$DIFS" inject afifo --lba 0 --field guard
expect_fail_msg "difs inject: adir: is a directory" "$DIFS" inject adir --lba 0 --field guard
[[ $(sha256sum <img) == "$sha_img" ]] || fail "inject through a link changed the image"
[[ $(sha256sum <secret) == "$sha_secret" ]] || fail "inject through a link changed the secret"

# Reading through a link the user named is fine: check and mount follow it.
"$DIFS" check link-to-image >/dev/null || fail "check through a link failed"
mkdir mnt
difs_mount link-to-image mnt
cmp mnt/data want.data || fail "data through a linked mount differs"
difs_umount mnt
"$DIFS" inject img --lba 1 --field guard >/dev/null || fail "inject of the image itself failed"
