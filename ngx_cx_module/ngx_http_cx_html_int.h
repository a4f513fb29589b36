
/*
 * ngx_http_cx_html_int.h: what the tokenizer's two scanners share: the
 * states, the raw elements, the byte classes, and the fast scanner's
 * blocks of bit masks.  Private to ngx_http_cx_html.c (the byte-wise
 * state machine) and ngx_http_cx_html_scan.c (the fast scanner).
 */


#ifndef _NGX_HTTP_CX_HTML_INT_H_INCLUDED_
#define _NGX_HTTP_CX_HTML_INT_H_INCLUDED_


#include "ngx_http_cx_html.h"


enum {
    sw_data = 0,
    sw_tag_open,
    sw_end_tag_open,
    sw_tag_name,
    sw_attrs,                   /* before an attribute name */
    sw_attr_name,               /* in or after one: "=" opens a value */
    sw_attr_value,
    sw_attr_dq,
    sw_attr_sq,
    sw_attr_unquoted,
    sw_markup,
    sw_markup_dash,
    sw_cdata_open,
    sw_cdata,
    sw_cdata_bracket,
    sw_cdata_end,
    sw_comment_start,
    sw_comment_start_dash,
    sw_comment,
    sw_comment_end_dash,
    sw_comment_end,
    sw_comment_end_bang,
    sw_bogus,
    sw_raw,
    sw_raw_lt,
    sw_raw_end_open,
    sw_raw_end_name,
    sw_raw_start_name,
    sw_script_bang,
    sw_script_bang_dash
};


/* elements whose content is text up to their own end tag */

enum {
    raw_none = 0,
    raw_script,
    raw_style,
    raw_textarea,
    raw_title,
    raw_xmp,
    raw_iframe,
    raw_noembed,
    raw_noframes,
    raw_noscript,
    raw_plaintext
};


extern ngx_str_t  ngx_http_cx_html_raw[];


/*
 * The bit masks of one 64-byte block, bit i for byte i: '<', and what
 * matters in a tag: '>', '=' and quotes.
 */

#define NGX_HTTP_CX_HTML_LT      0
#define NGX_HTTP_CX_HTML_TAG     1

typedef struct {
    uint64_t                     m[2];
} ngx_http_cx_html_bits_t;


/*
 * Blocks classified at a time, 1 KB: enough to make the call cheap, little
 * classified in vain when "</body" ends the scan.
 */
#define NGX_HTTP_CX_HTML_BLOCKS  16

typedef struct {
    u_char                      *base;  /* first byte of blk[0] */
    u_char                      *end;   /* end of the classified bytes */
    u_char                      *last;
    ngx_uint_t                   n;     /* blocks in blk[] */
    ngx_http_cx_html_bits_t      blk[NGX_HTTP_CX_HTML_BLOCKS];
} ngx_http_cx_html_scan_t;


typedef void (*ngx_http_cx_html_classify_pt)(u_char *p, ngx_uint_t n,
    ngx_http_cx_html_bits_t *b);


#define ngx_http_cx_html_space(c)                                            \
    ((c) == ' ' || (c) == '\t' || (c) == '\n' || (c) == '\r' || (c) == '\f')

#define ngx_http_cx_html_delim(c)                                            \
    (ngx_http_cx_html_space(c) || (c) == '/' || (c) == '>')

#define ngx_http_cx_html_alpha(c)                                            \
    ((u_char) (((c) | 0x20) - 'a') < 26)


extern ngx_uint_t                    ngx_http_cx_html_ready;

/* NULL where there is no SIMD kernel: the byte-wise machine alone */
extern ngx_http_cx_html_classify_pt  ngx_http_cx_html_classify;


void ngx_http_cx_html_init(void);

/*
 * The fast scanner.  NGX_DECLINED: continue with the byte-wise one at
 * *pos, always a '<' in sw_data or sw_raw.
 */
ngx_int_t ngx_http_cx_html_fast(ngx_http_cx_html_t *h,
    ngx_http_cx_html_scan_t *s, u_char **pos);


#endif /* _NGX_HTTP_CX_HTML_INT_H_INCLUDED_ */
