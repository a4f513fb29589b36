
/*
 * ngx_http_cx_pageview.c: what the module decides about one page view,
 * once, in the request's context (ngx_http_cx_ctx_t): the backend's
 * signals (X-CX-Event and X-CX-Touchpoint, read and removed in the header
 * filter), the survey it triggers if any (the location's Lua rules, then
 * sampling) and its question's variant, its touchpoint (the backend's,
 * the rules' touchpoint(r), or cx_touchpoint), the token its survey tag
 * carries, whether the visitor may be asked now (recontact, by the cx_v
 * cookie) and the page view counted in that cookie.
 *
 * The filter, the log phase, the $cx_ variables and the rules (for
 * r.touchpoint: the resolver is handed to them) ask here; this unit asks
 * the rules, the surveys and the token, below it, and never calls back up.
 */


#include "ngx_http_cx_module.h"
#include "ngx_http_cx_events.h"
#include "ngx_http_cx_pageview.h"
#include "ngx_http_cx_rules.h"
#include "ngx_http_cx_token.h"
#include "ngx_http_cx_util.h"
#include "ngx_http_cx_visitor.h"


#define NGX_HTTP_CX_SIGNALS_MAX  8


static ngx_int_t ngx_http_cx_signal_events(ngx_http_request_t *r,
    ngx_http_cx_ctx_t *ctx, ngx_str_t *value);
static ngx_http_cx_survey_t *ngx_http_cx_sample(ngx_http_request_t *r,
    ngx_http_cx_loc_conf_t *lcf);
static ngx_int_t ngx_http_cx_recontact(ngx_http_request_t *r,
    ngx_http_cx_ctx_t *ctx, ngx_http_cx_survey_t *s);
static ngx_int_t ngx_http_cx_pageview_variant(ngx_http_request_t *r,
    ngx_http_cx_ctx_t *ctx);


/*
 * The module's context of a request, made on first use: what was decided
 * about the page view, and the filter's state (cx_collect keeps its own
 * in it).
 */

ngx_http_cx_ctx_t *
ngx_http_cx_get_ctx(ngx_http_request_t *r)
{
    ngx_http_cx_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_cx_module);

    if (ctx == NULL) {
        ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_cx_ctx_t));
        if (ctx == NULL) {
            return NULL;
        }

        ngx_http_set_ctx(r, ctx, ngx_http_cx_module);
    }

    return ctx;
}


/*
 * Finds X-CX-Event and X-CX-Touchpoint among the response headers (an
 * upstream's, or add_header's), keeps their valid names and removes them:
 * they are for the module, not for the client.
 */

ngx_int_t
ngx_http_cx_pageview_signals(ngx_http_request_t *r)
{
    ngx_uint_t          i;
    ngx_list_part_t    *part;
    ngx_table_elt_t    *h;
    ngx_http_cx_ctx_t  *ctx;

    part = &r->headers_out.headers.part;
    h = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].hash == 0 || h[i].key.len < sizeof("X-CX-Event") - 1
            || ngx_strncasecmp(h[i].key.data, (u_char *) "X-CX-", 5) != 0)
        {
            continue;
        }

        ctx = ngx_http_cx_get_ctx(r);
        if (ctx == NULL) {
            return NGX_ERROR;
        }

        if (h[i].key.len == sizeof("X-CX-Event") - 1
            && ngx_strncasecmp(h[i].key.data + 5, (u_char *) "Event", 5) == 0)
        {
            h[i].hash = 0;

            if (ngx_http_cx_signal_events(r, ctx, &h[i].value) != NGX_OK) {
                return NGX_ERROR;
            }

            continue;
        }

        if (h[i].key.len == sizeof("X-CX-Touchpoint") - 1
            && ngx_strncasecmp(h[i].key.data + 5, (u_char *) "Touchpoint",
                               10) == 0)
        {
            h[i].hash = 0;

            if (!ngx_http_cx_name_valid(h[i].value.data, h[i].value.len)) {
                ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                              "cx: X-CX-Touchpoint \"%V\" is not a valid "
                              "name, ignored", &h[i].value);
                continue;
            }

            ctx->touchpoint = h[i].value;
            ctx->touchpoint_done = 1;
        }
    }

    return NGX_OK;
}


/* "name[, name...]": at most NGX_HTTP_CX_SIGNALS_MAX per response */

static ngx_int_t
ngx_http_cx_signal_events(ngx_http_request_t *r, ngx_http_cx_ctx_t *ctx,
    ngx_str_t *value)
{
    u_char     *p, *last, *start;
    ngx_str_t  *ev, name;

    p = value->data;
    last = p + value->len;

    while (p < last) {

        while (p < last && (*p == ' ' || *p == '\t' || *p == ',')) {
            p++;
        }

        start = p;

        while (p < last && *p != ',' && *p != ' ' && *p != '\t') {
            p++;
        }

        if (p == start) {
            break;
        }

        name.data = start;
        name.len = p - start;

        if (!ngx_http_cx_name_valid(name.data, name.len)
            || ngx_http_cx_event_find(&name) != ngx_http_cx_event_custom)
        {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "cx: X-CX-Event \"%V\" is not a valid event "
                          "name, ignored", &name);
            continue;
        }

        if (ctx->signals == NULL) {
            ctx->signals = ngx_array_create(r->pool, 2, sizeof(ngx_str_t));
            if (ctx->signals == NULL) {
                return NGX_ERROR;
            }
        }

        if (ctx->signals->nelts == NGX_HTTP_CX_SIGNALS_MAX) {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "cx: more than %d X-CX-Event names, \"%V\" "
                          "ignored", NGX_HTTP_CX_SIGNALS_MAX, &name);
            continue;
        }

        ev = ngx_array_push(ctx->signals);
        if (ev == NULL) {
            return NGX_ERROR;
        }

        *ev = name;
    }

    return NGX_OK;
}


/*
 * Which survey this page view triggers: NGX_OK with (*ctxp)->survey, its
 * delay and question set; NGX_DECLINED when none; NGX_ERROR.  The
 * location's trigger(r) decides first, if it has rules; sampling decides
 * without them, or when trigger(r) returns true.
 */

ngx_int_t
ngx_http_cx_pageview_trigger(ngx_http_request_t *r,
    ngx_http_cx_loc_conf_t *lcf, ngx_http_cx_ctx_t **ctxp)
{
    ngx_int_t              rc;
    ngx_http_cx_ctx_t     *ctx;
    ngx_http_cx_survey_t  *survey;

    /*
     * Without rules, sampling decides before any context is made: most
     * page views are not sampled, and a page view with no context is
     * counted on the log phase's short path.
     */

    survey = NULL;

    if (lcf->rules == NULL) {
        survey = lcf->surveys ? ngx_http_cx_sample(r, lcf) : NULL;

        if (survey == NULL) {
            return NGX_DECLINED;
        }
    }

    ctx = ngx_http_cx_get_ctx(r);
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    *ctxp = ctx;
    ctx->survey = survey;

    if (survey == NULL) {
        rc = ngx_http_cx_rules_trigger(r, ctx, lcf->rules,
                                       ngx_http_cx_pageview_touchpoint);

        if (rc == NGX_ERROR) {
            return NGX_ERROR;
        }

        if (rc == NGX_DECLINED && lcf->surveys) {
            ctx->survey = ngx_http_cx_sample(r, lcf);
        }
    }

    if (ctx->survey == NULL) {
        return NGX_DECLINED;
    }

    rc = ngx_http_cx_recontact(r, ctx, ctx->survey);

    if (rc != NGX_OK) {
        ctx->survey = NULL;
        return rc;
    }

    if (!ctx->delay_set) {
        ctx->delay = ctx->survey->delay;
    }

    if (ctx->survey->variants
        && ngx_http_cx_pageview_variant(r, ctx) != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ctx->question.data == NULL) {
        ctx->question = ctx->survey->question;
    }

    return NGX_OK;
}


/*
 * The variant of the survey's question (cx_survey variant=) for this
 * page view.  The rules' variant, if they returned one, with its
 * configured question unless they gave one too; none when they gave a
 * question alone (it is not one of the variants); else the visitor's:
 * the draw cx.pick(VARIANTS, "<survey id>") makes in a rule, so the same
 * visitor is asked the same wording on every page view.
 */

static ngx_int_t
ngx_http_cx_pageview_variant(ngx_http_request_t *r, ngx_http_cx_ctx_t *ctx)
{
    ngx_uint_t              i, n;
    ngx_http_cx_visitor_t  *v;
    ngx_http_cx_variant_t  *var;

    var = ctx->survey->variants->elts;
    n = ctx->survey->variants->nelts;

    if (ctx->variant.len) {
        for (i = 0; i < n; i++) {
            if (var[i].name.len == ctx->variant.len
                && ngx_strncmp(var[i].name.data, ctx->variant.data,
                               ctx->variant.len) == 0)
            {
                if (ctx->question.data == NULL) {
                    ctx->question = var[i].question;
                }

                break;
            }
        }

        return NGX_OK;
    }

    if (ctx->question.data) {
        return NGX_OK;
    }

    v = ngx_http_cx_visitor_get(r, &ctx->visitor);
    if (v == NULL) {
        return NGX_ERROR;
    }

    i = (ngx_uint_t) (ngx_http_cx_draw(&v->id, &ctx->survey->id) * n);

    if (i >= n) {
        i = n - 1;
    }

    ctx->variant = var[i].name;
    ctx->question = var[i].question;

    return NGX_OK;
}


/*
 * The page view counted in the visitor's cookie (Set-Cookie): after the
 * trigger, so rules saw the visitor as the request brought it.
 */

ngx_int_t
ngx_http_cx_pageview_visit(ngx_http_request_t *r)
{
    ngx_int_t                rc;
    ngx_str_t                tp;
    ngx_http_cx_ctx_t       *ctx;
    ngx_http_cx_visitor_t   *v;
    ngx_http_cx_loc_conf_t  *lcf;

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_cx_module);

    if (!lcf->visitor_cookie) {
        /* cx_visitor_cookie off: the widget alone writes the cookie */
        return NGX_OK;
    }

    ctx = ngx_http_cx_get_ctx(r);
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    rc = ngx_http_cx_pageview_touchpoint(r, ctx, &tp);

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (rc != NGX_OK) {
        ngx_str_null(&tp);
    }

    v = ngx_http_cx_visitor_get(r, &ctx->visitor);
    if (v == NULL) {
        return NGX_ERROR;
    }

    return ngx_http_cx_visitor_visit(r, v, &tp);
}


/*
 * Whether the visitor may be asked this survey now, by the cx_v cookie
 * the widget keeps: not within recontact days of answering it (its
 * cooldown, or 90), dismissed days of dismissing it (7), cooldown days
 * of being shown it, nor cx_survey_gap days of being shown another
 * survey.  NGX_DECLINED: not now (no tag, no token).
 */

static ngx_int_t
ngx_http_cx_recontact(ngx_http_request_t *r, ngx_http_cx_ctx_t *ctx,
    ngx_http_cx_survey_t *s)
{
    ngx_int_t                      today;
    ngx_uint_t                     i;
    ngx_http_cx_visitor_t         *v;
    ngx_http_cx_main_conf_t       *cmcf;
    ngx_http_cx_visitor_survey_t  *e;

    v = ngx_http_cx_visitor_get(r, &ctx->visitor);
    if (v == NULL) {
        return NGX_ERROR;
    }

    cmcf = ngx_http_get_module_main_conf(r, ngx_http_cx_module);
    today = ngx_time() / 86400;

#define ngx_http_cx_within(day, days)                                        \
    ((day) >= 0 && today - (day) < (ngx_int_t) (days))

    for (i = 0; i < v->nsurveys; i++) {
        e = &v->surveys[i];

        if (e->id.len != s->id.len
            || ngx_memcmp(e->id.data, s->id.data, s->id.len) != 0)
        {
            if (ngx_http_cx_within(e->shown, cmcf->survey_gap)) {
                break;
            }

            continue;
        }

        if (ngx_http_cx_within(e->answered, s->recontact)
            || ngx_http_cx_within(e->dismissed, s->dismissed)
            || ngx_http_cx_within(e->shown, s->cooldown))
        {
            break;
        }
    }

#undef ngx_http_cx_within

    if (i == v->nsurveys) {
        return NGX_OK;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "cx skip: survey \"%V\" not now for this visitor "
                   "(\"%V\" in cx_v)", &s->id, &v->surveys[i].id);

    return NGX_DECLINED;
}


/*
 * Each survey gets its own share of page views: one draw in [0, 100%),
 * surveys laid end to end in configuration order.
 */

static ngx_http_cx_survey_t *
ngx_http_cx_sample(ngx_http_request_t *r, ngx_http_cx_loc_conf_t *lcf)
{
    ngx_uint_t             i, draw, upto;
    ngx_http_cx_survey_t  *s;

    s = lcf->surveys->elts;

    if (lcf->surveys->nelts == 1 && s[0].sample == NGX_HTTP_CX_SAMPLE_ALL) {
        return &s[0];
    }

    draw = (ngx_uint_t) ngx_random() % NGX_HTTP_CX_SAMPLE_ALL;
    upto = 0;

    for (i = 0; i < lcf->surveys->nelts; i++) {
        upto += s[i].sample;

        if (draw < upto) {
            return &s[i];
        }
    }

    return NULL;
}


/*
 * What the survey tag of a page view names: its touchpoint ("other" when
 * it has none), and a token signed for its survey, that touchpoint and
 * the question's variant if the rules chose one (token->data has room for
 * NGX_HTTP_CX_TOKEN_MAX bytes).
 */

ngx_int_t
ngx_http_cx_pageview_token(ngx_http_request_t *r, ngx_http_cx_ctx_t *ctx,
    ngx_str_t *tp, ngx_str_t *token)
{
    if (ngx_http_cx_pageview_touchpoint(r, ctx, tp) == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (tp->len == 0) {
        ngx_str_set(tp, NGX_HTTP_CX_DEFAULT_TP);
    }

    token->len = ngx_http_cx_token_sign(r, &ctx->survey->id, tp,
                                        &ctx->variant, token->data);

    return NGX_OK;
}


/*
 * The touchpoint of this request, decided once: an upstream's
 * X-CX-Touchpoint (ngx_http_cx_pageview_signals() sets it first), else
 * the rules' touchpoint(r), else cx_touchpoint, validated.  NGX_DECLINED
 * when there is none or it is not a valid name.  With ctx->
 * touchpoint_peek, NGX_AGAIN (and nothing decided) when that would take
 * a call of touchpoint(r).
 */

ngx_int_t
ngx_http_cx_pageview_touchpoint(ngx_http_request_t *r,
    ngx_http_cx_ctx_t *ctx, ngx_str_t *tp)
{
    ngx_int_t                rc;
    ngx_str_t                v;
    ngx_http_cx_loc_conf_t  *lcf;

    if (ctx->touchpoint_done) {
        *tp = ctx->touchpoint;
        return tp->len ? NGX_OK : NGX_DECLINED;
    }

    ctx->touchpoint_done = 1;
    ngx_str_null(&ctx->touchpoint);
    *tp = ctx->touchpoint;

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_cx_module);

    if (lcf->rules) {
        rc = ngx_http_cx_rules_touchpoint(r, ctx, lcf->rules,
                                          ngx_http_cx_pageview_touchpoint,
                                          &v);

        if (rc == NGX_AGAIN) {
            ctx->touchpoint_done = 0;
            return NGX_AGAIN;
        }

        if (rc == NGX_ERROR) {
            return NGX_ERROR;
        }

        if (rc == NGX_OK) {
            ctx->touchpoint = v;
            *tp = v;
            return NGX_OK;
        }
    }

    if (lcf->touchpoint == NULL) {
        return NGX_DECLINED;
    }

    if (ngx_http_complex_value(r, lcf->touchpoint, &v) != NGX_OK) {
        return NGX_ERROR;
    }

    if (!ngx_http_cx_name_valid(v.data, v.len)) {
        if (v.len) {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "cx: touchpoint \"%V\" is not a valid name, "
                          "not counted", &v);
        }

        return NGX_DECLINED;
    }

    ctx->touchpoint = v;
    *tp = v;

    return NGX_OK;
}
