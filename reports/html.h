/* html.h -- index.html: the report's index.md as one self-contained web
 * page.
 *
 * rep_html_write() renders index.md's text with cmark-gfm (GitHub's
 * Markdown, its table extension), so the page says exactly what
 * index.md says, and then:
 *
 *   - each figure image fig_NAME.png is replaced by the content of
 *     fig_NAME.svg when that file is in dir (inline, so the page needs no
 *     other file); without it the image stays a link to the PNG;
 *   - every table sorts by a column when its header is clicked (numbers
 *     as numbers, empty cells last; a second click reverses), by a short
 *     script in the page.
 *
 * The SVGs are drawn by gnuplot after `lanky report` has written the
 * figures' data, so reports/make-report.sh runs the report again once the
 * figures exist. The page is written whole or not at all.
 */
#ifndef REPORTS_HTML_H
#define REPORTS_HTML_H

#include <stddef.h>

#include "../common/err.h"

/* dir/index.html from the Markdown md (len bytes) of dir/index.md. */
int rep_html_write(const char *dir, const char *md, size_t len, lk_err *e);

#endif
