#!/bin/sh
# man.sh -- lanky(1) from the commands' own --help texts, so the page
# never disagrees with the binary: help2man (Debian's help2man) makes the
# page from `lanky --help` and the first line of `lanky --version` (the
# second names this machine's kernels, not the program's), and a COMMANDS section
# holds each `lanky COMMAND --help` verbatim.
#
#   sh scripts/man.sh build/lanky > lanky.1
set -eu
lanky=$1
inc=$(mktemp)
trap 'rm -f "$inc"' EXIT INT TERM HUP
# The command names are the indented first words under "commands:".
cmds=$("$lanky" --help | sed -n '/^commands:/,$p' | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p')
{
    echo '[COMMANDS]'
    for c in $cmds; do
        echo ".SS $c"
        echo '.nf'
        # roff: a backslash is written \e; a line starting with . or ' is
        # guarded by the zero-width \&
        "$lanky" "$c" --help | sed -e 's/\\/\\e/g' -e "s/^\([.']\)/\\\\\&\1/"
        echo '.fi'
    done
    echo '[FILES]'
    echo 'PREFIX/share/lanky/hw-profiles, sweeps and reports/paper-data: the'
    echo 'SoC profiles, sweep definitions and the paper'"'"'s tables, found'
    echo 'beside the installed binary; $LANKY_PROFILES names another profile folder.'
} >"$inc"
help2man --no-info --no-discard-stderr --version-string "$("$lanky" --version | sed -n "1s/^lanky //p")" --name 'size up small language models for phones' \
    --include "$inc" "$lanky"
