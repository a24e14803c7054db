#!/usr/bin/env bash
# Installs difs without packaging: the binary, the man page and the bash completion, the same
# files the .deb of scripts/package.sh holds.
#
#   PREFIX=/usr/local scripts/install.sh [--binary FILE]     (PREFIX defaults to /usr/local)
#   DESTDIR=stage PREFIX=/usr scripts/install.sh --binary FILE   (a staging tree, as package.sh does)
#
# Without --binary it builds a release binary with the Swift runtime linked statically
# (scripts/build-static.sh), so the installed difs runs with no Swift toolchain on the machine.
# Installed: PREFIX/bin/difs, PREFIX/share/man/man1/difs.1.gz,
# PREFIX/share/bash-completion/completions/difs, PREFIX/share/doc/difs/copyright.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
PREFIX=${PREFIX:-/usr/local}
DESTDIR=${DESTDIR:-}

binary=""
while (( $# )); do
    case $1 in
        --binary) binary=${2:?--binary needs a file}; shift 2 ;;
        -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "install.sh: $1: unknown argument (--binary FILE)" >&2; exit 2 ;;
    esac
done
if [[ -z $binary ]]; then
    binary=$("$root/scripts/build-static.sh")
fi
[[ -x $binary ]] || { echo "install.sh: $binary: not an executable file" >&2; exit 2; }
[[ $PREFIX == /* ]] || { echo "install.sh: PREFIX=$PREFIX: must be an absolute path" >&2; exit 2; }

target=$DESTDIR$PREFIX
install -d "$target/bin" "$target/share/man/man1" "$target/share/bash-completion/completions" "$target/share/doc/difs"
install -m 0755 "$binary" "$target/bin/difs"
gzip -9 -n -c "$root/man/difs.1" >"$target/share/man/man1/difs.1.gz"
chmod 0644 "$target/share/man/man1/difs.1.gz"
install -m 0644 "$root/completion/difs.bash" "$target/share/bash-completion/completions/difs"
printf '%s\n' "difs: an NVMe end-to-end data protection image as plain files (FUSE)." \
    "See README.md in the difs sources." >"$target/share/doc/difs/copyright"
chmod 0644 "$target/share/doc/difs/copyright"
echo "installed difs into $target: bin/difs share/man/man1/difs.1.gz share/bash-completion/completions/difs share/doc/difs/copyright"
