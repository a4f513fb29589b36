
/*
 * fuzz/html/reference.h: the oracle's interface (see reference.c).
 */


#ifndef _NGX_HTTP_CX_HTML_REF_H_INCLUDED_
#define _NGX_HTTP_CX_HTML_REF_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


#define NGX_HTTP_CX_HTML_REF_NAME_LEN  10


typedef struct {
    u_char        state;
    u_char        raw;
    u_char        esc;
    u_char        end;
    u_char        nlen;
    u_char        dashes;
    u_char        name[NGX_HTTP_CX_HTML_REF_NAME_LEN];
} ngx_http_cx_html_ref_t;


/* the original tokenizer */
ngx_int_t ngx_http_cx_html_ref_parse(ngx_http_cx_html_ref_t *h, u_char **pos,
    u_char *last);
size_t ngx_http_cx_html_ref_marker(ngx_http_cx_html_ref_t *h);

/* the same with the two fixes (reference.c) */
ngx_int_t ngx_http_cx_html_fix_parse(ngx_http_cx_html_ref_t *h, u_char **pos,
    u_char *last);
size_t ngx_http_cx_html_fix_marker(ngx_http_cx_html_ref_t *h);


#endif /* _NGX_HTTP_CX_HTML_REF_H_INCLUDED_ */
