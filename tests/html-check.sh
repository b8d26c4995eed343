#!/bin/sh
# html-check.sh -- index.html in a real browser: a small report (every
# sweep simulated on two SoCs, Table 7 also measured on this machine), its
# figures drawn by gnuplot, then Debian's headless Chromium driven over
# WebDriver (chromedriver; the client is python3's standard library):
# every table of index.md is in the page with all its rows, every figure
# is an inline SVG that the browser lays out at a non-zero size with
# drawn content, a click on a header sorts that column (numbers as
# numbers, both directions), and the user's text is not markup.
#
#   sh tests/html-check.sh BUILD
set -eu
build=$1
lanky=$(pwd)/$build/lanky
dir=$(mktemp -d)
trap 'kill "$driver" 2>/dev/null; rm -rf "$dir"' EXIT
# the shipped profiles and this machine's, probed into the test's own
# folder (a fresh clone has no hw-profiles/host.ini)
export LANKY_PROFILES="$dir/profiles"
mkdir "$LANKY_PROFILES"
cp hw-profiles/a15.ini hw-profiles/a16.ini "$LANKY_PROFILES"
"$lanky" probe >/dev/null 2>&1
# Table 8 with one more row, named as a user might: markup
mkdir "$dir/in"
cp sweeps/*.csv "$dir/in"
printf '125M,<b id=inj>bold</b>,12,12,12,768,relu,32000,0,none\n' >>"$dir/in/table8.csv"
"$lanky" sweep "$dir"/in/*.csv --profiles a15,a16 --out "$dir" >/dev/null
"$lanky" sweep sweeps/table7.csv --profiles a15,a16,host --measure --tokens 2 \
    --out "$dir" >/dev/null
"$lanky" report "$dir" --paper-data reports/paper-data
cp reports/style.gp reports/fig_*.gp "$dir"
(cd "$dir" && for g in fig_*.gp; do gnuplot -e "socs='a15 a16'" "$g"; done)
"$lanky" report "$dir" --paper-data reports/paper-data

port=$((20000 + $$ % 20000))
chromedriver --port=$port >"$dir/driver.log" 2>&1 &
driver=$!
python3 - "$dir" "$port" <<'PY'
import base64, json, re, sys, time, urllib.request
d, port = sys.argv[1], sys.argv[2]
base = 'http://127.0.0.1:%s' % port

def call(method, path, body=None):
    req = urllib.request.Request(base + path, method=method,
                                 data=None if body is None else json.dumps(body).encode(),
                                 headers={'Content-Type': 'application/json'})
    return json.load(urllib.request.urlopen(req, timeout=60))['value']

for _ in range(100):  # chromedriver takes a moment to listen
    try:
        call('GET', '/status'); break
    except OSError:
        time.sleep(0.1)
opts = {'binary': '/usr/bin/chromium',
        'args': ['--headless=new', '--no-sandbox', '--disable-gpu', '--window-size=1400,1000']}
s = call('POST', '/session', {'capabilities': {'alwaysMatch': {'goog:chromeOptions': opts}}})['sessionId']
def js(src):
    return call('POST', '/session/%s/execute/sync' % s, {'script': src, 'args': []})
try:
    call('POST', '/session/%s/url' % s, {'url': 'file://%s/index.html' % d})
    md = open(d + '/index.md').read()
    # every Markdown table of index.md: its row count (header and rule excluded)
    blocks = re.findall(r'((?:^\|.*\|\n)+)', md, re.M)
    want = [len(b.strip().split('\n')) - 2 for b in blocks]
    got = js("return Array.from(document.querySelectorAll('table')).map(t => t.tBodies[0] ? t.tBodies[0].rows.length : 0)")
    assert got == want, ('rows per table', got, want)
    assert len(want) >= 8 and all(n > 0 for n in want), want
    figs = re.findall(r'!\[[^]]*\]\((fig_\w+)\.png\)', md)
    svgs = js("return Array.from(document.querySelectorAll('svg')).map(e => "
              "{const r = e.getBoundingClientRect(); return [r.width, r.height, "
              "e.querySelectorAll('path,polyline,use,circle').length]})")
    assert len(svgs) == len(figs) >= 5, (len(svgs), figs)
    assert all(w > 100 and h > 100 and n > 10 for w, h, n in svgs), svgs
    assert not js("return document.querySelectorAll('img').length"), 'a figure left as an image'
    assert js("return document.getElementById('inj') === null"), 'a model name became markup'
    assert '<b id=inj>bold</b>' in js("return document.body.innerText")
    # sort a numeric column of the biggest table, up then down
    t = max(range(len(want)), key=lambda i: want[i])
    col = js("const t = document.querySelectorAll('table')[%d]; const h = t.tHead.rows[0].cells;"
             "for (let c = 0; c < h.length; c++) { const v = Array.from(t.tBodies[0].rows, r => r.cells[c].textContent.trim());"
             "if (v.every(x => x !== '' && !isNaN(Number(x.replace(/^\\+/, '')))) && new Set(v).size > 2) return c; } return -1" % t)
    assert col >= 0, 'no numeric column to sort'
    th = call('POST', '/session/%s/execute/sync' % s, {'script':
        "return document.querySelectorAll('table')[%d].tHead.rows[0].cells[%d]" % (t, col), 'args': []})
    eid = list(th.values())[0]
    for order in (1, -1):
        call('POST', '/session/%s/element/%s/click' % (s, eid), {})
        v = js("return Array.from(document.querySelectorAll('table')[%d].tBodies[0].rows, "
               "r => Number(r.cells[%d].textContent.trim().replace(/^\\+/, '')))" % (t, col))
        assert v == sorted(v, reverse=order < 0) and len(v) == want[t], (order, v)
    png = call('GET', '/session/%s/screenshot' % s)
    assert len(base64.b64decode(png)) > 10000
finally:
    call('DELETE', '/session/%s' % s)
print('html-check: %d tables, %d inline figures, sorting both ways: ok' % (len(want), len(figs)))
PY
