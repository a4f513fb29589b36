
/*
 * ngx_http_cx_cookie.h: cookies out of a Cookie header value.
 */


#ifndef _NGX_HTTP_CX_COOKIE_H_INCLUDED_
#define _NGX_HTTP_CX_COOKIE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


ngx_int_t ngx_http_cx_cookie_find(u_char *p, u_char *end, u_char *name,
    size_t len, ngx_str_t *value);
ngx_uint_t ngx_http_cx_cookie_find_n(u_char *p, u_char *end,
    ngx_str_t *names, ngx_str_t *values, ngx_uint_t n);


#endif /* _NGX_HTTP_CX_COOKIE_H_INCLUDED_ */
