/* html.c -- index.md as a self-contained page (see html.h). */
#include "html.h"

#include <cmark-gfm-core-extensions.h>
#include <cmark-gfm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/outfile.h"

/* Largest SVG inlined: gnuplot's figures here are 20-200 kB; a bigger
 * file is not one of them and stays a link. */
#define HTML_MAX_SVG (16 << 20)

static const char head[] =
    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    "<title>lanky report</title>\n<style>\n"
    "body{font-family:sans-serif;max-width:80em;margin:2em auto;padding:0 1em;"
    "line-height:1.4}\n"
    "table{border-collapse:collapse;margin:1em 0;font-size:90%}\n"
    "th,td{border:1px solid #ccc;padding:.2em .5em}\n"
    "th{background:#f3f3f3;cursor:pointer;user-select:none}\n"
    "th[aria-sort=ascending]::after{content:\" \\25B2\"}\n"
    "th[aria-sort=descending]::after{content:\" \\25BC\"}\n"
    "svg{max-width:100%;height:auto}\n"
    "</style>\n</head>\n<body>\n";

/* Sorting: a cell that parses whole as a number (a leading + allowed, as
 * in "+2.6") sorts as one, empty cells go last in either direction. */
static const char tail[] =
    "<script>\n"
    "function lkKey(td){var s=td.textContent.trim();"
    "if(s==='')return null;var v=Number(s.replace(/^\\+/,''));"
    "return isNaN(v)?s:v;}\n"
    "function lkCmp(a,b){if(a===null)return b===null?0:1;if(b===null)return -1;"
    "if(typeof a===typeof b)return a<b?-1:a>b?1:0;"
    "return typeof a==='number'?-1:1;}\n"
    "document.querySelectorAll('table').forEach(function(t){"
    "var hs=t.querySelectorAll('thead th');"
    "hs.forEach(function(h,c){h.addEventListener('click',function(){"
    "var up=h.getAttribute('aria-sort')!=='ascending';"
    "hs.forEach(function(o){o.removeAttribute('aria-sort');});"
    "h.setAttribute('aria-sort',up?'ascending':'descending');"
    "var b=t.tBodies[0],rows=Array.prototype.slice.call(b.rows);"
    "rows.sort(function(x,y){var p=lkKey(x.cells[c]),q=lkKey(y.cells[c]);"
    "if(p===null||q===null)return lkCmp(p,q);return up?lkCmp(p,q):lkCmp(q,p);});"
    "rows.forEach(function(r){b.appendChild(r);});});});});\n"
    "</script>\n</body>\n</html>\n";

/* dir/NAME.svg for an image url NAME.png, from its <svg element on (the
 * XML prolog and doctype cannot sit inside HTML); NULL when there is no
 * such file. */
static char *read_svg(const char *dir, const char *url)
{
    size_t n = strlen(url);
    if (n < 4 || strcmp(url + n - 4, ".png") || strchr(url, '/'))
        return NULL;
    char path[4096];
    snprintf(path, sizeof path, "%s/%.*s.svg", dir, (int)(n - 4), url);
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *buf = malloc(HTML_MAX_SVG + 1);
    size_t len = buf ? fread(buf, 1, HTML_MAX_SVG + 1, f) : 0;
    fclose(f);
    char *svg = len && len <= HTML_MAX_SVG ? (buf[len] = 0, strstr(buf, "<svg")) : NULL;
    if (!svg) {
        free(buf);
        return NULL;
    }
    memmove(buf, svg, strlen(svg) + 1);
    return buf;
}

/* The nodes of doc to change: images (to inline) and raw HTML (to show
 * as text: index.md quotes the user's model names, and a name is not
 * markup). Collected first, as the tree may not change under an
 * iterator. */
typedef struct {
    cmark_node **v;
    size_t n, cap;
} nodes;

static void collect(cmark_node *doc, nodes *img, nodes *raw)
{
    cmark_iter *it = cmark_iter_new(doc);
    for (cmark_event_type ev; (ev = cmark_iter_next(it)) != CMARK_EVENT_DONE;) {
        cmark_node *node = cmark_iter_get_node(it);
        cmark_node_type t = cmark_node_get_type(node);
        nodes *to = t == CMARK_NODE_IMAGE ? img
                  : t == CMARK_NODE_HTML_INLINE || t == CMARK_NODE_HTML_BLOCK ? raw : NULL;
        if (ev != CMARK_EVENT_ENTER || !to)
            continue;
        if (to->n == to->cap) {
            size_t cap = to->cap ? 2 * to->cap : 16;
            cmark_node **more = realloc(to->v, cap * sizeof *more);
            if (!more)
                continue; /* out of memory: this node stays as it is */
            to->v = more;
            to->cap = cap;
        }
        to->v[to->n++] = node;
    }
    cmark_iter_free(it);
}

/* Node old replaced by a new node of type t holding text; old is kept
 * when memory runs out. */
static void replace(cmark_node *old, cmark_node_type t, const char *text)
{
    cmark_node *n = cmark_node_new(t);
    if (n && cmark_node_set_literal(n, text) && cmark_node_replace(old, n))
        cmark_node_free(old);
    else if (n)
        cmark_node_free(n);
}

/* Raw HTML as text, then every image whose SVG is in dir as the SVG. */
static void prepare(cmark_node *doc, const char *dir)
{
    nodes img = {0}, raw = {0};
    collect(doc, &img, &raw);
    for (size_t i = 0; i < raw.n; i++) /* a block of it as a code block */
        replace(raw.v[i], cmark_node_get_type(raw.v[i]) == CMARK_NODE_HTML_BLOCK
                              ? CMARK_NODE_CODE_BLOCK : CMARK_NODE_TEXT,
                cmark_node_get_literal(raw.v[i]));
    for (size_t i = 0; i < img.n; i++) {
        char *svg = read_svg(dir, cmark_node_get_url(img.v[i]));
        if (svg)
            replace(img.v[i], CMARK_NODE_HTML_INLINE, svg);
        free(svg);
    }
    free(img.v);
    free(raw.v);
}

int rep_html_write(const char *dir, const char *md, size_t len, lk_err *e)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/index.html", dir);
    cmark_gfm_core_extensions_ensure_registered();
    cmark_parser *p = cmark_parser_new(CMARK_OPT_DEFAULT);
    cmark_syntax_extension *tables = cmark_find_syntax_extension("table");
    if (!p || !tables || !cmark_parser_attach_syntax_extension(p, tables)) {
        if (p)
            cmark_parser_free(p);
        return lk_fail(e, LK_ERUN, "%s: cmark-gfm has no table extension", path);
    }
    cmark_parser_feed(p, md, len);
    cmark_node *doc = cmark_parser_finish(p);
    prepare(doc, dir);
    /* UNSAFE: the inline SVGs are raw HTML (ours, from gnuplot; prepare()
     * turned every other piece into text) */
    char *body = cmark_render_html(doc, CMARK_OPT_UNSAFE, cmark_parser_get_syntax_extensions(p));
    cmark_node_free(doc);
    cmark_parser_free(p);
    lk_outfile o;
    int rc = lk_outfile_open(&o, path, e);
    if (!rc) {
        fputs(head, o.f);
        fputs(body, o.f);
        fputs(tail, o.f);
        rc = lk_outfile_commit(&o, e);
    }
    free(body);
    return rc;
}
