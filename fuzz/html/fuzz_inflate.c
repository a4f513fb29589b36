
/*
 * fuzz/html/fuzz_inflate.c: libFuzzer harness for the inflate front end
 * (ngx_http_cx_inflate.c) with the tokenizer behind it, driven as the
 * filter drives them.  The input is one document; a generator seeded by
 * it picks the format (gzip, zlib, raw deflate, brotli), the level, where the
 * compressed stream is cut into pieces (down to one byte), how many
 * output buffers stay "downstream" before they are sent, and a mode:
 *
 *   whole      the identity bytes are the document, byte for byte, and
 *              the tokenizer finds "</body" where the oracle finds it
 *   truncated  the stream is cut short: the unit says "broken", and what
 *              it gave is a prefix of the document
 *   corrupt    a byte of the stream changed: no crash, no more than
 *              cx_inflate_max bytes out
 *   limit      cx_inflate_max below the document's length: the unit says
 *              "limit" after exactly that prefix
 *
 * Never more than NGX_HTTP_CX_INFLATE_BUFS buffers of its own.  Anything
 * else aborts.  nginx's pool, buffer and log functions are stubbed here.
 *
 *   make -C fuzz/html fuzz-inflate
 *   make -C fuzz/html run-inflate SECONDS=300
 */


#include <stdio.h>
#include <stdint.h>
#include <zlib.h>
#include <brotli/encode.h>
#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_cx_html.h"
#include "ngx_http_cx_inflate.h"
#include "reference.h"
#include "gen.h"


CX_FEED(cx_feed_fix, ngx_http_cx_html_fix_parse, ngx_http_cx_html_fix_marker,
        ngx_http_cx_html_ref_t)


/* ---- the stubs: a pool that frees everything at the end of a run ---- */

typedef struct cx_alloc_s  cx_alloc_t;

struct cx_alloc_s {
    cx_alloc_t  *next;
};

static cx_alloc_t  *cx_allocs;


void *
ngx_palloc(ngx_pool_t *pool, size_t size)
{
    cx_alloc_t  *a;

    a = malloc(sizeof(cx_alloc_t) + size);
    if (a == NULL) {
        abort();
    }

    a->next = cx_allocs;
    cx_allocs = a;

    return a + 1;
}


void *
ngx_pnalloc(ngx_pool_t *pool, size_t size)
{
    return ngx_palloc(pool, size);
}


void *
ngx_pcalloc(ngx_pool_t *pool, size_t size)
{
    return memset(ngx_palloc(pool, size), 0, size);
}


ngx_pool_cleanup_t *
ngx_pool_cleanup_add(ngx_pool_t *p, size_t size)
{
    ngx_pool_cleanup_t  *c;

    c = ngx_pcalloc(p, sizeof(ngx_pool_cleanup_t));
    c->next = p->cleanup;
    p->cleanup = c;

    return c;
}


ngx_buf_t *
ngx_create_temp_buf(ngx_pool_t *pool, size_t size)
{
    ngx_buf_t  *b;

    b = ngx_calloc_buf(pool);
    b->start = ngx_palloc(pool, size);
    b->pos = b->start;
    b->last = b->start;
    b->end = b->start + size;
    b->temporary = 1;

    return b;
}


ngx_chain_t *
ngx_alloc_chain_link(ngx_pool_t *pool)
{
    ngx_chain_t  *cl;

    cl = pool->chain;

    if (cl) {
        pool->chain = cl->next;
        return cl;
    }

    return ngx_palloc(pool, sizeof(ngx_chain_t));
}


void
ngx_log_error_core(ngx_uint_t level, ngx_log_t *log, ngx_err_t err,
    const char *fmt, ...)
{
}


static void
cx_pool_destroy(ngx_pool_t *pool)
{
    cx_alloc_t          *a;
    ngx_pool_cleanup_t  *c;

    for (c = pool->cleanup; c; c = c->next) {
        c->handler(c->data);
    }

    while (cx_allocs) {
        a = cx_allocs;
        cx_allocs = a->next;
        free(a);
    }

    memset(pool, 0, sizeof(ngx_pool_t));
}


/* ---- one run ----------------------------------------------------------- */

enum { cx_whole = 0, cx_truncated, cx_corrupt, cx_limit };


static void
cx_fail(const char *what, int mode, int format, size_t len)
{
    fprintf(stderr, "inflate: %s (mode %d, format %d, %zu bytes)\n",
            what, mode, format, len);
    abort();
}


/* the stream of doc, in gzip (0), zlib (1), raw deflate (2) or brotli (3) */

static size_t
cx_compress(const uint8_t *doc, size_t len, int format, int level,
    uint8_t **out)
{
    int       bits;
    size_t    cap;
    z_stream  zs;

    if (format == 3) {
        cap = BrotliEncoderMaxCompressedSize(len) + 64;
        *out = malloc(cap);

        if (!BrotliEncoderCompress(level, 18, BROTLI_MODE_TEXT, len, doc,
                                   &cap, *out))
        {
            abort();
        }

        return cap;
    }

    bits = (format == 0) ? 31 : (format == 1) ? 15 : -15;

    memset(&zs, 0, sizeof(z_stream));

    if (deflateInit2(&zs, level, Z_DEFLATED, bits, 8, Z_DEFAULT_STRATEGY)
        != Z_OK)
    {
        abort();
    }

    cap = deflateBound(&zs, len) + 64;
    *out = malloc(cap);

    zs.next_in = (Bytef *) doc;
    zs.avail_in = len;
    zs.next_out = *out;
    zs.avail_out = cap;

    if (deflate(&zs, Z_FINISH) != Z_STREAM_END) {
        abort();
    }

    deflateEnd(&zs);

    return cap - zs.avail_out;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                     mode, format, level;
    long                    want, found;
    off_t                   max;
    size_t                  zlen, pos, piece, outlen, i, busy, nq, maxpiece;
    uint8_t                *z, *outbuf;
    u_char                 *p;
    uint64_t                seed;
    cx_rng_t                r;
    ngx_int_t               rc, failure;
    ngx_buf_t              *in, *b, *queue[16], *seen[16];
    ngx_uint_t              nseen, k, last;
    ngx_log_t               log;
    ngx_pool_t              pool;
    ngx_chain_t             link;
    ngx_http_cx_html_t      html;
    ngx_http_cx_inflate_t  *zi;

    seed = 0xcbf29ce484222325ULL;

    for (i = 0; i < size; i++) {
        seed = (seed ^ data[i]) * 0x100000001b3ULL;
    }

    r.s = seed | 1;

    mode = (int) cx_rnd(&r, 4);
    format = (int) cx_rnd(&r, 4);
    level = (int) cx_rnd(&r, 10);
    maxpiece = 1 + cx_rnd(&r, 1 + (seed >> 40) % 300);
    busy = cx_rnd(&r, NGX_HTTP_CX_INFLATE_BUFS + 1);

    zlen = cx_compress(data, size, format, level, &z);

    max = (off_t) size + 1;

    if (mode == cx_truncated) {
        if (zlen < 2) {
            mode = cx_whole;
        } else {
            zlen = cx_rnd(&r, zlen - 1);
        }

    } else if (mode == cx_corrupt && zlen) {
        z[cx_rnd(&r, zlen)] ^= (uint8_t) (1 + cx_rnd(&r, 255));
        max = 1 + cx_rnd(&r, 2 * size + 64);

    } else if (mode == cx_limit) {
        if (size == 0) {
            mode = cx_whole;
        } else {
            max = (off_t) cx_rnd(&r, size);
        }
    }

    want = cx_feed_fix((const char *) data, size, &size, 1, NULL);

    memset(&pool, 0, sizeof(ngx_pool_t));
    memset(&log, 0, sizeof(ngx_log_t));
    memset(&html, 0, sizeof(ngx_http_cx_html_t));

    zi = ngx_http_cx_inflate_create(&pool, format == 0
                                           ? NGX_HTTP_CX_INFLATE_GZIP
                                           : format == 3
                                           ? NGX_HTTP_CX_INFLATE_BROTLI
                                           : NGX_HTTP_CX_INFLATE_DEFLATE,
                                    max);

    outbuf = malloc(size + (size_t) max + 1);
    outlen = 0;
    found = -1;
    nq = 0;
    nseen = 0;
    failure = 0;
    last = 0;
    pos = 0;
    rc = NGX_AGAIN;

    do {
        piece = (zlen - pos < maxpiece) ? zlen - pos : 1 + cx_rnd(&r, maxpiece);

        in = ngx_calloc_buf(&pool);
        in->pos = z + pos;
        in->last = z + pos + piece;
        in->memory = 1;
        pos += piece;
        in->last_buf = (pos == zlen);

        link.buf = in;
        link.next = NULL;

        if (ngx_http_cx_inflate_add(zi, &pool, &link) != NGX_OK) {
            cx_fail("add", mode, format, size);
        }

        for ( ;; ) {
            rc = ngx_http_cx_inflate_next(zi, &pool, &log, &b);

            if (rc == NGX_OK) {
                if (last) {
                    cx_fail("a buffer after the last", mode, format, size);
                }

                last = b->last_buf;

                if (b->pos != b->last) {
                    for (k = 0; k < nseen && seen[k] != b; k++) { /* void */ }

                    if (k == nseen) {
                        if (nseen == NGX_HTTP_CX_INFLATE_BUFS) {
                            cx_fail("more buffers than allowed", mode, format,
                                    size);
                        }

                        seen[nseen++] = b;
                    }

                    if (outlen + (b->last - b->pos) > size + (size_t) max) {
                        cx_fail("more bytes than possible", mode, format,
                                size);
                    }

                    memcpy(outbuf + outlen, b->pos, b->last - b->pos);

                    if (found < 0) {
                        p = b->pos;

                        if (ngx_http_cx_html_parse(&html, &p, b->last)
                            == NGX_OK)
                        {
                            found = (long) (outlen + (p - b->pos));
                        }
                    }

                    outlen += b->last - b->pos;

                    /* downstream now; sent when more than busy wait */

                    queue[nq++] = b;

                    while (nq > busy) {
                        queue[0]->pos = queue[0]->last;
                        memmove(queue, queue + 1, --nq * sizeof(ngx_buf_t *));
                    }
                }

                continue;
            }

            if (rc == NGX_BUSY) {
                if (nq == 0) {
                    cx_fail("busy with nothing downstream", mode, format,
                            size);
                }

                queue[0]->pos = queue[0]->last;
                memmove(queue, queue + 1, --nq * sizeof(ngx_buf_t *));

                if (!ngx_http_cx_inflate_ready(zi)) {
                    cx_fail("not ready with a free buffer", mode, format,
                            size);
                }

                continue;
            }

            break;
        }

        if (rc == NGX_ERROR) {
            cx_fail("error", mode, format, size);
        }

        if (rc == NGX_DECLINED) {
            failure = (ngx_int_t) ngx_http_cx_inflate_failure(zi);
            break;
        }

        /* NGX_AGAIN: all of the input is used */

        if (in->pos != in->last || ngx_http_cx_inflate_pending(zi)) {
            cx_fail("input left on NGX_AGAIN", mode, format, size);
        }

    } while (pos < zlen);

    switch (mode) {

    case cx_whole:
        if (failure || !last || outlen != size
            || memcmp(outbuf, data, size) != 0)
        {
            cx_fail("the document did not come back", mode, format, size);
        }

        if (found != want) {
            fprintf(stderr, "found %ld, oracle %ld\n", found, want);
            cx_fail("the tokenizer disagrees", mode, format, size);
        }

        break;

    case cx_truncated:
        if (failure != NGX_HTTP_CX_INFLATE_BROKEN || last
            || outlen > size || memcmp(outbuf, data, outlen) != 0)
        {
            cx_fail("truncated: not broken, or not a prefix", mode, format,
                    size);
        }

        break;

    case cx_corrupt:
        if (outlen > (size_t) max || (last && failure)) {
            cx_fail("corrupt: past the limit", mode, format, size);
        }

        break;

    case cx_limit:
        if (failure != NGX_HTTP_CX_INFLATE_LIMIT || last
            || outlen != (size_t) max || memcmp(outbuf, data, outlen) != 0)
        {
            fprintf(stderr, "failure %d, last %d, %zu bytes out, max %d\n",
                    (int) failure, (int) last, outlen, (int) max);
            cx_fail("limit: not cut at cx_inflate_max", mode, format, size);
        }

        break;
    }

    free(outbuf);
    free(z);
    cx_pool_destroy(&pool);

    return 0;
}
