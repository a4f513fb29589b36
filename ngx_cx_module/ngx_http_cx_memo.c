
/*
 * ngx_http_cx_memo.c: where the real "</body>" is, remembered per
 * representation.  A response with a strong ETag is byte for byte the
 * same every time it is served with that ETag (RFC 9110, 8.8.1), so the
 * offset the tokenizer found the first time holds for the next ones: the
 * filter then puts the tag there without scanning (after checking the
 * six bytes it lands on).  A small direct-mapped table per worker; a
 * collision just costs a scan.
 */


#include "ngx_http_cx_module.h"
#include "ngx_http_cx_memo.h"


#define NGX_HTTP_CX_MEMO_SIZE  4096         /* a power of 2 */


typedef struct {
    uint64_t                     key;
    off_t                        offset;    /* -1: no "</body>" at all */
} ngx_http_cx_memo_entry_t;


/* per worker: allocated on first use */
static ngx_http_cx_memo_entry_t  *ngx_http_cx_memo;


static uint64_t
ngx_http_cx_fnv(uint64_t h, u_char *p, size_t len)
{
    u_char  *last;

    for (last = p + len; p < last; p++) {
        h = (h ^ *p) * 0x100000001b3ULL;
    }

    return h;
}


/*
 * The representation: this location, the URI, the strong ETag, the
 * length and the content coding.  0 when the response cannot be remembered.
 */

uint64_t
ngx_http_cx_memo_key(ngx_http_request_t *r, void *lcf)
{
    uint64_t          h;
    ngx_table_elt_t  *etag;

    etag = r->headers_out.etag;

    if (etag == NULL || etag->value.len < 2 || etag->value.data[0] != '"'
        || r->headers_out.content_length_n <= 0)
    {
        return 0;
    }

    /*
     * nginx's own ETags are made of the modification time in seconds and
     * the size: a file rewritten within the same second with the same
     * size keeps its ETag.  Such a fresh file is not remembered.
     */

    if (r->headers_out.last_modified_time != -1
        && ngx_time() - r->headers_out.last_modified_time < 2)
    {
        return 0;
    }

    h = 0xcbf29ce484222325ULL;
    h = ngx_http_cx_fnv(h, (u_char *) &lcf, sizeof(lcf));
    h = ngx_http_cx_fnv(h, r->uri.data, r->uri.len);
    h = ngx_http_cx_fnv(h, etag->value.data, etag->value.len);
    h = ngx_http_cx_fnv(h, (u_char *) &r->headers_out.content_length_n,
                        sizeof(off_t));

    /* an encoded representation: the offset counts its identity bytes */

    if (r->headers_out.content_encoding) {
        h = ngx_http_cx_fnv(h, r->headers_out.content_encoding->value.data,
                            r->headers_out.content_encoding->value.len);
    }

    return h ? h : 1;
}


ngx_int_t
ngx_http_cx_memo_get(uint64_t key, off_t *offset)
{
    ngx_http_cx_memo_entry_t  *e;

    if (ngx_http_cx_memo == NULL || key == 0) {
        return NGX_DECLINED;
    }

    e = &ngx_http_cx_memo[key & (NGX_HTTP_CX_MEMO_SIZE - 1)];

    if (e->key != key) {
        return NGX_DECLINED;
    }

    *offset = e->offset;

    return NGX_OK;
}


void
ngx_http_cx_memo_set(uint64_t key, off_t offset)
{
    ngx_http_cx_memo_entry_t  *e;

    if (key == 0) {
        return;
    }

    if (ngx_http_cx_memo == NULL) {
        ngx_http_cx_memo = ngx_calloc(NGX_HTTP_CX_MEMO_SIZE
                                      * sizeof(ngx_http_cx_memo_entry_t),
                                      ngx_cycle->log);
        if (ngx_http_cx_memo == NULL) {
            return;
        }
    }

    e = &ngx_http_cx_memo[key & (NGX_HTTP_CX_MEMO_SIZE - 1)];
    e->key = key;
    e->offset = offset;
}


void
ngx_http_cx_memo_forget(uint64_t key)
{
    ngx_http_cx_memo_entry_t  *e;

    if (ngx_http_cx_memo == NULL || key == 0) {
        return;
    }

    e = &ngx_http_cx_memo[key & (NGX_HTTP_CX_MEMO_SIZE - 1)];

    if (e->key == key) {
        e->key = 0;
    }
}
