
/*
 * ngx_http_cx_html.h: a resumable HTML tokenizer that finds the document's
 * real "</body" -- not one inside a comment, CDATA, an attribute value or
 * the text of a raw element (script, style, textarea, title, ...).  It
 * knows nothing of nginx buffers: the filter feeds it byte ranges in order.
 */


#ifndef _NGX_HTTP_CX_HTML_H_INCLUDED_
#define _NGX_HTTP_CX_HTML_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


#define NGX_HTTP_CX_HTML_NAME_LEN   10
#define NGX_HTTP_CX_HTML_MARKER     6       /* strlen("</body") */


typedef struct {
    u_char        state;
    u_char        raw;          /* raw text element we are inside, or 0 */
    u_char        esc;          /* script data (double) escape level */
    u_char        end;          /* the tag being read is an end tag */
    u_char        nlen;         /* bytes of the tag name read so far */
    u_char        dashes;       /* "-" seen in script escape tracking */
    u_char        name[NGX_HTTP_CX_HTML_NAME_LEN];
} ngx_http_cx_html_t;


/*
 * Scans [*pos, last).  NGX_OK: an end tag named "body" starts
 * NGX_HTTP_CX_HTML_MARKER bytes before *pos (possibly in earlier ranges).
 * NGX_AGAIN: all consumed; the last ngx_http_cx_html_marker() bytes may
 * still turn out to be the start of "</body".
 */
ngx_int_t ngx_http_cx_html_parse(ngx_http_cx_html_t *h, u_char **pos,
    u_char *last);
size_t ngx_http_cx_html_marker(ngx_http_cx_html_t *h);


#if (NGX_HTTP_CX_HTML_TEST)
/*
 * fuzz/html: force a scanner kernel: 0 none (the byte-wise machine
 * alone), 1 portable, 2 SSE2, 3 AVX2, 4 AVX-512BW
 */
ngx_int_t ngx_http_cx_html_set_isa(ngx_int_t isa);
const char *ngx_http_cx_html_isa_name(void);
#endif


#endif /* _NGX_HTTP_CX_HTML_H_INCLUDED_ */
