
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
 */


#include "ngx_http_cx_module.h"
#include "ngx_http_cx_filter.h"
#include "ngx_http_cx_memo.h"
#include "ngx_http_cx_metrics.h"
#include "ngx_http_cx_pageview.h"
#include "ngx_http_cx_survey.h"
#include "ngx_http_cx_token.h"
#include "ngx_http_cx_util.h"


/* the store of held bytes: NGX_HTTP_CX_HTML_MARKER at most */
#define NGX_HTTP_CX_HELD_MAX        8


static ngx_int_t ngx_http_cx_header_filter(ngx_http_request_t *r);
static ngx_int_t ngx_http_cx_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);
static ngx_uint_t ngx_http_cx_injectable(ngx_http_request_t *r,
    ngx_http_cx_loc_conf_t *lcf);
static ngx_uint_t ngx_http_cx_privacy_signal(ngx_http_request_t *r);
static ngx_uint_t ngx_http_cx_revalidated(ngx_http_request_t *r,
    ngx_http_cx_loc_conf_t *lcf);
static void ngx_http_cx_page_headers(ngx_http_request_t *r,
    ngx_http_cx_loc_conf_t *lcf);
static ngx_int_t ngx_http_cx_render_tag(ngx_http_request_t *r,
    ngx_http_cx_ctx_t *ctx, ngx_http_cx_loc_conf_t *lcf);
static ngx_int_t ngx_http_cx_scan(ngx_http_request_t *r,
    ngx_http_cx_ctx_t *ctx, ngx_buf_t *b);
static ngx_int_t ngx_http_cx_place(ngx_http_request_t *r,
    ngx_http_cx_ctx_t *ctx, ngx_buf_t *b);
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
    ngx_int_t                rc;
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

        /* a page revalidated (304) is a page view of the visitor's all
           the same */

        if (ngx_http_cx_revalidated(r, lcf)
            && ngx_http_cx_pageview_visit(r) != NGX_OK)
        {
            return NGX_ERROR;
        }

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

    if (ngx_http_cx_pageview_visit(r) != NGX_OK) {
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

    /* before the ETag is made weak: it names the bytes */

    ctx->memo_key = lcf->memo ? ngx_http_cx_memo_key(r, lcf) : 0;
    ctx->memo_hit = (ngx_http_cx_memo_get(ctx->memo_key, &ctx->memo_offset)
                     == NGX_OK);

    r->filter_need_in_memory = 1;

    ngx_http_cx_page_headers(r, lcf);

    return ngx_http_next_header_filter(r);
}


/*
 * Whether this response may carry a survey tag: a 200 answer to GET or
 * HEAD of a location with surveys or rules, of a type of cx_inject_types,
 * neither encoded nor a range, to a visitor who has not asked not to be
 * tracked (where the location respects that).
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

    if (r->headers_out.content_encoding
        && r->headers_out.content_encoding->value.len)
    {
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


/* a 304 to a GET of a page that could have carried a tag */

static ngx_uint_t
ngx_http_cx_revalidated(ngx_http_request_t *r, ngx_http_cx_loc_conf_t *lcf)
{
    return r->headers_out.status == NGX_HTTP_NOT_MODIFIED
           && r->method == NGX_HTTP_GET
           && lcf->inject && !lcf->endpoint
           && (lcf->surveys || lcf->rules)
           && !(lcf->respect_gpc && ngx_http_cx_privacy_signal(r));
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


/* an injected page is a new representation: its length and validators */

static void
ngx_http_cx_page_headers(ngx_http_request_t *r, ngx_http_cx_loc_conf_t *lcf)
{
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

    /* recontact, follow-up: only what differs from the widget's defaults */

    len += sizeof(" data-cx-recontact=\"\" data-cx-dismissed=\"\""
                  " data-cx-gap=\"\" data-cx-followup-scores=\"none\""
                  " data-cx-followup-question=\"\"") - 1
           + 3 * NGX_INT_T_LEN + s->followup_question.len;

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

    if (s->recontact != (s->cooldown ? s->cooldown : 90)) {
        p = ngx_sprintf(p, " data-cx-recontact=\"%ui\"", s->recontact);
    }

    if (s->dismissed != 7) {
        p = ngx_sprintf(p, " data-cx-dismissed=\"%ui\"", s->dismissed);
    }

    if (cmcf->survey_gap != 14) {
        p = ngx_sprintf(p, " data-cx-gap=\"%ui\"", cmcf->survey_gap);
    }

    if (s->followup != NGX_HTTP_CX_FOLLOWUP_LOW) {
        p = ngx_sprintf(p, " data-cx-followup-scores=\"%s\"",
                        s->followup == NGX_HTTP_CX_FOLLOWUP_ALL ? "all"
                                                                : "none");
    }

    if (s->followup_question.len) {
        p = ngx_sprintf(p, " data-cx-followup-question=\"%V\"",
                        &s->followup_question);
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
        || (ctx->injected && ctx->busy == NULL && ctx->out == NULL))
    {
        return ngx_http_next_body_filter(r, in);
    }

    for (cl = in; cl; cl = cl->next) {
        b = cl->buf;

        ngx_log_debug7(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "cx body: buf %p size %O mem %d file %d last %d "
                       "flush %d sync %d", b, ngx_buf_size(b),
                       ngx_buf_in_memory(b) ? 1 : 0, (int) b->in_file,
                       (int) b->last_buf, (int) b->flush, (int) b->sync);

        if (ctx->injected) {
            if (ngx_http_cx_emit_buf(r, ctx, b) != NGX_OK) {
                return NGX_ERROR;
            }

            continue;
        }

        if ((ctx->memo_hit ? ngx_http_cx_place(r, ctx, b)
                           : ngx_http_cx_scan(r, ctx, b))
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    return ngx_http_cx_output(r, ctx);
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

    if (b->pos != b->last) {
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

    if (b->pos == b->last) {
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


ngx_int_t
ngx_http_cx_filter_init(ngx_conf_t *cf)
{
    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_cx_header_filter;

    ngx_http_next_body_filter = ngx_http_top_body_filter;
    ngx_http_top_body_filter = ngx_http_cx_body_filter;

    return NGX_OK;
}
