
/*
 * ngx_http_cx_pageview.h: what the module decides about one page view,
 * once, in the request's context (ngx_http_cx_pageview.c).
 */


#ifndef _NGX_HTTP_CX_PAGEVIEW_H_INCLUDED_
#define _NGX_HTTP_CX_PAGEVIEW_H_INCLUDED_


#include "ngx_http_cx_module.h"


/* the touchpoint a page view without one is counted and tagged under */
#define NGX_HTTP_CX_DEFAULT_TP      "other"


ngx_http_cx_ctx_t *ngx_http_cx_get_ctx(ngx_http_request_t *r);
ngx_int_t ngx_http_cx_pageview_signals(ngx_http_request_t *r);
ngx_int_t ngx_http_cx_pageview_trigger(ngx_http_request_t *r,
    ngx_http_cx_loc_conf_t *lcf, ngx_http_cx_ctx_t **ctxp);
ngx_int_t ngx_http_cx_pageview_visit(ngx_http_request_t *r);
ngx_int_t ngx_http_cx_pageview_token(ngx_http_request_t *r,
    ngx_http_cx_ctx_t *ctx, ngx_str_t *tp, ngx_str_t *token);
ngx_int_t ngx_http_cx_pageview_touchpoint(ngx_http_request_t *r,
    ngx_http_cx_ctx_t *ctx, ngx_str_t *tp);


#endif /* _NGX_HTTP_CX_PAGEVIEW_H_INCLUDED_ */
