
/*
 * ngx_http_cx_place.h: where the tag goes in the body's buffers, and
 * their way on (ngx_http_cx_place.c).
 */


#ifndef _NGX_HTTP_CX_PLACE_H_INCLUDED_
#define _NGX_HTTP_CX_PLACE_H_INCLUDED_


#include "ngx_http_cx_module.h"


/*
 * A remembered file up to this size is read into one buffer (nginx's
 * output_buffers, 32 KB by default) and goes out in one writev with the
 * headers, the tag in place; a larger one is split around the tag so that
 * sendfile carries it.  For a small page the read costs less than the
 * split's second write (bench/inject, rows e and e2).
 */
#define NGX_HTTP_CX_SENDFILE_MIN  32768


/* one identity buffer of the body, queued for output with or by the tag */
ngx_int_t ngx_http_cx_place_buf(ngx_http_request_t *r,
    ngx_http_cx_ctx_t *ctx, ngx_buf_t *b);

ngx_int_t ngx_http_cx_place_output(ngx_http_request_t *r,
    ngx_http_cx_ctx_t *ctx, ngx_http_output_body_filter_pt next);


#endif /* _NGX_HTTP_CX_PLACE_H_INCLUDED_ */
