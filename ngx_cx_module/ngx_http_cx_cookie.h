
/*
 * ngx_http_cx_cookie.h: one cookie out of a Cookie header value.
 */


#ifndef _NGX_HTTP_CX_COOKIE_H_INCLUDED_
#define _NGX_HTTP_CX_COOKIE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


ngx_int_t ngx_http_cx_cookie_find(u_char *p, u_char *end, u_char *name,
    size_t len, ngx_str_t *value);


#endif /* _NGX_HTTP_CX_COOKIE_H_INCLUDED_ */
