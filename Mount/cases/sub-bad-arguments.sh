#!/usr/bin/env bash
# A bad argument to any subcommand gives one line `difs <sub>: ...` on stderr, exit status 2, and
# writes nothing: no new file, the existing image unchanged byte for byte.
source "$(dirname "$0")/../lib.sh"

"$DIFS" create img --blocks 16 --fill pattern >/dev/null || fail "create failed"
sha_before=$(sha256sum img)

# expect_usage_error SUB WANT ARGS...: difs SUB ARGS... exits 2 with one stderr line starting
# `difs SUB: ` and containing WANT, and prints nothing on stdout.
expect_usage_error() {
    local sub=$1 want=$2; shift 2
    local rc=0
    "$DIFS" "$sub" "$@" >out 2>err || rc=$?
    (( rc == 2 )) || { cat err >&2; fail "difs $sub $*: exit $rc, want 2"; }
    (( $(wc -l <err) == 1 )) || { cat err >&2; fail "difs $sub $*: $(wc -l <err) stderr lines, want 1"; }
    [[ $(cat err) == "difs $sub: "*"$want"* ]] || fail "difs $sub $*: \"$(cat err)\" lacks \"difs $sub: ...$want\""
    [[ ! -s out ]] || fail "difs $sub $*: printed on stdout"
    note "difs $sub $*: $(cat err)"
}

expect_usage_error create "IMAGE: missing"
expect_usage_error create "missing" new
expect_usage_error create "give one of them" new --blocks 8 --size 4K
expect_usage_error create "--blocks 1x" new --blocks 1x
expect_usage_error create "--size 1000" new --size 1000
expect_usage_error create "--fill stripes" new --blocks 8 --fill stripes
expect_usage_error create "conflicts with --unwritten" new --blocks 8 --fill zero --unwritten
expect_usage_error create "only with --fill random" new --blocks 8 --seed 3
expect_usage_error create "-o pi=7" new --blocks 8 -o pi=7
expect_usage_error create "-o ms=4" new --blocks 8 -o ms=4
expect_usage_error create "-o allow_other: unknown option" new --blocks 8 -o allow_other
expect_usage_error create "--bogus: unknown flag" new --blocks 8 --bogus
expect_usage_error create "already exists" img --blocks 8
expect_usage_error create "unexpected argument" new other --blocks 8
expect_usage_error check "IMAGE: missing"
expect_usage_error check "nothere" nothere
expect_usage_error check "-o prchk=ref" img -o pi=3,prchk=ref
expect_usage_error check "--max-errors: needs a value" img --max-errors
expect_usage_error check "--max-errors -1" img --max-errors -1
expect_usage_error check "--json=1: takes no value" img --json=1
expect_usage_error check "smaller than one block" img -o logical_block_size=64K
expect_usage_error inject "--lba N: missing" img --field guard
expect_usage_error inject "--field: missing" img --lba 1
expect_usage_error inject "--field tag" img --lba 1 --field tag
expect_usage_error inject "past the last block" img --lba 16 --field guard
expect_usage_error inject "give one of them" img --lba 1 --field guard --bit 1 --value 2
expect_usage_error inject "--bit 16" img --lba 1 --field guard --bit 16
expect_usage_error inject "--bit 8" img --lba 1 --field data --bit 8
expect_usage_error inject "wider than the 16-bit" img --lba 1 --field apptag --value 0x10000
expect_usage_error inject "--byte-offset 512" img --lba 1 --field data --byte-offset 512
expect_usage_error inject "only with --field data" img --lba 1 --field guard --byte-offset 3
expect_usage_error inject "pi=0 has no PI tuple" img --lba 1 --field reftag -o pi=0
expect_usage_error inject "-o sts=8: pif=1 (32-bit guard) allows a storage tag of 16 to 64 bits" img --lba 1 --field guard -o pif=1,sts=8
expect_usage_error inject "--field stag: the format has no storage tag (sts=0)" img --lba 1 --field stag
expect_usage_error check "-o stag=0x100: wider than the 8-bit storage tag" img -o sts=8,stag=0x100
expect_usage_error check "-o drvie=nvm: unknown option" img -o nvme-ns,drvie=nvm
expect_usage_error check "--map and --json" img --map --json
expect_usage_error check "--blocks-per-cell: only with --map" img --blocks-per-cell 4
expect_usage_error show "IMAGE: missing"
expect_usage_error show "--lba N: missing" img
expect_usage_error show "--lba 16: past the last block" img --lba 16
expect_usage_error show "--count 0" img --lba 1 --count 0
expect_usage_error show "--count 6: runs past the last block" img --lba 11 --count 6
expect_usage_error show "--lba x" img --lba x
expect_usage_error show "-o pi=9" img --lba 1 -o pi=9
expect_usage_error map "IMAGE: missing"
expect_usage_error map "--blocks-per-cell 0" img --blocks-per-cell 0
expect_usage_error map "-o pi=0: no protection information" img -o pi=0
expect_usage_error map "--svg img: is the image itself" img --svg img
expect_usage_error map "--svg: needs a value" img --svg
expect_usage_error map "--bogus: unknown flag" img --bogus

[[ $(sha256sum img) == "$sha_before" ]] || fail "a refused subcommand changed the image"
[[ $(ls -A | grep -v -e '^out$' -e '^err$' -e '^\.') == img ]] || fail "a refused subcommand created a file: $(ls -A)"
