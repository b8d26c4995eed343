#!/bin/sh
# deps.sh -- install the Debian packages lanky builds and runs with.
#
# Checks each package with dpkg; installs the missing ones with apt-get
# (directly as root, through sudo otherwise) and says so. Where it cannot
# install, it stops with the exact command to run.
#
# `deps.sh cross` installs what the static aarch64 build and its tests
# under emulation need instead (make CROSS=aarch64-linux-gnu, make
# check-aarch64): Debian's cross compiler, qemu-user, and the arm64
# builds of the libraries, after adding arm64 as a dpkg architecture
# (multiarch).
set -u
need="gcc make pkg-config check clang libclang-rt-14-dev libcsv-dev libhwloc-dev hwloc libinih-dev libcjson-dev gnuplot-nox valgrind python3 help2man man-db libcmark-gfm-dev libcmark-gfm-extensions-dev chromium chromium-driver texlive-latex-base texlive-latex-recommended poppler-utils"
need="$need parallel slurm-wlm munge" # make report JOBS=N, reports/cluster/, make check-cluster
arch_add=""
if [ "${1:-}" = cross ]; then
    need="gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user pkg-config file check:arm64 libcsv-dev:arm64 libhwloc-dev:arm64 libinih-dev:arm64 libcjson-dev:arm64 libcmark-gfm-dev:arm64 libcmark-gfm-extensions-dev:arm64"
    dpkg --print-foreign-architectures | grep -qx arm64 || arch_add=arm64
fi
missing=""
for p in $need; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "lanky: installing missing Debian packages:$missing" >&2
[ -n "$arch_add" ] && echo "lanky: adding the dpkg architecture arm64 first" >&2
if [ "$(id -u)" = 0 ]; then
    sudo=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo="sudo"
else
    echo "lanky: cannot install packages; run: sudo apt-get install -y$missing" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
if [ -n "$arch_add" ]; then
    $sudo dpkg --add-architecture arm64 || {
        echo "lanky: run: sudo dpkg --add-architecture arm64" >&2
        exit 1
    }
fi
$sudo apt-get update -qq >&2 &&
    $sudo apt-get install -y -qq --no-install-recommends $missing >&2 || {
    echo "lanky: apt-get failed; run: sudo apt-get install -y$missing" >&2
    exit 1
}
