#!/usr/bin/env bash
# The QEMU nvme-ns option list of issue 11, pasted whole (with or without its `nvme-ns,` prefix,
# or as `-device nvme-ns,...`), mounts and reads: the format properties are used, the others are
# accepted with one notice line naming them; a misspelt property is still refused.
source "$(dirname "$0")/../lib.sh"

qemu="drive=nvm,nsid=1,logical_block_size=4096,physical_block_size=4096,ms=16,mset=1,pi=1,pif=2"
notice="difs: ignoring QEMU nvme-ns properties that do not change the image format: drive, nsid, physical_block_size, mset"
gen create img --logical-block-size 4096 --ms 16 --pif 2 --blocks 32 --fill random \
    --expect-data want.data --expect-metadata want.md
mkdir mnt
for form in "-o nvme-ns,$qemu" "-o $qemu" "-device nvme-ns,$qemu"; do
    # shellcheck disable=SC2086
    difs_mount img mnt $form
    cmp mnt/data want.data || fail "$form: data differs"
    cmp mnt/metadata want.md || fail "$form: metadata differs"
    grep -q "^format: logical_block_size=4096 ms=16 pi=1 pif=2 pil=0 layout=separate$" mnt/pi-status \
        || fail "$form: format line: $(head -1 mnt/pi-status)"
    (( $(pi_status_value mnt ok) == 32 )) || fail "$form: not every block ok"
    (( $(grep -c "ignoring QEMU" "$(difs_log mnt)") == 1 )) || fail "$form: not exactly one notice line"
    grep -qxF "$notice" "$(difs_log mnt)" || { cat "$(difs_log mnt)" >&2; fail "$form: notice line"; }
    difs_umount mnt
done
# The subcommands take the same list, with the notice on stderr.
"$DIFS" check img -o "nvme-ns,$qemu" >report 2>err || fail "check -o nvme-ns,... failed"
grep -qxF "difs check: ${notice#difs: }" err || { cat err >&2; fail "check: notice line"; }
grep -qx "ok: 32" report || { cat report >&2; fail "check -o nvme-ns,...: not every block ok"; }
"$DIFS" check img -device "nvme-ns,$qemu" >report 2>err || fail "check -device nvme-ns,... failed"
grep -qx "ok: 32" report || { cat report >&2; fail "check -device nvme-ns,...: not every block ok"; }
# A typo is still an error: refused by libfuse on the mount, by difs in the subcommands.
expect_refused drvie mnt img mnt -o "nvme-ns,drvie=nvm,logical_block_size=4096,ms=16,pif=2"
expect_fail_msg "difs check: -o drvie=nvm: unknown option" "$DIFS" check img -o "nvme-ns,drvie=nvm,pif=2"
expect_refused "only a QEMU nvme-ns device" mnt img mnt -device "virtio-blk,drive=nvm"
# Without the notice when nothing is ignored.
difs_mount img mnt -o logical_block_size=4096,ms=16,pif=2
! grep -q "ignoring QEMU" "$(difs_log mnt)" || fail "notice without QEMU properties"
difs_umount mnt
