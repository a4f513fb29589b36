
/*
 * ngx_http_cx_place.c: where the tag goes in the body's buffers.  Each
 * identity buffer is streamed through the HTML tokenizer, or, for a
 * representation whose "</body>" offset is remembered
 * (ngx_http_cx_memo.c), placed at that offset after checking the bytes
 * there; the tag goes right before the real "</body>", or at the end of
 * a document that has none.
 *
 * Buffers that need no split pass through untouched.  A buffer that is
 * split is sent as copies of its descriptor pointing into its memory, the
 * last one shadowing the original, as sub_filter does; a file buffer is
 * split into ranges of its file, so that sendfile still carries it.  At
 * most NGX_HTTP_CX_HTML_MARKER bytes of a possible "</body" are held back
 * between calls, so memory per request is constant.
 */


#include "ngx_http_cx_module.h"
#include "ngx_http_cx_memo.h"
#include "ngx_http_cx_metrics.h"
#include "ngx_http_cx_place.h"


/* the store of held bytes: NGX_HTTP_CX_HTML_MARKER at most */
#define NGX_HTTP_CX_HELD_MAX        8

/* a file's tail after the tag up to this is read, and sent with the tag */
#define NGX_HTTP_CX_TAIL_MAX        4096


static ngx_int_t ngx_http_cx_scan(ngx_http_request_t *r,
    ngx_http_cx_ctx_t *ctx, ngx_buf_t *b);
static ngx_int_t ngx_http_cx_place(ngx_http_request_t *r,
    ngx_http_cx_ctx_t *ctx, ngx_buf_t *b);
static ngx_int_t ngx_http_cx_place_rest(ngx_http_request_t *r,
    ngx_http_cx_ctx_t *ctx, ngx_buf_t *b);
static ngx_int_t ngx_http_cx_place_changed(ngx_http_request_t *r,
    ngx_http_cx_ctx_t *ctx, ngx_buf_t *b);
static ngx_int_t ngx_http_cx_place_in(ngx_http_request_t *r,
    ngx_http_cx_ctx_t *ctx, off_t size, ngx_uint_t file, off_t *at);
static ngx_int_t ngx_http_cx_place_file(ngx_http_request_t *r,
    ngx_http_cx_ctx_t *ctx, ngx_buf_t *b);
static ngx_int_t ngx_http_cx_file_says_body(ngx_http_request_t *r,
    ngx_buf_t *b, off_t at, u_char *buf, size_t len);
static ngx_buf_t *ngx_http_cx_emit_file(ngx_http_request_t *r,
    ngx_http_cx_ctx_t *ctx, ngx_buf_t *b, off_t from, off_t to,
    ngx_buf_t *shadow);
static ngx_int_t ngx_http_cx_append(ngx_http_request_t *r,
    ngx_http_cx_ctx_t *ctx, ngx_buf_t *b);
static ngx_int_t ngx_http_cx_hold(ngx_http_request_t *r,
    ngx_http_cx_ctx_t *ctx, ngx_buf_t *b, size_t keep);
static ngx_int_t ngx_http_cx_release(ngx_http_request_t *r,
    ngx_http_cx_ctx_t *ctx, size_t n, ngx_buf_t **sent);
static ngx_chain_t *ngx_http_cx_get_buf(ngx_http_request_t *r,
    ngx_http_cx_ctx_t *ctx);
static ngx_buf_t *ngx_http_cx_emit(ngx_http_request_t *r,
    ngx_http_cx_ctx_t *ctx, u_char *pos, u_char *last, ngx_buf_t *shadow);
static ngx_int_t ngx_http_cx_emit_buf(ngx_http_request_t *r,
    ngx_http_cx_ctx_t *ctx, ngx_buf_t *b);


/* one identity buffer, incoming or inflated */

ngx_int_t
ngx_http_cx_place_buf(ngx_http_request_t *r, ngx_http_cx_ctx_t *ctx,
    ngx_buf_t *b)
{
    if (ctx->injected) {
        return ngx_http_cx_emit_buf(r, ctx, b);
    }

    return ctx->memo_hit ? ngx_http_cx_place(r, ctx, b)
                         : ngx_http_cx_scan(r, ctx, b);
}


/* one incoming buffer before the tag was placed */

static ngx_int_t
ngx_http_cx_scan(ngx_http_request_t *r, ngx_http_cx_ctx_t *ctx,
    ngx_buf_t *b)
{
    off_t       start;
    u_char     *p, *ins, *held;
    size_t      seen, keep;
    ngx_int_t   rc;

    if (!ngx_buf_in_memory(b) || b->pos == b->last) {

        if (!ngx_buf_special(b) && !ngx_buf_in_memory(b)) {
            /* cannot happen with filter_need_in_memory set */
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          "cx: buffer not in memory, injection abandoned");
            ngx_http_cx_stat_inc(r, ngx_http_cx_stat_skip_no_memory);

            if (ngx_http_cx_release(r, ctx, ctx->held_len, NULL) != NGX_OK) {
                return NGX_ERROR;
            }

            ctx->injected = 1;
            return ngx_http_cx_emit_buf(r, ctx, b);
        }

        if (b->last_buf) {
            return ngx_http_cx_append(r, ctx, b);
        }

        return ngx_http_cx_emit_buf(r, ctx, b);
    }

    p = b->pos;
    rc = ngx_http_cx_html_parse(&ctx->html, &p, b->last);

    start = ctx->stream_pos;
    ctx->stream_pos += b->last - b->pos;

    ngx_log_debug5(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "cx scan: %uz bytes, rc %i at %uz, held %uz, state %d",
                   (size_t) (b->last - b->pos), rc, (size_t) (p - b->pos),
                   ctx->held_len, (int) ctx->html.state);

    if (rc == NGX_OK) {
        /* the tag goes NGX_HTTP_CX_HTML_MARKER bytes before p */

        seen = ctx->held_len + (p - b->pos);
        keep = seen - NGX_HTTP_CX_HTML_MARKER;
        ins = b->pos;

        if (keep < ctx->held_len) {
            /* the marker began in the held bytes: split them */

            held = ctx->held->buf->start;
            seen = ctx->held_len;

            if (ngx_http_cx_release(r, ctx, keep, NULL) != NGX_OK
                || ngx_http_cx_emit(r, ctx, ctx->tag.data,
                                    ctx->tag.data + ctx->tag.len, NULL)
                   == NULL
                || ngx_http_cx_emit(r, ctx, held + keep, held + seen, NULL)
                   == NULL)
            {
                return NGX_ERROR;
            }

        } else {
            ins = b->pos + (keep - ctx->held_len);

            if (ngx_http_cx_release(r, ctx, ctx->held_len, NULL) != NGX_OK
                || (ins != b->pos
                    && ngx_http_cx_emit(r, ctx, b->pos, ins, NULL) == NULL)
                || ngx_http_cx_emit(r, ctx, ctx->tag.data,
                                    ctx->tag.data + ctx->tag.len, NULL)
                   == NULL)
            {
                return NGX_ERROR;
            }
        }

        ctx->injected = 1;
        ngx_http_cx_stat_inc(r, ngx_http_cx_stat_injected);

        ngx_http_cx_memo_set(ctx->memo_key,
                             start + (p - b->pos) - NGX_HTTP_CX_HTML_MARKER);

        /* p < b->last: the delimiter after "</body" is in b */

        return ngx_http_cx_emit(r, ctx, ins, b->last, b) ? NGX_OK : NGX_ERROR;
    }

    /* NGX_AGAIN */

    if (b->last_buf) {
        return ngx_http_cx_append(r, ctx, b);
    }

    keep = ngx_http_cx_html_marker(&ctx->html);

    if (ctx->held_len == 0 && keep == 0) {
        return ngx_http_cx_emit_buf(r, ctx, b);
    }

    return ngx_http_cx_hold(r, ctx, b, keep);
}


/* the end of a document without "</body>": the tag goes at its end */

static ngx_int_t
ngx_http_cx_append(ngx_http_request_t *r, ngx_http_cx_ctx_t *ctx,
    ngx_buf_t *b)
{
    ngx_buf_t    *last;
    ngx_chain_t  *cl;

    if (ngx_http_cx_release(r, ctx, ctx->held_len, NULL) != NGX_OK) {
        return NGX_ERROR;
    }

    last = NULL;

    if (b->in_file && !ngx_buf_in_memory(b)
        && b->file_pos != b->file_last)
    {
        last = ngx_http_cx_emit_file(r, ctx, b, b->file_pos, b->file_last,
                                     b);
        if (last == NULL) {
            return NGX_ERROR;
        }

        last->last_buf = 0;

    } else if (b->pos != b->last) {
        last = ngx_http_cx_emit(r, ctx, b->pos, b->last, b);
        if (last == NULL) {
            return NGX_ERROR;
        }

        last->last_buf = 0;
    }

    if (ngx_http_cx_emit(r, ctx, ctx->tag.data, ctx->tag.data + ctx->tag.len,
                         NULL)
        == NULL)
    {
        return NGX_ERROR;
    }

    ctx->injected = 1;
    ngx_http_cx_stat_inc(r, ngx_http_cx_stat_appended);

    if (!ctx->memo_hit) {
        ngx_http_cx_memo_set(ctx->memo_key, -1);
    }

    if (last == NULL) {
        /* nothing of b went before the tag: b itself goes after it */
        return ngx_http_cx_emit_buf(r, ctx, b);
    }

    /* once per request: a special buffer is never recycled */

    last = ngx_calloc_buf(r->pool);
    if (last == NULL) {
        return NGX_ERROR;
    }

    last->last_buf = 1;

    cl = ngx_alloc_chain_link(r->pool);
    if (cl == NULL) {
        return NGX_ERROR;
    }

    cl->buf = last;
    cl->next = NULL;

    *ctx->last_out = cl;
    ctx->last_out = &cl->next;

    return NGX_OK;
}


/*
 * One incoming buffer of a representation seen before: the tag goes at
 * the remembered offset, if the bytes there still say "</body"; if not,
 * the entry is forgotten and the tag goes at the end.  Bytes of the
 * marker at the end of a buffer are held until the next one shows the
 * rest (ngx_http_cx_place_rest()).
 */

static ngx_int_t
ngx_http_cx_place(ngx_http_request_t *r, ngx_http_cx_ctx_t *ctx,
    ngx_buf_t *b)
{
    off_t    at;
    size_t   n;
    u_char  *ins;

    if (ctx->held_len) {
        return ngx_http_cx_place_rest(r, ctx, b);
    }

    if (b->in_file && !ngx_buf_in_memory(b)) {
        return ngx_http_cx_place_file(r, ctx, b);
    }

    if (!ngx_buf_in_memory(b) || b->pos == b->last) {
        return b->last_buf ? ngx_http_cx_append(r, ctx, b)
                           : ngx_http_cx_emit_buf(r, ctx, b);
    }

    if (ngx_http_cx_place_in(r, ctx, b->last - b->pos, 0, &at) != NGX_OK) {
        return b->last_buf ? ngx_http_cx_append(r, ctx, b)
                           : ngx_http_cx_emit_buf(r, ctx, b);
    }

    ins = b->pos + at;
    n = ngx_min((size_t) (b->last - ins), NGX_HTTP_CX_HTML_MARKER);

    if (ngx_strncasecmp(ins, (u_char *) "</body", n) != 0
        || (n < NGX_HTTP_CX_HTML_MARKER && b->last_buf))
    {
        return ngx_http_cx_place_changed(r, ctx, b);
    }

    if (n < NGX_HTTP_CX_HTML_MARKER) {
        return ngx_http_cx_hold(r, ctx, b, n);
    }

    if ((ins != b->pos
         && ngx_http_cx_emit(r, ctx, b->pos, ins, NULL) == NULL)
        || ngx_http_cx_emit(r, ctx, ctx->tag.data,
                            ctx->tag.data + ctx->tag.len, NULL)
           == NULL)
    {
        return NGX_ERROR;
    }

    ctx->injected = 1;
    ngx_http_cx_stat_inc(r, ngx_http_cx_stat_injected);

    return ngx_http_cx_emit(r, ctx, ins, b->last, b) ? NGX_OK : NGX_ERROR;
}


/*
 * The buffer after one that ended inside the remembered marker: the tag
 * goes before the held bytes if this one goes on with the rest of
 * "</body" (a short buffer is held with them).
 */

static ngx_int_t
ngx_http_cx_place_rest(ngx_http_request_t *r, ngx_http_cx_ctx_t *ctx,
    ngx_buf_t *b)
{
    size_t  need, n;

    if (ngx_buf_special(b) && !b->last_buf) {
        return ngx_http_cx_emit_buf(r, ctx, b);
    }

    if (!ngx_buf_in_memory(b)) {
        return ngx_http_cx_place_changed(r, ctx, b);
    }

    need = NGX_HTTP_CX_HTML_MARKER - ctx->held_len;
    n = ngx_min((size_t) (b->last - b->pos), need);

    if (ngx_strncasecmp(b->pos, (u_char *) "</body" + ctx->held_len, n) != 0
        || (n < need && b->last_buf))
    {
        return ngx_http_cx_place_changed(r, ctx, b);
    }

    if (n < need) {
        return ngx_http_cx_hold(r, ctx, b, ctx->held_len + n);
    }

    if (ngx_http_cx_emit(r, ctx, ctx->tag.data, ctx->tag.data + ctx->tag.len,
                         NULL)
        == NULL
        || ngx_http_cx_release(r, ctx, ctx->held_len, NULL) != NGX_OK)
    {
        return NGX_ERROR;
    }

    ctx->injected = 1;
    ngx_http_cx_stat_inc(r, ngx_http_cx_stat_injected);

    return ngx_http_cx_emit_buf(r, ctx, b);
}


/*
 * The bytes at the remembered offset no longer say "</body": the entry
 * is forgotten, what was held goes on, and the tag goes at the end.
 */

static ngx_int_t
ngx_http_cx_place_changed(ngx_http_request_t *r, ngx_http_cx_ctx_t *ctx,
    ngx_buf_t *b)
{
    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "cx: \"%V\" changed under the same ETag, "
                  "the tag goes at its end", &r->uri);
    ngx_http_cx_memo_forget(ctx->memo_key);
    ctx->memo_offset = -1;

    if (b->last_buf) {
        return ngx_http_cx_append(r, ctx, b);
    }

    if (ngx_http_cx_release(r, ctx, ctx->held_len, NULL) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_cx_emit_buf(r, ctx, b);
}


/*
 * The next size bytes of the body: whether the remembered offset is
 * among them, and where (*at, from their start)
 */

static ngx_int_t
ngx_http_cx_place_in(ngx_http_request_t *r, ngx_http_cx_ctx_t *ctx,
    off_t size, ngx_uint_t file, off_t *at)
{
    off_t  start;

    start = ctx->stream_pos;
    ctx->stream_pos += size;

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "cx place%s: %O bytes, remembered offset %O",
                   file ? " file" : "", size, ctx->memo_offset);

    if (ctx->memo_offset < start || ctx->memo_offset >= start + size) {
        return NGX_DECLINED;
    }

    *at = ctx->memo_offset - start;

    return NGX_OK;
}


/*
 * A file buffer of a representation seen before: sent as two buffers on
 * the same file with the tag in memory between, so that sendfile still
 * carries the page; if the file no longer says "</body" there (changed
 * in place, same size, same second), the entry is forgotten and the tag
 * goes at the end.
 */

static ngx_int_t
ngx_http_cx_place_file(ngx_http_request_t *r, ngx_http_cx_ctx_t *ctx,
    ngx_buf_t *b)
{
    off_t    at;
    u_char  *tail;
    size_t   len;

    if (ngx_http_cx_place_in(r, ctx, b->file_last - b->file_pos, 1, &at)
        != NGX_OK)
    {
        return b->last_buf ? ngx_http_cx_append(r, ctx, b)
                           : ngx_http_cx_emit_buf(r, ctx, b);
    }

    at += b->file_pos;

    /*
     * A short tail (usually "</body></html>") is read with the check and
     * sent in one buffer with the tag: one system call less than a
     * second range of the file
     */

    len = NGX_HTTP_CX_HTML_MARKER;
    tail = NULL;

    if (b->file_last - at <= NGX_HTTP_CX_TAIL_MAX
        && b->file_last - at >= NGX_HTTP_CX_HTML_MARKER)
    {
        len = (size_t) (b->file_last - at);

        tail = ngx_pnalloc(r->pool, ctx->tag.len + len);
        if (tail == NULL) {
            return NGX_ERROR;
        }

        ngx_memcpy(tail, ctx->tag.data, ctx->tag.len);
    }

    if (ngx_http_cx_file_says_body(r, b, at, tail ? tail + ctx->tag.len : NULL,
                                   len)
        != NGX_OK)
    {
        return ngx_http_cx_place_changed(r, ctx, b);
    }

    if (at != b->file_pos
        && ngx_http_cx_emit_file(r, ctx, b, b->file_pos, at, NULL) == NULL)
    {
        return NGX_ERROR;
    }

    if (tail) {
        ctx->injected = 1;
        ngx_http_cx_stat_inc(r, ngx_http_cx_stat_injected);

        return ngx_http_cx_emit(r, ctx, tail, tail + ctx->tag.len + len, b)
               ? NGX_OK : NGX_ERROR;
    }

    if (ngx_http_cx_emit(r, ctx, ctx->tag.data,
                            ctx->tag.data + ctx->tag.len, NULL)
           == NULL)
    {
        return NGX_ERROR;
    }

    ctx->injected = 1;
    ngx_http_cx_stat_inc(r, ngx_http_cx_stat_injected);

    return ngx_http_cx_emit_file(r, ctx, b, at, b->file_last, b)
           ? NGX_OK : NGX_ERROR;
}


/*
 * The file where the tag goes, len bytes read into buf (or six bytes
 * into a buffer of our own): does it still say "</body"?
 */

static ngx_int_t
ngx_http_cx_file_says_body(ngx_http_request_t *r, ngx_buf_t *b, off_t at,
    u_char *buf, size_t len)
{
    ssize_t  n;
    u_char   marker[NGX_HTTP_CX_HTML_MARKER];

    if (b->file == NULL || b->file->fd == NGX_INVALID_FILE) {
        return NGX_DECLINED;
    }

    if (buf == NULL) {
        buf = marker;
    }

    n = pread(b->file->fd, buf, len, at);

    if (n == -1) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, ngx_errno,
                      "cx: pread() \"%V\" failed", &b->file->name);
        return NGX_DECLINED;
    }

    if ((size_t) n != len
        || ngx_strncasecmp(buf, (u_char *) "</body", NGX_HTTP_CX_HTML_MARKER)
           != 0)
    {
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/*
 * Sends what precedes the last "keep" bytes of held + b, and keeps those
 * in a fresh held buffer.  The last piece sent of b shadows it; if all of
 * b is kept, b is consumed at once and passed on empty for its flags.
 */

static ngx_int_t
ngx_http_cx_hold(ngx_http_request_t *r, ngx_http_cx_ctx_t *ctx,
    ngx_buf_t *b, size_t keep)
{
    u_char       *p, *cut;
    size_t        size, from_held;
    ngx_buf_t    *hb, *sent;
    ngx_chain_t  *cl;

    size = b->last - b->pos;
    from_held = (keep > size) ? keep - size : 0;
    cut = (keep > size) ? b->pos : b->last - keep;
    cl = NULL;

    if (keep) {
        cl = ngx_http_cx_get_buf(r, ctx);
        if (cl == NULL) {
            return NGX_ERROR;
        }

        hb = cl->buf;

        if (hb->start == NULL) {
            hb->start = ngx_pnalloc(r->pool, NGX_HTTP_CX_HELD_MAX);
            if (hb->start == NULL) {
                return NGX_ERROR;
            }

            hb->end = hb->start + NGX_HTTP_CX_HELD_MAX;
        }

        p = hb->start;

        if (from_held) {
            p = ngx_cpymem(p, ctx->held->buf->start
                              + ctx->held_len - from_held, from_held);
        }

        ngx_memcpy(p, cut, b->last - cut);
    }

    sent = NULL;

    if (ngx_http_cx_release(r, ctx, ctx->held_len - from_held, &sent)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ctx->held = cl;
    ctx->held_len = keep;

    if (cut != b->pos) {
        return ngx_http_cx_emit(r, ctx, b->pos, cut, b) ? NGX_OK : NGX_ERROR;
    }

    /*
     * All of b is held: it is consumed now.  A flush rides on the bytes
     * released in its place; an empty special buffer of our own could
     * not be recycled, and one per buffer would grow without bound.
     */

    b->pos = b->last;

    if (sent && b->flush) {
        sent->flush = 1;
    }

    return NGX_OK;
}


/* sends the first n held bytes and forgets the rest */

static ngx_int_t
ngx_http_cx_release(ngx_http_request_t *r, ngx_http_cx_ctx_t *ctx, size_t n,
    ngx_buf_t **sent)
{
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    cl = ctx->held;

    if (cl == NULL) {
        return NGX_OK;
    }

    ctx->held = NULL;
    ctx->held_len = 0;

    if (n == 0) {
        cl->next = ctx->free;
        ctx->free = cl;
        return NGX_OK;
    }

    b = cl->buf;
    b->pos = b->start;
    b->last = b->start + n;
    b->memory = 1;

    if (sent) {
        *sent = b;
    }

    *ctx->last_out = cl;
    ctx->last_out = &cl->next;

    return NGX_OK;
}


/* a descriptor of our own, keeping the small store it may own */

static ngx_chain_t *
ngx_http_cx_get_buf(ngx_http_request_t *r, ngx_http_cx_ctx_t *ctx)
{
    u_char       *start, *end;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    cl = ngx_chain_get_free_buf(r->pool, &ctx->free);
    if (cl == NULL) {
        return NULL;
    }

    b = cl->buf;
    start = b->start;
    end = b->end;

    ngx_memzero(b, sizeof(ngx_buf_t));

    b->start = start;
    b->end = end;
    b->tag = (ngx_buf_tag_t) &ngx_http_cx_module;

    return cl;
}


/*
 * A descriptor of a non-empty range of memory; with shadow, the last
 * piece of that buffer, carrying its flags.
 */

static ngx_buf_t *
ngx_http_cx_emit(ngx_http_request_t *r, ngx_http_cx_ctx_t *ctx, u_char *pos,
    u_char *last, ngx_buf_t *shadow)
{
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    cl = ngx_http_cx_get_buf(r, ctx);
    if (cl == NULL) {
        return NULL;
    }

    b = cl->buf;
    b->pos = pos;
    b->last = last;
    b->memory = 1;

    if (shadow) {
        b->shadow = shadow;
        b->last_buf = shadow->last_buf;
        b->last_in_chain = shadow->last_in_chain;
        b->flush = shadow->flush;
        b->recycled = shadow->recycled;
    }

    *ctx->last_out = cl;
    ctx->last_out = &cl->next;

    return b;
}


/* a descriptor of a range of b's file; with shadow, the last one of b */

static ngx_buf_t *
ngx_http_cx_emit_file(ngx_http_request_t *r, ngx_http_cx_ctx_t *ctx,
    ngx_buf_t *b, off_t from, off_t to, ngx_buf_t *shadow)
{
    ngx_buf_t    *d;
    ngx_chain_t  *cl;

    cl = ngx_http_cx_get_buf(r, ctx);
    if (cl == NULL) {
        return NULL;
    }

    d = cl->buf;
    d->in_file = 1;
    d->file = b->file;
    d->file_pos = from;
    d->file_last = to;

    if (shadow) {
        d->shadow = shadow;
        d->last_buf = shadow->last_buf;
        d->last_in_chain = shadow->last_in_chain;
        d->flush = shadow->flush;
    }

    *ctx->last_out = cl;
    ctx->last_out = &cl->next;

    return d;
}


/* a buffer passed on as it is: its owner tracks it */

static ngx_int_t
ngx_http_cx_emit_buf(ngx_http_request_t *r, ngx_http_cx_ctx_t *ctx,
    ngx_buf_t *b)
{
    ngx_chain_t  *cl;

    cl = ngx_alloc_chain_link(r->pool);
    if (cl == NULL) {
        return NGX_ERROR;
    }

    cl->buf = b;
    cl->next = NULL;

    *ctx->last_out = cl;
    ctx->last_out = &cl->next;

    return NGX_OK;
}


/*
 * Passes what is queued on to next, and takes back the descriptors that
 * were sent: ours to reuse, the shadowed buffers marked consumed.
 */

ngx_int_t
ngx_http_cx_place_output(ngx_http_request_t *r, ngx_http_cx_ctx_t *ctx,
    ngx_http_output_body_filter_pt next)
{
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_chain_t  *cl, **ll;

    if (ctx->out == NULL && ctx->busy == NULL) {
        return next(r, NULL);
    }

    rc = next(r, ctx->out);

    for (ll = &ctx->busy; *ll; ll = &(*ll)->next) { /* void */ }

    *ll = ctx->out;
    ctx->out = NULL;
    ctx->last_out = &ctx->out;

    while (ctx->busy) {
        cl = ctx->busy;
        b = cl->buf;

        if (b->tag != (ngx_buf_tag_t) &ngx_http_cx_module) {
            ctx->busy = cl->next;
            ngx_free_chain(r->pool, cl);
            continue;
        }

        if (ngx_buf_size(b) != 0) {
            break;
        }

        if (b->shadow) {
            b->shadow->pos = b->shadow->last;
            b->shadow->file_pos = b->shadow->file_last;
            b->shadow = NULL;
        }

        ctx->busy = cl->next;

        /*
         * a sent data buffer is no longer referenced downstream; a special
         * one may still be queued there, so it is never reused
         */

        if (ngx_buf_in_memory(b)) {
            cl->next = ctx->free;
            ctx->free = cl;

        } else {
            ngx_free_chain(r->pool, cl);
        }
    }

    return rc;
}
