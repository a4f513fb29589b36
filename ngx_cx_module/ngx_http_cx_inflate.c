
/*
 * ngx_http_cx_inflate.c: the inflate front end of injection.  A response
 * body in gzip, deflate (zlib) or brotli (the filter decides which, from
 * the response's Content-Encoding) is inflated as it streams, into at
 * most NGX_HTTP_CX_INFLATE_BUFS buffers of our own; the filter
 * scans them like any identity body and passes them on, and nginx's gzip
 * filter, which runs after us, compresses again for clients that accept
 * it.  When every buffer is still downstream, compressed input waits
 * (r->buffered) until one comes back, so memory per request is zlib's
 * state and window (about 44 KB) plus 64 KB, whatever the page size; a
 * brotli decoder's window is what the stream asks for (up to 16 MB).
 *
 * More than cx_inflate_max identity bytes (a bomb), or a stream that is
 * truncated, corrupt or fails its check, ends the inflation: what
 * inflated before is passed on, and the filter ends the response as
 * failed -- never as a complete page.
 *
 * It knows nginx's buffers, pools and logs, not requests: fuzz/html
 * drives it as the filter does.
 */


#include <zlib.h>
#include <brotli/decode.h>

#include "ngx_http_cx_inflate.h"


struct ngx_http_cx_inflate_s {
    z_stream             zs;
    BrotliDecoderState  *br;
    off_t                total;     /* identity bytes out */
    ngx_chain_t         *in;        /* compressed, not yet consumed */
    ngx_chain_t        **last_in;
    ngx_buf_t           *bufs[NGX_HTTP_CX_INFLATE_BUFS];
    ngx_uint_t           nbufs;
    ngx_buf_t           *cur;       /* being filled */
    off_t                max;
    ngx_uint_t           type;
    ngx_uint_t           failure;   /* NGX_HTTP_CX_INFLATE_LIMIT, ... */
    unsigned             started:1; /* a decoder is set up */
    unsigned             ended:1;   /* Z_STREAM_END */
    unsigned             failed:1;  /* broken or cut: say so next */
    unsigned             finished:1;    /* the last buffer went out */
};


static ngx_int_t ngx_http_cx_inflate_start(ngx_http_cx_inflate_t *z,
    ngx_log_t *log, u_char first);
static ngx_int_t ngx_http_cx_inflate_step(ngx_http_cx_inflate_t *z,
    ngx_log_t *log, ngx_buf_t *in, u_char *out, size_t avail, size_t *n);
static ngx_int_t ngx_http_cx_inflate_run(ngx_http_cx_inflate_t *z,
    ngx_log_t *log, ngx_buf_t *in);
static ngx_buf_t *ngx_http_cx_inflate_buf(ngx_http_cx_inflate_t *z,
    ngx_pool_t *pool);
static ngx_int_t ngx_http_cx_inflate_probe(ngx_http_cx_inflate_t *z,
    ngx_log_t *log, ngx_buf_t *in);
static void ngx_http_cx_inflate_broken(ngx_http_cx_inflate_t *z,
    ngx_log_t *log, ngx_int_t rc, const char *msg);
static ngx_int_t ngx_http_cx_inflate_fail(ngx_http_cx_inflate_t *z,
    ngx_buf_t **out);
static void ngx_http_cx_inflate_cleanup(void *data);


/* the tag of our output buffers */
static u_char  ngx_http_cx_inflate_tag;


ngx_http_cx_inflate_t *
ngx_http_cx_inflate_create(ngx_pool_t *pool, ngx_uint_t type, off_t max)
{
    ngx_pool_cleanup_t     *cln;
    ngx_http_cx_inflate_t  *z;

    z = ngx_pcalloc(pool, sizeof(ngx_http_cx_inflate_t));
    if (z == NULL) {
        return NULL;
    }

    cln = ngx_pool_cleanup_add(pool, 0);
    if (cln == NULL) {
        return NULL;
    }

    cln->handler = ngx_http_cx_inflate_cleanup;
    cln->data = z;

    z->type = type;
    z->max = max;
    z->last_in = &z->in;

    return z;
}


/*
 * HTTP's "deflate" is the zlib format, but some servers send raw deflate:
 * a zlib stream starts with a CMF byte naming deflate (low nibble 8) and
 * a window of at most 32 KB.
 */

static ngx_int_t
ngx_http_cx_inflate_start(ngx_http_cx_inflate_t *z, ngx_log_t *log,
    u_char first)
{
    int  bits, rc;

    if (z->type == NGX_HTTP_CX_INFLATE_BROTLI) {
        z->br = BrotliDecoderCreateInstance(NULL, NULL, NULL);

        if (z->br == NULL) {
            return NGX_ERROR;
        }

        z->started = 1;
        return NGX_OK;
    }

    if (z->type == NGX_HTTP_CX_INFLATE_GZIP) {
        bits = MAX_WBITS + 16;

    } else if ((first & 0x0f) == 8 && (first >> 4) <= 7) {
        bits = MAX_WBITS;

    } else {
        bits = -MAX_WBITS;
    }

    rc = inflateInit2(&z->zs, bits);

    if (rc != Z_OK) {
        ngx_log_error(NGX_LOG_ALERT, log, 0,
                      "cx: inflateInit2() failed: %d", rc);
        return NGX_ERROR;
    }

    z->started = 1;

    return NGX_OK;
}


static void
ngx_http_cx_inflate_cleanup(void *data)
{
    ngx_http_cx_inflate_t  *z = data;

    if (!z->started) {
        return;
    }

    if (z->br) {
        BrotliDecoderDestroyInstance(z->br);
        z->br = NULL;

    } else {
        inflateEnd(&z->zs);
    }

    z->started = 0;
}


ngx_int_t
ngx_http_cx_inflate_add(ngx_http_cx_inflate_t *z, ngx_pool_t *pool,
    ngx_chain_t *in)
{
    ngx_chain_t  *cl;

    for ( /* void */ ; in; in = in->next) {
        cl = ngx_alloc_chain_link(pool);
        if (cl == NULL) {
            return NGX_ERROR;
        }

        cl->buf = in->buf;
        cl->next = NULL;

        *z->last_in = cl;
        z->last_in = &cl->next;
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_cx_inflate_next(ngx_http_cx_inflate_t *z, ngx_pool_t *pool,
    ngx_log_t *log, ngx_buf_t **out)
{
    ngx_int_t     rc;
    ngx_buf_t    *in, *b;
    ngx_chain_t  *cl;

    for ( ;; ) {

        if (z->failed) {
            return ngx_http_cx_inflate_fail(z, out);
        }

        if (z->in == NULL) {
            return NGX_AGAIN;
        }

        cl = z->in;
        in = cl->buf;

        if (in->pos < in->last && !z->ended) {

            if (z->cur == NULL) {
                z->cur = ngx_http_cx_inflate_buf(z, pool);

                if (z->cur == NULL) {
                    return z->nbufs < NGX_HTTP_CX_INFLATE_BUFS ? NGX_ERROR
                                                               : NGX_BUSY;
                }
            }

            rc = ngx_http_cx_inflate_run(z, log, in);

            if (rc == NGX_ERROR) {
                return NGX_ERROR;
            }

            if (rc == NGX_OK) {
                /* the buffer is full */
                *out = z->cur;
                z->cur = NULL;
                return NGX_OK;
            }

            if (z->failed) {
                continue;
            }
        }

        if (in->pos < in->last) {
            if (!z->ended) {
                continue;
            }

            ngx_log_error(NGX_LOG_INFO, log, 0,
                          "cx: %O bytes after the end of the compressed "
                          "body ignored", (off_t) (in->last - in->pos));
            in->pos = in->last;
        }

        /* in is consumed */

        z->in = cl->next;
        if (z->in == NULL) {
            z->last_in = &z->in;
        }

        ngx_free_chain(pool, cl);

        if (in->last_buf) {

            if (!z->ended && z->started
                && z->total >= z->max)
            {
                /* output may be pending in zlib, input is all used */

                (void) ngx_http_cx_inflate_probe(z, log, NULL);

                if (z->failed) {
                    return ngx_http_cx_inflate_fail(z, out);
                }
            }

            if (!z->ended) {
                ngx_log_error(NGX_LOG_WARN, log, 0,
                              "cx: compressed body is truncated");
                z->failure = NGX_HTTP_CX_INFLATE_BROKEN;
                z->failed = 1;
                return ngx_http_cx_inflate_fail(z, out);
            }

            b = z->cur;
            z->cur = NULL;

            if (b == NULL || b->pos == b->last) {
                /* once per request */
                b = ngx_calloc_buf(pool);
                if (b == NULL) {
                    return NGX_ERROR;
                }
            }

            b->last_buf = 1;
            z->finished = 1;
            *out = b;

            return NGX_OK;
        }

        if ((in->flush || in->last_in_chain)
            && z->cur && z->cur->pos < z->cur->last)
        {
            b = z->cur;
            z->cur = NULL;
            b->flush = in->flush;
            *out = b;

            return NGX_OK;
        }
    }
}


/*
 * Inflates from in into z->cur: NGX_OK when z->cur is full, NGX_AGAIN
 * when in is used up or the stream ended.
 */

/*
 * One step of the decoder: at most avail bytes out, *n of them made;
 * NGX_OK (more to come, or more input wanted), NGX_DONE (the end of the
 * stream), NGX_DECLINED (broken: logged, remembered)
 */

static ngx_int_t
ngx_http_cx_inflate_step(ngx_http_cx_inflate_t *z, ngx_log_t *log,
    ngx_buf_t *in, u_char *out, size_t avail, size_t *n)
{
    int                    rc;
    size_t                 ai, ao;
    const uint8_t         *ni;
    uint8_t               *no;
    BrotliDecoderResult    res;

    ai = in ? (size_t) (in->last - in->pos) : 0;

    if (z->br) {
        ni = in ? in->pos : NULL;
        no = out;
        ao = avail;

        res = BrotliDecoderDecompressStream(z->br, &ai, &ni, &ao, &no, NULL);

        if (in) {
            in->pos = (u_char *) ni;
        }

        *n = avail - ao;
        z->total += *n;

        if (res == BROTLI_DECODER_RESULT_SUCCESS) {
            return NGX_DONE;
        }

        if (res == BROTLI_DECODER_RESULT_ERROR) {
            ngx_http_cx_inflate_broken(z, log,
                                       BrotliDecoderGetErrorCode(z->br),
                                       BrotliDecoderErrorString(
                                           BrotliDecoderGetErrorCode(z->br)));
            return NGX_DECLINED;
        }

        return NGX_OK;
    }

    z->zs.next_in = in ? in->pos : NULL;
    z->zs.avail_in = ai;
    z->zs.next_out = out;
    z->zs.avail_out = avail;

    rc = inflate(&z->zs, Z_NO_FLUSH);

    if (in) {
        in->pos = z->zs.next_in;
    }

    *n = avail - z->zs.avail_out;
    z->total += *n;

    if (rc == Z_STREAM_END) {
        return NGX_DONE;
    }

    if (rc != Z_OK && rc != Z_BUF_ERROR) {
        ngx_http_cx_inflate_broken(z, log, rc, z->zs.msg);
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/*
 * Inflates from in into z->cur: NGX_OK when z->cur is full, NGX_AGAIN
 * when in is used up or the stream ended.
 */

static ngx_int_t
ngx_http_cx_inflate_run(ngx_http_cx_inflate_t *z, ngx_log_t *log,
    ngx_buf_t *in)
{
    off_t       room;
    size_t      avail, n;
    u_char     *pos;
    ngx_int_t   rc;
    ngx_buf_t  *b;

    if (!z->started
        && ngx_http_cx_inflate_start(z, log, *in->pos) != NGX_OK)
    {
        return NGX_ERROR;
    }

    b = z->cur;

    for ( ;; ) {
        avail = b->end - b->last;
        room = z->max - z->total;

        if (room <= 0) {
            return ngx_http_cx_inflate_probe(z, log, in);
        }

        if ((off_t) avail > room) {
            avail = (size_t) room;
        }

        pos = in->pos;

        rc = ngx_http_cx_inflate_step(z, log, in, b->last, avail, &n);

        b->last += n;

        if (rc == NGX_DONE) {
            z->ended = 1;
            return (b->last == b->end) ? NGX_OK : NGX_AGAIN;
        }

        if (rc == NGX_DECLINED) {
            return NGX_AGAIN;
        }

        if (b->last == b->end) {
            return NGX_OK;
        }

        if (in->pos == in->last || (n == 0 && in->pos == pos)) {
            /* used up, or no progress possible until more comes */
            return NGX_AGAIN;
        }

        /* the output was capped below the buffer: the limit is reached */
    }
}


/*
 * At cx_inflate_max: one more byte out means the limit is passed; the
 * stream may also end right there, or want more input first.
 */

static ngx_int_t
ngx_http_cx_inflate_probe(ngx_http_cx_inflate_t *z, ngx_log_t *log,
    ngx_buf_t *in)
{
    size_t     n;
    u_char     probe;
    ngx_int_t  rc;

    rc = ngx_http_cx_inflate_step(z, log, in, &probe, 1, &n);

    if (n) {
        ngx_log_error(NGX_LOG_WARN, log, 0,
                      "cx: compressed body inflates to more than "
                      "cx_inflate_max %O bytes, not injected", z->max);
        z->failure = NGX_HTTP_CX_INFLATE_LIMIT;
        z->failed = 1;
        return NGX_AGAIN;
    }

    if (rc == NGX_DONE) {
        z->ended = 1;
    }

    return NGX_AGAIN;
}


/* the decoder says the stream is broken: logged, remembered */

static void
ngx_http_cx_inflate_broken(ngx_http_cx_inflate_t *z, ngx_log_t *log,
    ngx_int_t rc, const char *msg)
{
    ngx_log_error(NGX_LOG_WARN, log, 0,
                  "cx: compressed body is broken: %i %s",
                  rc, msg ? msg : "");
    z->failure = NGX_HTTP_CX_INFLATE_BROKEN;
    z->failed = 1;
}


/* what inflated before the failure, then NGX_DECLINED */

static ngx_int_t
ngx_http_cx_inflate_fail(ngx_http_cx_inflate_t *z, ngx_buf_t **out)
{
    ngx_chain_t  *cl;

    if (z->cur && z->cur->pos < z->cur->last) {
        *out = z->cur;
        z->cur = NULL;
        return NGX_OK;
    }

    /* the rest of the body is dropped */

    for (cl = z->in; cl; cl = cl->next) {
        cl->buf->pos = cl->buf->last;
    }

    z->in = NULL;
    z->last_in = &z->in;
    z->finished = 1;

    return NGX_DECLINED;
}


/* a free output buffer: one that came back from downstream, or a new one */

static ngx_buf_t *
ngx_http_cx_inflate_buf(ngx_http_cx_inflate_t *z, ngx_pool_t *pool)
{
    ngx_buf_t   *b;
    ngx_uint_t   i;

    for (i = 0; i < z->nbufs; i++) {
        b = z->bufs[i];

        if (b->pos == b->last) {
            b->pos = b->start;
            b->last = b->start;
            b->flush = 0;
            return b;
        }
    }

    if (z->nbufs == NGX_HTTP_CX_INFLATE_BUFS) {
        return NULL;
    }

    b = ngx_create_temp_buf(pool, NGX_HTTP_CX_INFLATE_SIZE);
    if (b == NULL) {
        return NULL;
    }

    b->tag = (ngx_buf_tag_t) &ngx_http_cx_inflate_tag;
    b->recycled = 1;

    z->bufs[z->nbufs++] = b;

    return b;
}


ngx_uint_t
ngx_http_cx_inflate_ready(ngx_http_cx_inflate_t *z)
{
    ngx_uint_t  i;

    if (z->in == NULL) {
        return 0;
    }

    if (z->nbufs < NGX_HTTP_CX_INFLATE_BUFS || z->cur) {
        return 1;
    }

    for (i = 0; i < z->nbufs; i++) {
        if (z->bufs[i]->pos == z->bufs[i]->last) {
            return 1;
        }
    }

    return 0;
}


ngx_uint_t
ngx_http_cx_inflate_pending(ngx_http_cx_inflate_t *z)
{
    return z->in != NULL;
}


ngx_uint_t
ngx_http_cx_inflate_failure(ngx_http_cx_inflate_t *z)
{
    return z->failure;
}
