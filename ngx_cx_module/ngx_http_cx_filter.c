
/*
 * ngx_http_cx_filter.c: survey-trigger injection.  The header filter
 * checks whether this response can carry a survey tag (cheap checks
 * first), asks the page view (ngx_http_cx_pageview.c) whether it
 * triggers a survey, and renders the script tag; the body filter hands
 * the body's buffers to ngx_http_cx_place.c, which puts the tag right
 * before the real "</body>", or at the end of a document that has none
 * -- a gzip or deflate body after the inflate front end
 * (ngx_http_cx_inflate.c), passed on as identity bytes.
 *
 * Also here: cx_inject_upstream_identity, which asks the upstream not to
 * compress in the first place.
 */


#include "ngx_http_cx_module.h"
#include "ngx_http_cx_filter.h"
#include "ngx_http_cx_inflate.h"
#include "ngx_http_cx_memo.h"
#include "ngx_http_cx_metrics.h"
#include "ngx_http_cx_pageview.h"
#include "ngx_http_cx_place.h"
#include "ngx_http_cx_survey.h"
#include "ngx_http_cx_token.h"
#include "ngx_http_cx_util.h"


/* a string literal copied: its length is known at compile time */
#define ngx_http_cx_lit(p, s)  ngx_cpymem(p, s, sizeof(s) - 1)


static ngx_int_t ngx_http_cx_header_filter(ngx_http_request_t *r);
static ngx_int_t ngx_http_cx_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);
static ngx_uint_t ngx_http_cx_injectable(ngx_http_request_t *r,
    ngx_http_cx_loc_conf_t *lcf);
static ngx_int_t ngx_http_cx_encoding(ngx_http_request_t *r);
static ngx_uint_t ngx_http_cx_privacy_signal(ngx_http_request_t *r);
static ngx_uint_t ngx_http_cx_revalidated(ngx_http_request_t *r,
    ngx_http_cx_loc_conf_t *lcf);
static ngx_uint_t ngx_http_cx_read_whole(ngx_http_request_t *r, off_t len);
static void ngx_http_cx_page_headers(ngx_http_request_t *r,
    ngx_http_cx_loc_conf_t *lcf);
static ngx_int_t ngx_http_cx_render_tag(ngx_http_request_t *r,
    ngx_http_cx_ctx_t *ctx, ngx_http_cx_loc_conf_t *lcf);
static ngx_int_t ngx_http_cx_body_inflate(ngx_http_request_t *r,
    ngx_http_cx_ctx_t *ctx, ngx_chain_t *in);
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

    len = r->headers_out.content_length_n;

    /*
     * Where the tag goes is known: a large file can be sent as it is,
     * split around the tag (ngx_http_cx_place_file()), by sendfile; a
     * small one is read, checked and sent in one write
     */

    if (!ctx->memo_hit || ctx->inflate || ngx_http_cx_read_whole(r, len)) {
        r->filter_need_in_memory = 1;
    }

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

    if (ce->len == 2 && ngx_strncasecmp(ce->data, (u_char *) "br", 2) == 0) {
        return NGX_HTTP_CX_INFLATE_BROTLI;
    }

    /* compress, zstd, a list of codings: passed on as they are */

    return NGX_DECLINED;
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


/*
 * A remembered page up to NGX_HTTP_CX_SENDFILE_MIN: read by nginx's copy
 * filter in one read, as with "sendfile off", and sent in one write,
 * which costs less than splitting it for sendfile.  Where the location
 * asks for aio or directio, it is split as a larger page is: those
 * settings say how this location's files are to be read.
 */

static ngx_uint_t
ngx_http_cx_read_whole(ngx_http_request_t *r, off_t len)
{
    ngx_http_core_loc_conf_t  *clcf;

    if (len > NGX_HTTP_CX_SENDFILE_MIN) {
        return 0;
    }

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    return clcf->aio == NGX_HTTP_AIO_OFF
           && clcf->directio == NGX_OPEN_FILE_DIRECTIO_OFF;
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
    ngx_str_t                 tp, nonce, token;
    ngx_int_t                 followup;
    ngx_http_cx_survey_t     *s;
    ngx_http_cx_main_conf_t  *cmcf;
    u_char                    buf[NGX_HTTP_CX_TOKEN_MAX];

    s = ctx->survey;
    token.data = buf;

    if (ngx_http_cx_pageview_token(r, ctx, &tp, &token) != NGX_OK) {
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
          + NGX_TIME_T_LEN + tp.len + token.len;

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

    /* on every injected view: literals are copied, only numbers formatted */

    p = ngx_http_cx_lit(p, "<script src=\"");
    p = ngx_cpymem(p, lcf->widget_src.data, lcf->widget_src.len);
    p = ngx_http_cx_lit(p, "\" async data-cx-survey=\"");
    p = ngx_cpymem(p, s->id.data, s->id.len);
    p = ngx_http_cx_lit(p, "\" data-cx-type=\"");
    p = ngx_cpymem(p, s->type->name.data, s->type->name.len);
    *p++ = '"';

    if (ctx->question.len) {
        p = ngx_http_cx_lit(p, " data-cx-question=\"");
        p = ngx_cpymem(p, ctx->question.data, ctx->question.len);
        *p++ = '"';
    }

    p = ngx_http_cx_lit(p, " data-cx-delay=\"");
    p = ngx_sprintf(p, "%T\"", ctx->delay);

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
        p = ngx_http_cx_lit(p, " data-cx-followup-question=\"");
        p = ngx_cpymem(p, s->followup_question.data,
                       s->followup_question.len);
        *p++ = '"';
    }

    p = ngx_http_cx_lit(p, " data-cx-touchpoint=\"");
    p = ngx_cpymem(p, tp.data, tp.len);
    p = ngx_http_cx_lit(p, "\" data-cx-token=\"");
    p = ngx_cpymem(p, token.data, token.len);
    *p++ = '"';

    if (nonce.len) {
        p = ngx_http_cx_lit(p, " nonce=\"");
        p = ngx_http_cx_escape_html(p, nonce.data, nonce.len);
        *p++ = '"';
    }

    p = ngx_http_cx_lit(p, "></script>");

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

        if (ngx_http_cx_place_buf(r, ctx, b) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    return ngx_http_cx_place_output(r, ctx, ngx_http_next_body_filter);
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
            if (ngx_http_cx_place_buf(r, ctx, b) != NGX_OK) {
                return NGX_ERROR;
            }

            continue;
        }

        if (rc == NGX_ERROR) {
            return NGX_ERROR;
        }

        orc = ngx_http_cx_place_output(r, ctx, ngx_http_next_body_filter);

        if (rc == NGX_DECLINED) {
            ngx_http_cx_stat_inc(r, ngx_http_cx_inflate_failure(ctx->inflate)
                                    == NGX_HTTP_CX_INFLATE_LIMIT
                                    ? ngx_http_cx_stat_inflate_cut
                                    : ngx_http_cx_stat_inflate_broken);
            r->buffered &= ~NGX_HTTP_CX_INFLATE_BUFFERED;
            r->connection->error = 1;

            /* counted once: what may still come goes nowhere */
            ctx->inject = 0;

            return NGX_ERROR;
        }

        if (orc == NGX_ERROR) {
            return NGX_ERROR;
        }

        if (rc == NGX_BUSY && ngx_http_cx_inflate_ready(ctx->inflate)) {
            continue;
        }

        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "cx inflate: %s", rc == NGX_BUSY
                       ? "all buffers downstream, input waits"
                       : "input used up");

        break;
    }

    if (ngx_http_cx_inflate_pending(ctx->inflate)) {
        r->buffered |= NGX_HTTP_CX_INFLATE_BUFFERED;

    } else {
        r->buffered &= ~NGX_HTTP_CX_INFLATE_BUFFERED;
    }

    return orc;
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
