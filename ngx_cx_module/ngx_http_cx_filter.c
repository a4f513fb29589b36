
/*
 * ngx_http_cx_filter.c: survey-trigger injection.  The header filter
 * checks whether this response can carry a survey tag (cheap checks
 * first), asks the page view (ngx_http_cx_pageview.c) whether it
 * triggers a survey, and renders the script tag; the body filter streams
 * the response through the HTML tokenizer and puts the tag right before
 * the real "</body>", or at the end of a document that has none.
 *
 * Buffers the filter does not need to split pass through untouched.  A
 * buffer that is split is sent as copies of its descriptor pointing into
 * its memory, the last one shadowing the original, as sub_filter does.
 * At most NGX_HTTP_CX_HTML_MARKER bytes of a possible "</body" are held
 * back between calls, so memory per request is constant.
 *
 * A gzip or deflate body goes through the inflate front end
 * (ngx_http_cx_inflate.c) first and on as identity bytes; a static file
 * whose tag offset is remembered goes out by sendfile, split around the
 * tag.  Also here: cx_inject_upstream_identity, which asks the upstream
 * not to compress in the first place.
 */


#include "ngx_http_cx_module.h"
#include "ngx_http_cx_filter.h"
#include "ngx_http_cx_inflate.h"
#include "ngx_http_cx_memo.h"
#include "ngx_http_cx_metrics.h"
#include "ngx_http_cx_pageview.h"
#include "ngx_http_cx_survey.h"
#include "ngx_http_cx_token.h"
#include "ngx_http_cx_util.h"


/* the store of held bytes: NGX_HTTP_CX_HTML_MARKER at most */
#define NGX_HTTP_CX_HELD_MAX        8

/* a file's tail after the tag up to this is read, and sent with the tag */
#define NGX_HTTP_CX_TAIL_MAX        4096


static ngx_int_t ngx_http_cx_header_filter(ngx_http_request_t *r);
static ngx_int_t ngx_http_cx_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);
static ngx_uint_t ngx_http_cx_injectable(ngx_http_request_t *r,
    ngx_http_cx_loc_conf_t *lcf);
static ngx_int_t ngx_http_cx_encoding(ngx_http_request_t *r);
static ngx_uint_t ngx_http_cx_privacy_signal(ngx_http_request_t *r);
static void ngx_http_cx_page_headers(ngx_http_request_t *r,
    ngx_http_cx_loc_conf_t *lcf);
static ngx_int_t ngx_http_cx_render_tag(ngx_http_request_t *r,
    ngx_http_cx_ctx_t *ctx, ngx_http_cx_loc_conf_t *lcf);
static ngx_int_t ngx_http_cx_body_inflate(ngx_http_request_t *r,
    ngx_http_cx_ctx_t *ctx, ngx_chain_t *in);
static ngx_int_t ngx_http_cx_body_buf(ngx_http_request_t *r,
    ngx_http_cx_ctx_t *ctx, ngx_buf_t *b);
static ngx_int_t ngx_http_cx_scan(ngx_http_request_t *r,
    ngx_http_cx_ctx_t *ctx, ngx_buf_t *b);
static ngx_int_t ngx_http_cx_place(ngx_http_request_t *r,
    ngx_http_cx_ctx_t *ctx, ngx_buf_t *b);
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
static ngx_int_t ngx_http_cx_output(ngx_http_request_t *r,
    ngx_http_cx_ctx_t *ctx);
static ngx_int_t ngx_http_cx_identity_handler(ngx_http_request_t *r);


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;
static ngx_http_output_body_filter_pt    ngx_http_next_body_filter;


/*
 * A main request's response: the backend's signals are taken from it;
 * then, if it can carry a tag and the page view triggers a survey, the
 * tag is rendered and the body filter will place it.
 */

static ngx_int_t
ngx_http_cx_header_filter(ngx_http_request_t *r)
{
    off_t                    len;
    ngx_int_t                rc, encoding;
    ngx_http_cx_ctx_t       *ctx;
    ngx_http_cx_loc_conf_t  *lcf;

    if (r != r->main) {
        return ngx_http_next_header_filter(r);
    }

    if (ngx_http_cx_pageview_signals(r) != NGX_OK) {
        return NGX_ERROR;
    }

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_cx_module);

    if (!ngx_http_cx_injectable(r, lcf)) {
        return ngx_http_next_header_filter(r);
    }

    if (r->method == NGX_HTTP_HEAD) {
        /* no body to inject into; headers as a GET would get them */
        ngx_http_cx_page_headers(r, lcf);
        return ngx_http_next_header_filter(r);
    }

    rc = ngx_http_cx_pageview_trigger(r, lcf, &ctx);

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (rc == NGX_DECLINED) {
        ngx_http_cx_stat_inc(r, ngx_http_cx_stat_skip_not_sampled);
        return ngx_http_next_header_filter(r);
    }

    if (ngx_http_cx_render_tag(r, ctx, lcf) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "cx inject: survey \"%V\"", &ctx->survey->id);

    ctx->inject = 1;
    ctx->last_out = &ctx->out;

    encoding = ngx_http_cx_encoding(r);

    if (encoding > 0) {
        ctx->inflate = ngx_http_cx_inflate_create(r->pool, encoding,
                                                  lcf->inflate_max);
        if (ctx->inflate == NULL) {
            return NGX_ERROR;
        }

        ngx_http_cx_stat_inc(r, ngx_http_cx_stat_inflated);
    }

    /* before the ETag is made weak: it names the bytes */

    ctx->memo_key = lcf->memo ? ngx_http_cx_memo_key(r, lcf) : 0;
    ctx->memo_hit = (ngx_http_cx_memo_get(ctx->memo_key, &ctx->memo_offset)
                     == NGX_OK);

    /*
     * Where the tag goes is known: a file can be sent as it is, split
     * around the tag (ngx_http_cx_place_file()), by sendfile
     */

    if (!ctx->memo_hit || ctx->inflate) {
        r->filter_need_in_memory = 1;
    }

    len = r->headers_out.content_length_n;

    ngx_http_cx_page_headers(r, lcf);

    /*
     * A view placed from memory carries the tag exactly once, placed or,
     * if the file changed, appended: its length is known, and the
     * response need not be chunked
     */

    if (ctx->memo_hit && ctx->inflate == NULL && len > 0) {
        r->headers_out.content_length_n = len + ctx->tag.len;
    }

    return ngx_http_next_header_filter(r);
}


/*
 * Whether this response may carry a survey tag: a 200 answer to GET or
 * HEAD of a location with surveys or rules, of a type of cx_inject_types,
 * identity or gzip or deflate, not a range, to a visitor who has not
 * asked not to be tracked (where the location respects that).
 */

static ngx_uint_t
ngx_http_cx_injectable(ngx_http_request_t *r, ngx_http_cx_loc_conf_t *lcf)
{
    if (!lcf->inject
        || lcf->endpoint
        || (lcf->surveys == NULL && lcf->rules == NULL)
        || r->headers_out.status != NGX_HTTP_OK
        || !(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))
        || r->headers_out.content_length_n == 0
        || ngx_http_test_content_type(r, &lcf->types) == NULL)
    {
        return 0;
    }

    if (ngx_http_cx_encoding(r) == NGX_DECLINED) {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "cx skip: encoded response \"%V\"",
                       &r->headers_out.content_encoding->value);
        ngx_http_cx_stat_inc(r, ngx_http_cx_stat_skip_encoded);
        return 0;
    }

    if (r->headers_in.range) {
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "cx skip: range request");
        ngx_http_cx_stat_inc(r, ngx_http_cx_stat_skip_range);
        return 0;
    }

    if (lcf->respect_gpc && ngx_http_cx_privacy_signal(r)) {
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "cx skip: Sec-GPC or DNT");
        ngx_http_cx_stat_inc(r, ngx_http_cx_stat_skip_privacy);
        return 0;
    }

    return 1;
}


/*
 * The response's content coding: 0 identity, NGX_HTTP_CX_INFLATE_GZIP or
 * _DEFLATE, NGX_DECLINED for one the module passes on as it is
 */

static ngx_int_t
ngx_http_cx_encoding(ngx_http_request_t *r)
{
    ngx_str_t  *ce;

    if (r->headers_out.content_encoding == NULL
        || r->headers_out.content_encoding->value.len == 0)
    {
        return 0;
    }

    ce = &r->headers_out.content_encoding->value;

    if ((ce->len == 4 && ngx_strncasecmp(ce->data, (u_char *) "gzip", 4) == 0)
        || (ce->len == 6
            && ngx_strncasecmp(ce->data, (u_char *) "x-gzip", 6) == 0))
    {
        return NGX_HTTP_CX_INFLATE_GZIP;
    }

    if (ce->len == 7
        && ngx_strncasecmp(ce->data, (u_char *) "deflate", 7) == 0)
    {
        return NGX_HTTP_CX_INFLATE_DEFLATE;
    }

    /* br, compress, zstd, a list of codings: passed on as they are */

    return NGX_DECLINED;
}


/* the visitor asks not to be tracked: "Sec-GPC: 1" or "DNT: 1" */

static ngx_uint_t
ngx_http_cx_privacy_signal(ngx_http_request_t *r)
{
    ngx_table_elt_t  *h;

    h = ngx_http_cx_header_find(&r->headers_in.headers, (u_char *) "Sec-GPC",
                                sizeof("Sec-GPC") - 1, 0);

    if (h && h->value.len == 1 && h->value.data[0] == '1') {
        return 1;
    }

    h = ngx_http_cx_header_find(&r->headers_in.headers, (u_char *) "DNT",
                                sizeof("DNT") - 1, 0);

    return (h && h->value.len == 1 && h->value.data[0] == '1');
}


/*
 * An injected page is a new representation: its length and validators;
 * an inflated one is passed on as identity bytes.
 */

static void
ngx_http_cx_page_headers(ngx_http_request_t *r, ngx_http_cx_loc_conf_t *lcf)
{
    if (r->headers_out.content_encoding) {
        r->headers_out.content_encoding->hash = 0;
        r->headers_out.content_encoding = NULL;
    }

    ngx_http_clear_content_length(r);
    ngx_http_clear_accept_ranges(r);
    ngx_http_weak_etag(r);

    if (!lcf->last_modified) {
        ngx_http_clear_last_modified(r);
    }
}


/*
 * The survey tag: the widget's script, with what the page view decided
 * in its data-cx-* attributes.
 */

static ngx_int_t
ngx_http_cx_render_tag(ngx_http_request_t *r, ngx_http_cx_ctx_t *ctx,
    ngx_http_cx_loc_conf_t *lcf)
{
    size_t                    len;
    u_char                   *p;
    ngx_str_t                 tp, nonce;
    ngx_int_t                 followup;
    ngx_http_cx_survey_t     *s;
    ngx_http_cx_main_conf_t  *cmcf;
    u_char                    token[NGX_HTTP_CX_TOKEN_LEN];

    s = ctx->survey;

    if (ngx_http_cx_pageview_token(r, ctx, &tp, token) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_str_null(&nonce);

    if (lcf->csp_nonce) {
        if (ngx_http_complex_value(r, lcf->csp_nonce, &nonce) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    len = sizeof("<script src=\"\" async data-cx-survey=\"\" data-cx-type=\"\""
                 " data-cx-delay=\"\" data-cx-touchpoint=\"\""
                 " data-cx-token=\"\"></script>") - 1
          + lcf->widget_src.len + s->id.len + s->type->name.len
          + NGX_TIME_T_LEN + tp.len + NGX_HTTP_CX_TOKEN_LEN;

    if (ctx->question.len) {
        len += sizeof(" data-cx-question=\"\"") - 1 + ctx->question.len;
    }

    if (s->cooldown) {
        len += sizeof(" data-cx-cooldown=\"\"") - 1 + NGX_INT_T_LEN;
    }

    /* the widget asks "why?" at the same scores that are followed up */

    cmcf = ngx_http_get_module_main_conf(r, ngx_http_cx_module);
    followup = ngx_http_cx_followup_threshold(cmcf, s->type);

    if (followup != s->type->followup) {
        len += sizeof(" data-cx-followup=\"\"") - 1 + NGX_INT_T_LEN;
    }

    if (nonce.len) {
        len += sizeof(" nonce=\"\"") - 1
               + ngx_http_cx_escape_html_len(nonce.data, nonce.len);
    }

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ctx->tag.data = p;

    p = ngx_sprintf(p, "<script src=\"%V\" async data-cx-survey=\"%V\""
                    " data-cx-type=\"%V\"",
                    &lcf->widget_src, &s->id, &s->type->name);

    if (ctx->question.len) {
        p = ngx_sprintf(p, " data-cx-question=\"%V\"", &ctx->question);
    }

    p = ngx_sprintf(p, " data-cx-delay=\"%T\"", ctx->delay);

    if (s->cooldown) {
        p = ngx_sprintf(p, " data-cx-cooldown=\"%ui\"", s->cooldown);
    }

    if (followup != s->type->followup) {
        p = ngx_sprintf(p, " data-cx-followup=\"%i\"", followup);
    }

    p = ngx_sprintf(p, " data-cx-touchpoint=\"%V\" data-cx-token=\"",
                    &tp);
    p = ngx_cpymem(p, token, NGX_HTTP_CX_TOKEN_LEN);
    *p++ = '"';

    if (nonce.len) {
        p = ngx_cpymem(p, " nonce=\"", sizeof(" nonce=\"") - 1);
        p = ngx_http_cx_escape_html(p, nonce.data, nonce.len);
        *p++ = '"';
    }

    p = ngx_cpymem(p, "></script>", sizeof("></script>") - 1);

    ctx->tag.len = p - ctx->tag.data;

    return NGX_OK;
}


static ngx_int_t
ngx_http_cx_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    ngx_buf_t          *b;
    ngx_chain_t        *cl;
    ngx_http_cx_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_cx_module);

    if (ctx == NULL || !ctx->inject
        || (ctx->injected && ctx->inflate == NULL && ctx->busy == NULL
            && ctx->out == NULL))
    {
        return ngx_http_next_body_filter(r, in);
    }

    if (ctx->inflate) {
        return ngx_http_cx_body_inflate(r, ctx, in);
    }

    for (cl = in; cl; cl = cl->next) {
        b = cl->buf;

        ngx_log_debug7(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "cx body: buf %p size %O mem %d file %d last %d "
                       "flush %d sync %d", b, ngx_buf_size(b),
                       ngx_buf_in_memory(b) ? 1 : 0, (int) b->in_file,
                       (int) b->last_buf, (int) b->flush, (int) b->sync);

        if (ngx_http_cx_body_buf(r, ctx, b) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    return ngx_http_cx_output(r, ctx);
}


/*
 * A compressed body: the identity buffers the inflate unit makes are
 * handled as incoming ones.  When its buffers are all downstream, what
 * is sent makes room; if nothing can be sent now, the rest waits for the
 * next call (r->buffered keeps the writer calling).  A broken stream or
 * one past cx_inflate_max ends the response as failed, after what
 * inflated before.
 */

static ngx_int_t
ngx_http_cx_body_inflate(ngx_http_request_t *r, ngx_http_cx_ctx_t *ctx,
    ngx_chain_t *in)
{
    ngx_int_t   rc, orc;
    ngx_buf_t  *b;

    if (in && ngx_http_cx_inflate_add(ctx->inflate, r->pool, in) != NGX_OK) {
        return NGX_ERROR;
    }

    orc = NGX_OK;

    for ( ;; ) {
        rc = ngx_http_cx_inflate_next(ctx->inflate, r->pool,
                                      r->connection->log, &b);

        if (rc == NGX_OK) {
            if (ngx_http_cx_body_buf(r, ctx, b) != NGX_OK) {
                return NGX_ERROR;
            }

            continue;
        }

        if (rc == NGX_ERROR) {
            return NGX_ERROR;
        }

        orc = ngx_http_cx_output(r, ctx);

        if (rc == NGX_DECLINED) {
            ngx_http_cx_stat_inc(r, ngx_http_cx_inflate_failure(ctx->inflate)
                                    == NGX_HTTP_CX_INFLATE_LIMIT
                                    ? ngx_http_cx_stat_inflate_cut
                                    : ngx_http_cx_stat_inflate_broken);
            r->buffered &= ~NGX_HTTP_CX_INFLATE_BUFFERED;
            r->connection->error = 1;
            return NGX_ERROR;
        }

        if (orc == NGX_ERROR) {
            return NGX_ERROR;
        }

        if (rc == NGX_BUSY && ngx_http_cx_inflate_ready(ctx->inflate)) {
            continue;
        }

        break;
    }

    if (ngx_http_cx_inflate_pending(ctx->inflate)) {
        r->buffered |= NGX_HTTP_CX_INFLATE_BUFFERED;

    } else {
        r->buffered &= ~NGX_HTTP_CX_INFLATE_BUFFERED;
    }

    return orc;
}


/* one identity buffer, incoming or inflated */

static ngx_int_t
ngx_http_cx_body_buf(ngx_http_request_t *r, ngx_http_cx_ctx_t *ctx,
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
 * the entry is forgotten and the tag goes at the end.
 */

static ngx_int_t
ngx_http_cx_place(ngx_http_request_t *r, ngx_http_cx_ctx_t *ctx,
    ngx_buf_t *b)
{
    off_t    start, size;
    u_char  *ins;

    if (b->in_file && !ngx_buf_in_memory(b)) {
        return ngx_http_cx_place_file(r, ctx, b);
    }

    if (!ngx_buf_in_memory(b) || b->pos == b->last) {
        return b->last_buf ? ngx_http_cx_append(r, ctx, b)
                           : ngx_http_cx_emit_buf(r, ctx, b);
    }

    start = ctx->stream_pos;
    size = b->last - b->pos;
    ctx->stream_pos += size;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "cx place: %O bytes, remembered offset %O",
                   size, ctx->memo_offset);

    if (ctx->memo_offset < start || ctx->memo_offset >= start + size) {
        return b->last_buf ? ngx_http_cx_append(r, ctx, b)
                           : ngx_http_cx_emit_buf(r, ctx, b);
    }

    ins = b->pos + (ctx->memo_offset - start);

    if (b->last - ins >= NGX_HTTP_CX_HTML_MARKER
        && ngx_strncasecmp(ins, (u_char *) "</body", NGX_HTTP_CX_HTML_MARKER)
           != 0)
    {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "cx: \"%V\" changed under the same ETag, "
                      "the tag goes at its end", &r->uri);
        ngx_http_cx_memo_forget(ctx->memo_key);
        ctx->memo_offset = -1;

        return b->last_buf ? ngx_http_cx_append(r, ctx, b)
                           : ngx_http_cx_emit_buf(r, ctx, b);
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
    off_t    start, size, at;
    u_char  *tail;
    size_t   len;

    start = ctx->stream_pos;
    size = b->file_last - b->file_pos;
    ctx->stream_pos += size;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "cx place file: %O bytes, remembered offset %O",
                   size, ctx->memo_offset);

    if (ctx->memo_offset < start || ctx->memo_offset >= start + size) {
        return b->last_buf ? ngx_http_cx_append(r, ctx, b)
                           : ngx_http_cx_emit_buf(r, ctx, b);
    }

    at = b->file_pos + (ctx->memo_offset - start);

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
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "cx: \"%V\" changed under the same ETag, "
                      "the tag goes at its end", &r->uri);
        ngx_http_cx_memo_forget(ctx->memo_key);
        ctx->memo_offset = -1;

        return b->last_buf ? ngx_http_cx_append(r, ctx, b)
                           : ngx_http_cx_emit_buf(r, ctx, b);
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


static ngx_int_t
ngx_http_cx_output(ngx_http_request_t *r, ngx_http_cx_ctx_t *ctx)
{
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_chain_t  *cl, **ll;

    if (ctx->out == NULL && ctx->busy == NULL) {
        return ngx_http_next_body_filter(r, NULL);
    }

    rc = ngx_http_next_body_filter(r, ctx->out);

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


/*
 * cx_inject_upstream_identity: where a survey may be injected, the
 * upstream is asked for identity bytes.  The request's Accept-Encoding
 * lines say "identity" to the proxy, fastcgi, uwsgi and grpc modules,
 * which copy the request's header list; nginx's gzip filter still reads
 * the client's own value through r->headers_in.accept_encoding.
 */

static ngx_int_t
ngx_http_cx_identity_handler(ngx_http_request_t *r)
{
    ngx_uint_t               i;
    ngx_list_part_t         *part;
    ngx_table_elt_t         *h, *copy;
    ngx_http_cx_loc_conf_t  *lcf;

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_cx_module);

    if (!lcf->upstream_identity || !lcf->inject || lcf->endpoint
        || (lcf->surveys == NULL && lcf->rules == NULL)
        || r != r->main
        || !(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))
        || r->headers_in.accept_encoding == NULL)
    {
        return NGX_DECLINED;
    }

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len != sizeof("Accept-Encoding") - 1
            || ngx_strncasecmp(h[i].key.data, (u_char *) "Accept-Encoding",
                               sizeof("Accept-Encoding") - 1)
               != 0)
        {
            continue;
        }

        if (&h[i] == r->headers_in.accept_encoding) {
            copy = ngx_palloc(r->pool, sizeof(ngx_table_elt_t));
            if (copy == NULL) {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            *copy = h[i];
            r->headers_in.accept_encoding = copy;
        }

        ngx_str_set(&h[i].value, "identity");
    }

    return NGX_DECLINED;
}


ngx_int_t
ngx_http_cx_filter_init(ngx_conf_t *cf)
{
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_PREACCESS_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_cx_identity_handler;

    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_cx_header_filter;

    ngx_http_next_body_filter = ngx_http_top_body_filter;
    ngx_http_top_body_filter = ngx_http_cx_body_filter;

    return NGX_OK;
}
