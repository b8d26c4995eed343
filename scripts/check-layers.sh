#!/bin/sh
# check-layers.sh -- the layers run one way (README, "Layout"):
#   common/ < arch/ < {ref/, sim/} < host/ < reports/ < cli/
# A file may include headers of its own folder and of folders below it;
# ref/ and sim/ do not include each other. Prints every include that
# breaks this and exits 1; run by make check.
set -eu
rank() {
    case $1 in
    common) echo 0 ;; arch) echo 1 ;; ref | sim) echo 2 ;; host) echo 3 ;;
    reports) echo 4 ;; cli) echo 5 ;; *) echo "" ;;
    esac
}
bad=0
for f in common/*.[ch] arch/*.[ch] ref/*.[ch] sim/*.[ch] host/*.[ch] reports/*.[ch] cli/*.[ch]; do
    from=${f%%/*}
    for inc in $(sed -n 's/^#include "\.\.\/\([a-z]*\)\/.*"/\1/p' "$f"); do
        a=$(rank "$from") b=$(rank "$inc")
        if [ -z "$b" ] || [ "$b" -gt "$a" ] || { [ "$a" = 2 ] && [ "$b" = 2 ] && [ "$inc" != "$from" ]; }; then
            echo "check-layers: $f includes $inc/ (layer $from/ may not)" >&2
            bad=1
        fi
    done
done
[ $bad = 0 ] && echo "check-layers: every include runs down the layers"
exit $bad
