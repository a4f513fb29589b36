
/*
 * ngx_http_cx_inflate.h: the inflate front end of injection -- a gzip,
 * deflate or brotli response body turned into identity bytes as it
 * streams, in a
 * few buffers of its own (ngx_http_cx_inflate.c).  Core nginx types only.
 */


#ifndef _NGX_HTTP_CX_INFLATE_H_INCLUDED_
#define _NGX_HTTP_CX_INFLATE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


/* output buffers per request: the bound on its memory, with zlib's */
#define NGX_HTTP_CX_INFLATE_BUFS    4
#define NGX_HTTP_CX_INFLATE_SIZE    16384

#define NGX_HTTP_CX_INFLATE_GZIP    1
#define NGX_HTTP_CX_INFLATE_DEFLATE 2
#define NGX_HTTP_CX_INFLATE_BROTLI  3

/* why the stream ended early: ngx_http_cx_inflate_failure() */
#define NGX_HTTP_CX_INFLATE_LIMIT   1
#define NGX_HTTP_CX_INFLATE_BROKEN  2

/* r->buffered while compressed bytes wait for a free buffer */
#define NGX_HTTP_CX_INFLATE_BUFFERED  0x08


typedef struct ngx_http_cx_inflate_s  ngx_http_cx_inflate_t;


/* the zlib stream ends with the pool */
ngx_http_cx_inflate_t *ngx_http_cx_inflate_create(ngx_pool_t *pool,
    ngx_uint_t type, off_t max);

/* queues the compressed buffers of in (the caller's links are copied) */
ngx_int_t ngx_http_cx_inflate_add(ngx_http_cx_inflate_t *z,
    ngx_pool_t *pool, ngx_chain_t *in);

/*
 * The next identity buffer: NGX_OK with *out; NGX_AGAIN: all input used;
 * NGX_BUSY: input waits for a free buffer; NGX_DECLINED: the stream is
 * broken or passed cx_inflate_max (logged; which one:
 * ngx_http_cx_inflate_failure()), the rest of the input is dropped;
 * NGX_ERROR.  A buffer is free again once its pos reaches its last.
 */
ngx_int_t ngx_http_cx_inflate_next(ngx_http_cx_inflate_t *z,
    ngx_pool_t *pool, ngx_log_t *log, ngx_buf_t **out);

/* input is waiting and a buffer is free again */
ngx_uint_t ngx_http_cx_inflate_ready(ngx_http_cx_inflate_t *z);
ngx_uint_t ngx_http_cx_inflate_pending(ngx_http_cx_inflate_t *z);
ngx_uint_t ngx_http_cx_inflate_failure(ngx_http_cx_inflate_t *z);


#endif /* _NGX_HTTP_CX_INFLATE_H_INCLUDED_ */
