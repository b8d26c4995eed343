#!/bin/sh
# deps.sh -- install the Debian packages lanky builds and runs with.
#
# Checks each package with dpkg; installs the missing ones with apt-get
# (directly as root, through sudo otherwise) and says so. Where it cannot
# install, it stops with the exact command to run.
set -u
need="gcc make pkg-config check clang libclang-rt-14-dev libcsv-dev libhwloc-dev hwloc libinih-dev libcjson-dev gnuplot-nox valgrind python3 help2man man-db"
missing=""
for p in $need; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "lanky: installing missing Debian packages:$missing" >&2
if [ "$(id -u)" = 0 ]; then
    sudo=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo="sudo"
else
    echo "lanky: cannot install packages; run: sudo apt-get install -y$missing" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >&2 &&
    $sudo apt-get install -y -qq --no-install-recommends $missing >&2 || {
    echo "lanky: apt-get failed; run: sudo apt-get install -y$missing" >&2
    exit 1
}
