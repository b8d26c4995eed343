#!/bin/sh
# install-check.sh -- `make install` into a temporary DESTDIR, then the
# installed binary run from outside the source tree: it must find its
# shipped profiles without $LANKY_PROFILES and print what the build's own
# binary prints, carry the version of the source tree, and its man page
# must render with every command; `make uninstall` must remove it all.
#
#   sh tests/install-check.sh BUILD
set -eu
build=$1
root=$(pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM HUP
fail() { echo "install-check: $*" >&2; exit 1; }

make -s BUILD="$build" DESTDIR="$tmp" PREFIX=/usr install >/dev/null
bin=$tmp/usr/bin/lanky
[ -x "$bin" ] || fail "no $bin"
unset LANKY_PROFILES

want=$("$build/lanky" sim --preset mobilellm-125m --profile a15 --mode analytic --format csv)
got=$(cd / && "$bin" sim --preset mobilellm-125m --profile a15 --mode analytic --format csv) ||
    fail "installed lanky sim --profile a15 failed outside the source tree"
[ "$want" = "$got" ] || fail "installed lanky sim differs from $build/lanky sim"

v=$(cd / && "$bin" --version | head -1)
expect="lanky $(cat VERSION 2>/dev/null || git describe --always --dirty)"
[ "$v" = "$expect" ] || fail "--version says '$v', the source tree is '$expect'"

page=$tmp/usr/share/man/man1/lanky.1
text=$(cd / && MANWIDTH=80 man -l "$page" 2>/dev/null) || fail "man -l $page failed"
for c in $("$bin" --help | sed -n '/^commands:/,$p' | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p'); do
    printf '%s\n' "$text" | grep -q "usage: lanky $c" || fail "man page lacks 'lanky $c --help'"
done

make -s BUILD="$build" DESTDIR="$tmp" PREFIX=/usr uninstall >/dev/null
left=$(find "$tmp" -type f | head -3)
[ -z "$left" ] || fail "make uninstall left $left"
cd "$root"
echo "install-check: installed, ran from /, man page and uninstall: ok"
