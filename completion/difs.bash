# bash completion for difs(1): subcommands, their flags, -o keys and their values.
# Installed as /usr/share/bash-completion/completions/difs; or `source completion/difs.bash`.
# Mount/cases/completion_matches_help.sh keeps these lists equal to `difs -h` and `difs SUB -h`.

_difs_subcommands="create check inject show map identify convert"
_difs_mount_flags="-f -d --debug -s -o -device -h --help -V --version"
_difs_keys="logical_block_size= ms= pi= pif= sts= pil= layout= mdfile= format= prchk= pract= apptag= appmask= stag= stagmask= reftag= errors= holes= ro"
# A few libfuse options worth offering on a mount (libfuse knows more; see difs -h).
_difs_fuse_keys="allow_other allow_root auto_unmount default_permissions"

# _difs_flags SUB: the flags of subcommand SUB.
_difs_flags() {
    case $1 in
        create) echo "--blocks --size --fill --seed --unwritten --force -o -device -h --help" ;;
        check) echo "--json --max-errors --map --blocks-per-cell --repair --yes -o -device -h --help" ;;
        inject) echo "--lba --field --bit --value --byte-offset -o -device -h --help" ;;
        show) echo "--lba --count --json -o -device -h --help" ;;
        map) echo "--svg --blocks-per-cell -o -device -h --help" ;;
        identify) echo "--json -o -device -h --help" ;;
        convert) echo "--to --force --replace -o -device -h --help" ;;
    esac
}

# _difs_values KEY: the values worth offering for -o KEY=.
_difs_values() {
    case $1 in
        logical_block_size) echo "512 1024 2048 4096 8192 16384 32768 65536" ;;
        ms) echo "0 8 16 64" ;;
        pi) echo "0 1 2 3" ;;
        pif) echo "0 1 2" ;;
        sts) echo "0 8 16 32 48 64" ;;
        pil) echo "0 1" ;;
        layout) echo "separate interleaved split" ;;
        format) echo "auto" ;;
        prchk) echo "none all guard app stag ref guard+app guard+ref guard+stag guard+app+ref guard+app+stag+ref" ;;
        pract) echo "1 0" ;;
        errors) echo "eio eilseq report" ;;
        holes) echo "deallocated check" ;;
    esac
}

_difs() {
    COMPREPLY=()
    # The word being completed, rejoined where readline split it at `=` (COMP_WORDBREAKS), and
    # the word before it.
    local raw=${COMP_WORDS[COMP_CWORD]} i=$COMP_CWORD
    local cur=$raw
    while (( i > 1 )) && [[ $cur == =* || ${COMP_WORDS[i-1]} == "=" ]]; do
        cur=${COMP_WORDS[i-1]}$cur
        i=$(( i - 1 ))
    done
    local prev=${COMP_WORDS[i-1]}
    local sub=""
    if (( COMP_CWORD > 1 )) && [[ " $_difs_subcommands " == *" ${COMP_WORDS[1]} "* ]]; then
        sub=${COMP_WORDS[1]}
    fi

    local candidates=() nospace=""
    if [[ $prev == -device && $cur != *,* ]]; then
        # -device nvme-ns,KEY=V...: the device first, then its keys as for -o.
        candidates=(nvme-ns,); nospace=1
    elif [[ $prev == -o || $prev == -device || $prev == --to || $cur == -o?* ]]; then
        # -o KEY=V,KEY=V...: complete the last item; keep what comes before it.
        local lead="" list=$cur
        if [[ $cur == -o?* ]]; then lead=-o; list=${cur#-o}; fi
        local done="" item=$list
        if [[ $list == *,* ]]; then done=${list%,*},; item=${list##*,}; fi
        local word
        if [[ $item == *=* ]]; then
            for word in $(_difs_values "${item%%=*}"); do candidates+=("$lead$done${item%%=*}=$word"); done
        else
            local keys=$_difs_keys
            [[ -z $sub ]] && keys="$keys $_difs_fuse_keys"
            for word in $keys; do
                candidates+=("$lead$done$word")
                [[ $word == *= ]] && nospace=1
            done
        fi
    elif [[ -n $sub ]]; then
        case $prev in
            --fill) candidates=(zero pattern random) ;;
            --field) candidates=(guard apptag stag reftag data) ;;
            --svg) COMPREPLY=($(compgen -f -- "$cur" || true)); return 0 ;;
            --blocks|--size|--seed|--max-errors|--blocks-per-cell|--lba|--count|--bit|--value|--byte-offset) return 0 ;;
            *)
                if [[ $cur == -* ]]; then
                    candidates=($(_difs_flags "$sub"))
                else
                    COMPREPLY=($(compgen -f -- "$cur" || true)); return 0
                fi ;;
        esac
    elif (( COMP_CWORD == 1 )) && [[ $cur != -* ]]; then
        candidates=($_difs_subcommands)
        COMPREPLY=($(compgen -f -- "$cur" || true))
    elif [[ $cur == -* ]]; then
        candidates=($_difs_mount_flags)
    else
        COMPREPLY=($(compgen -f -- "$cur" || true)); return 0
    fi

    # Keep the candidates that extend the whole word; hand readline only the part after what it
    # split off (the text before `raw`).
    local strip=$(( ${#cur} - ${#raw} )) c
    for c in "${candidates[@]}"; do
        [[ $c == "$cur"* ]] && COMPREPLY+=("${c:strip}")
    done
    if [[ -n $nospace ]]; then compopt -o nospace 2>/dev/null || true; fi
    return 0
}

complete -F _difs difs
