
/*
 * ngx_http_cx_score_args.c: the parameters of GET /cx/score -- each
 * known name at most once, "_" (a cache buster) ignored, anything else a
 * 400 that names the parameter and why; names checked as names, dates as
 * real days, the range (default: the last 30 days up to today, UTC; at
 * most 366 days) and the grouping; the compared period (compare_from and
 * compare_to, or compare=previous), margin= and detect=; format=json|csv
 * (csv: report=followups); cursor= (report=followups), checked by
 * ngx_http_cx_score_followups.c; tz=, by ngx_http_cx_score_tz.c.
 */


#include "ngx_http_cx_module.h"
#include "ngx_http_cx_score.h"
#include "ngx_http_cx_survey.h"
#include "ngx_http_cx_util.h"


typedef enum {
    ngx_http_cx_arg_survey = 0,
    ngx_http_cx_arg_report,
    ngx_http_cx_arg_touchpoint,
    ngx_http_cx_arg_from,
    ngx_http_cx_arg_to,
    ngx_http_cx_arg_by,
    ngx_http_cx_arg_site,
    ngx_http_cx_arg_count,
    ngx_http_cx_arg_compare,
    ngx_http_cx_arg_compare_from,
    ngx_http_cx_arg_compare_to,
    ngx_http_cx_arg_margin,
    ngx_http_cx_arg_detect,
    ngx_http_cx_arg_cursor,
    ngx_http_cx_arg_format,
    ngx_http_cx_arg_tz,
    ngx_http_cx_arg_last
} ngx_http_cx_arg_e;


typedef struct {
    ngx_str_t                    arg[ngx_http_cx_arg_last];
    ngx_uint_t                   seen;      /* bit per argument */
    ngx_str_t                    param;     /* the one in error */
    const char                  *reason;
} ngx_http_cx_score_args_t;


static ngx_int_t ngx_http_cx_score_parse_args(ngx_http_request_t *r,
    ngx_http_cx_score_args_t *a);
static ngx_int_t ngx_http_cx_score_unescape(ngx_pool_t *pool, u_char *p,
    u_char *last, ngx_str_t *out);
static ngx_int_t ngx_http_cx_score_check_args(ngx_http_request_t *r,
    ngx_http_cx_score_ctx_t *ctx, ngx_http_cx_score_args_t *a);
static ngx_int_t ngx_http_cx_score_check_range(ngx_http_cx_score_ctx_t *ctx,
    ngx_http_cx_score_args_t *a);
static ngx_int_t ngx_http_cx_score_check_by(ngx_http_cx_score_ctx_t *ctx,
    ngx_http_cx_score_args_t *a);
static ngx_int_t ngx_http_cx_score_check_report(ngx_http_cx_score_ctx_t *ctx,
    ngx_http_cx_score_args_t *a);
static ngx_int_t ngx_http_cx_score_check_compare(ngx_http_cx_score_ctx_t *ctx,
    ngx_http_cx_score_args_t *a);
static ngx_int_t ngx_http_cx_score_check_sizes(ngx_http_cx_score_ctx_t *ctx,
    ngx_http_cx_score_args_t *a);
static ngx_int_t ngx_http_cx_score_date(ngx_str_t *s);
static double ngx_http_cx_score_number(ngx_str_t *s);


static ngx_str_t  ngx_http_cx_score_arg_names[] = {
    ngx_string("survey"),
    ngx_string("report"),
    ngx_string("touchpoint"),
    ngx_string("from"),
    ngx_string("to"),
    ngx_string("by"),
    ngx_string("site"),
    ngx_string("count"),
    ngx_string("compare"),
    ngx_string("compare_from"),
    ngx_string("compare_to"),
    ngx_string("margin"),
    ngx_string("detect"),
    ngx_string("cursor"),
    ngx_string("format"),
    ngx_string("tz")
};


/* in the order of ngx_http_cx_by_e */

ngx_str_t  ngx_http_cx_score_by_names[] = {
    ngx_null_string,
    ngx_string("day"),
    ngx_string("touchpoint"),
    ngx_string("hour"),
    ngx_string("wday"),
    ngx_string("variant")
};


/* in the order of ngx_http_cx_report_e */

static ngx_str_t  ngx_http_cx_score_report_names[] = {
    ngx_null_string,
    ngx_string("touchpoints"),
    ngx_string("followups"),
    ngx_string("surveys"),
    ngx_string("rules")
};


/* NGX_OK, NGX_DECLINED (a 400: *param, *reason) or NGX_ERROR */

ngx_int_t
ngx_http_cx_score_args(ngx_http_request_t *r, ngx_http_cx_score_ctx_t *ctx,
    ngx_str_t *param, const char **reason)
{
    ngx_int_t                 rc;
    ngx_http_cx_score_args_t  a;

    rc = ngx_http_cx_score_parse_args(r, &a);

    if (rc == NGX_OK) {
        rc = ngx_http_cx_score_check_args(r, ctx, &a);
    }

    if (rc == NGX_DECLINED) {
        *param = a.param;
        *reason = a.reason;
    }

    return rc;
}


/* the query string: known names once each; "_" (a cache buster) ignored */

static ngx_int_t
ngx_http_cx_score_parse_args(ngx_http_request_t *r,
    ngx_http_cx_score_args_t *a)
{
    u_char      *p, *last, *amp, *eq;
    ngx_str_t    name, value;
    ngx_uint_t   i;

    ngx_memzero(a, sizeof(ngx_http_cx_score_args_t));

    p = r->args.data;
    last = p + r->args.len;

    for ( /* void */ ; p < last; p = amp + 1) {

        amp = ngx_strlchr(p, last, '&');
        if (amp == NULL) {
            amp = last;
        }

        if (amp == p) {
            continue;
        }

        eq = ngx_strlchr(p, amp, '=');

        if (ngx_http_cx_score_unescape(r->pool, p, eq ? eq : amp, &name)
            != NGX_OK
            || ngx_http_cx_score_unescape(r->pool, eq ? eq + 1 : amp, amp,
                                          &value)
               != NGX_OK)
        {
            return NGX_ERROR;
        }

        if (name.len == 1 && name.data[0] == '_') {
            continue;
        }

        if (name.len == 0) {
            a->reason = "a parameter without a name";
            return NGX_DECLINED;
        }

        for (i = 0; i < ngx_http_cx_arg_last; i++) {
            if (ngx_http_cx_score_is(&name, &ngx_http_cx_score_arg_names[i]))
            {
                break;
            }
        }

        if (i == ngx_http_cx_arg_last) {
            a->param = name;
            a->param.len = ngx_min(name.len, NGX_HTTP_CX_NAME_MAX);
            a->reason = "unknown parameter";
            return NGX_DECLINED;
        }

        if (a->seen & (1 << i)) {
            a->param = ngx_http_cx_score_arg_names[i];
            a->reason = "duplicate parameter";
            return NGX_DECLINED;
        }

        a->seen |= 1 << i;
        a->arg[i] = value;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_cx_score_unescape(ngx_pool_t *pool, u_char *p, u_char *last,
    ngx_str_t *out)
{
    u_char  *dst;

    if (ngx_strlchr(p, last, '%') == NULL) {
        out->data = p;
        out->len = last - p;
        return NGX_OK;
    }

    out->data = ngx_pnalloc(pool, last - p);
    if (out->data == NULL) {
        return NGX_ERROR;
    }

    dst = out->data;
    ngx_unescape_uri(&dst, &p, last - p, 0);
    out->len = dst - out->data;

    return NGX_OK;
}


#define ngx_http_cx_score_has(a, i)  ((a)->seen & (1 << (i)))

#define ngx_http_cx_score_bad(a, i, why)                                     \
    (a)->param = ngx_http_cx_score_arg_names[i];                              \
    (a)->reason = why;                                                        \
    return NGX_DECLINED


static ngx_int_t
ngx_http_cx_score_check_args(ngx_http_request_t *r,
    ngx_http_cx_score_ctx_t *ctx, ngx_http_cx_score_args_t *a)
{
    ngx_int_t                 rc;
    ngx_str_t                *v;
    ngx_http_cx_srv_conf_t   *cscf;
    ngx_http_cx_main_conf_t  *cmcf;

    if (ngx_http_cx_score_has(a, ngx_http_cx_arg_report)) {

        if (ngx_http_cx_score_check_report(ctx, a) != NGX_OK) {
            return NGX_DECLINED;
        }

    } else if (!ngx_http_cx_score_has(a, ngx_http_cx_arg_survey)) {
        ngx_http_cx_score_bad(a, ngx_http_cx_arg_survey,
                              "missing (or use report=touchpoints)");
    }

    if (ctx->report != ngx_http_cx_rep_followups
        && ngx_http_cx_score_has(a, ngx_http_cx_arg_count))
    {
        ngx_http_cx_score_bad(a, ngx_http_cx_arg_count,
                              "only with report=followups");
    }

    if (ngx_http_cx_score_has(a, ngx_http_cx_arg_survey)) {
        v = &a->arg[ngx_http_cx_arg_survey];

        if (!ngx_http_cx_name_valid(v->data, v->len)) {
            ngx_http_cx_score_bad(a, ngx_http_cx_arg_survey,
                                  "not a name ([a-z0-9_.-], 1-64)");
        }

        cmcf = ngx_http_get_module_main_conf(r, ngx_http_cx_module);

        ctx->survey = ngx_http_cx_survey_find(cmcf, v);

        if (ctx->survey == NULL) {
            ngx_http_cx_score_bad(a, ngx_http_cx_arg_survey,
                                  "not configured");
        }
    }

    if (ngx_http_cx_score_has(a, ngx_http_cx_arg_site)) {
        v = &a->arg[ngx_http_cx_arg_site];

        if (!ngx_http_cx_name_valid(v->data, v->len)) {
            ngx_http_cx_score_bad(a, ngx_http_cx_arg_site,
                                  "not a name ([a-z0-9_.-], 1-64)");
        }

        ctx->site = *v;

    } else {
        cscf = ngx_http_get_module_srv_conf(r, ngx_http_cx_module);
        ctx->site = cscf->site;
    }

    if (ngx_http_cx_score_has(a, ngx_http_cx_arg_touchpoint)) {
        v = &a->arg[ngx_http_cx_arg_touchpoint];

        if (!ngx_http_cx_name_valid(v->data, v->len)) {
            ngx_http_cx_score_bad(a, ngx_http_cx_arg_touchpoint,
                                  "not a name ([a-z0-9_.-], 1-64)");
        }

        ctx->touchpoint = *v;
    }

    if (ngx_http_cx_score_check_range(ctx, a) != NGX_OK
        || ngx_http_cx_score_check_compare(ctx, a) != NGX_OK
        || ngx_http_cx_score_check_sizes(ctx, a) != NGX_OK)
    {
        return NGX_DECLINED;
    }

    if (ngx_http_cx_score_has(a, ngx_http_cx_arg_format)) {
        v = &a->arg[ngx_http_cx_arg_format];

        if (v->len == 3 && ngx_strncmp(v->data, "csv", 3) == 0) {
            if (ctx->report != ngx_http_cx_rep_followups) {
                ngx_http_cx_score_bad(a, ngx_http_cx_arg_format,
                                      "csv only with report=followups");
            }

            ctx->csv = 1;

        } else if (v->len != 4 || ngx_strncmp(v->data, "json", 4) != 0) {
            ngx_http_cx_score_bad(a, ngx_http_cx_arg_format,
                                  "must be json or csv");
        }
    }

    if (ngx_http_cx_score_has(a, ngx_http_cx_arg_cursor)) {
        if (ctx->report != ngx_http_cx_rep_followups) {
            ngx_http_cx_score_bad(a, ngx_http_cx_arg_cursor,
                                  "only with report=followups");
        }

        if (ngx_http_cx_score_followups_cursor(ctx,
                                               &a->arg[ngx_http_cx_arg_cursor],
                                               &a->reason)
            != NGX_OK)
        {
            a->param = ngx_http_cx_score_arg_names[ngx_http_cx_arg_cursor];
            return NGX_DECLINED;
        }
    }

    if (ngx_http_cx_score_check_by(ctx, a) != NGX_OK) {
        return NGX_DECLINED;
    }

    /* tz=: the zone of the hours and weekdays (ngx_http_cx_score_tz.c) */

    v = ngx_http_cx_score_has(a, ngx_http_cx_arg_tz)
        ? &a->arg[ngx_http_cx_arg_tz] : NULL;

    rc = ngx_http_cx_score_tz_arg(ctx, v, &a->reason);

    if (rc == NGX_DECLINED) {
        a->param = ngx_http_cx_score_arg_names[ngx_http_cx_arg_tz];
    }

    return rc;
}


/*
 * report=touchpoints|followups|surveys|rules: a survey only as the filter of
 * follow-ups, nothing else at all with surveys or rules; count and its
 * default
 */

static ngx_int_t
ngx_http_cx_score_check_report(ngx_http_cx_score_ctx_t *ctx,
    ngx_http_cx_score_args_t *a)
{
    ngx_int_t   n;
    ngx_uint_t  i, report;

    for (report = ngx_http_cx_rep_touchpoints;
         report <= ngx_http_cx_rep_rules;
         report++)
    {
        if (ngx_http_cx_score_is(&a->arg[ngx_http_cx_arg_report],
                                 &ngx_http_cx_score_report_names[report]))
        {
            break;
        }
    }

    if (report > ngx_http_cx_rep_rules) {
        ngx_http_cx_score_bad(a, ngx_http_cx_arg_report,
                              "must be touchpoints, followups, surveys or "
                              "rules");
    }

    ctx->report = report;

    if (report >= ngx_http_cx_rep_surveys) {
        for (i = 0; i < ngx_http_cx_arg_last; i++) {
            if (i != ngx_http_cx_arg_report && ngx_http_cx_score_has(a, i)) {
                ngx_http_cx_score_bad(a, i, report == ngx_http_cx_rep_rules
                                            ? "not with report=rules"
                                            : "not with report=surveys");
            }
        }
    }

    if (report != ngx_http_cx_rep_followups) {
        if (ngx_http_cx_score_has(a, ngx_http_cx_arg_survey)) {
            ngx_http_cx_score_bad(a, ngx_http_cx_arg_survey,
                                  "not with report");
        }

        return NGX_OK;
    }

    ctx->count = NGX_HTTP_CX_FOLLOWUPS_DEFAULT;

    if (ngx_http_cx_score_has(a, ngx_http_cx_arg_count)) {
        n = ngx_atoi(a->arg[ngx_http_cx_arg_count].data,
                     a->arg[ngx_http_cx_arg_count].len);

        if (n < 1 || n > NGX_HTTP_CX_FOLLOWUPS_MAX) {
            ngx_http_cx_score_bad(a, ngx_http_cx_arg_count,
                                  "must be a number from 1 to 100");
        }

        ctx->count = n;
    }

    if (ngx_http_cx_score_has(a, ngx_http_cx_arg_by)) {
        ngx_http_cx_score_bad(a, ngx_http_cx_arg_by,
                              "not with report=followups");
    }

    return NGX_OK;
}


/* to: today (UTC) by default; from: 30 days up to to; at most 366 days */

static ngx_int_t
ngx_http_cx_score_check_range(ngx_http_cx_score_ctx_t *ctx,
    ngx_http_cx_score_args_t *a)
{
    if (ngx_http_cx_score_has(a, ngx_http_cx_arg_to)) {
        ctx->to = ngx_http_cx_score_date(&a->arg[ngx_http_cx_arg_to]);

        if (ctx->to == NGX_ERROR) {
            ngx_http_cx_score_bad(a, ngx_http_cx_arg_to,
                                  "not a date (YYYY-MM-DD)");
        }

    } else {
        ctx->to = ngx_time() / 86400;
    }

    if (ngx_http_cx_score_has(a, ngx_http_cx_arg_from)) {
        ctx->from = ngx_http_cx_score_date(&a->arg[ngx_http_cx_arg_from]);

        if (ctx->from == NGX_ERROR) {
            ngx_http_cx_score_bad(a, ngx_http_cx_arg_from,
                                  "not a date (YYYY-MM-DD)");
        }

    } else {
        ctx->from = ngx_max(ctx->to - (NGX_HTTP_CX_SCORE_DAYS_DEFAULT - 1),
                            0);
    }

    if (ctx->from > ctx->to) {
        ngx_http_cx_score_bad(a, ngx_http_cx_arg_from, "after to");
    }

    if (ctx->to - ctx->from >= NGX_HTTP_CX_SCORE_DAYS_MAX) {
        ngx_http_cx_score_bad(a, ngx_http_cx_arg_from,
                              "more than 366 days before to");
    }

    ctx->days = ctx->to - ctx->from + 1;

    return NGX_OK;
}


/*
 * The compared period, a survey's only: compare_from and compare_to
 * (both, at most 366 days), or compare=previous, the same number of days
 * just before from.
 */

static ngx_int_t
ngx_http_cx_score_check_compare(ngx_http_cx_score_ctx_t *ctx,
    ngx_http_cx_score_args_t *a)
{
    ngx_str_t   *v;
    ngx_uint_t   i;

    for (i = ngx_http_cx_arg_compare; i <= ngx_http_cx_arg_compare_to; i++) {
        if (ctx->report != ngx_http_cx_rep_none
            && ngx_http_cx_score_has(a, i))
        {
            ngx_http_cx_score_bad(a, i, "not with report");
        }
    }

    if (ngx_http_cx_score_has(a, ngx_http_cx_arg_compare)) {

        for (i = ngx_http_cx_arg_compare_from;
             i <= ngx_http_cx_arg_compare_to;
             i++)
        {
            if (ngx_http_cx_score_has(a, i)) {
                ngx_http_cx_score_bad(a, i, "not with compare=previous");
            }
        }

        if (a->arg[ngx_http_cx_arg_compare].len != sizeof("previous") - 1
            || ngx_strncmp(a->arg[ngx_http_cx_arg_compare].data, "previous",
                           sizeof("previous") - 1) != 0)
        {
            ngx_http_cx_score_bad(a, ngx_http_cx_arg_compare,
                                  "must be previous (or use compare_from "
                                  "and compare_to)");
        }

        if (ctx->from < (ngx_int_t) ctx->days) {
            ngx_http_cx_score_bad(a, ngx_http_cx_arg_compare,
                                  "the previous period would begin "
                                  "before 1970-01-01");
        }

        ctx->compare_to = ctx->from - 1;
        ctx->compare_from = ctx->from - ctx->days;
        ctx->compare_days = ctx->days;

        return NGX_OK;
    }

    if (!ngx_http_cx_score_has(a, ngx_http_cx_arg_compare_from)
        && !ngx_http_cx_score_has(a, ngx_http_cx_arg_compare_to))
    {
        return NGX_OK;
    }

    if (!ngx_http_cx_score_has(a, ngx_http_cx_arg_compare_from)) {
        ngx_http_cx_score_bad(a, ngx_http_cx_arg_compare_from,
                              "missing (with compare_to)");
    }

    if (!ngx_http_cx_score_has(a, ngx_http_cx_arg_compare_to)) {
        ngx_http_cx_score_bad(a, ngx_http_cx_arg_compare_to,
                              "missing (with compare_from)");
    }

    v = &a->arg[ngx_http_cx_arg_compare_from];
    ctx->compare_from = ngx_http_cx_score_date(v);

    if (ctx->compare_from == NGX_ERROR) {
        ngx_http_cx_score_bad(a, ngx_http_cx_arg_compare_from,
                              "not a date (YYYY-MM-DD)");
    }

    v = &a->arg[ngx_http_cx_arg_compare_to];
    ctx->compare_to = ngx_http_cx_score_date(v);

    if (ctx->compare_to == NGX_ERROR) {
        ngx_http_cx_score_bad(a, ngx_http_cx_arg_compare_to,
                              "not a date (YYYY-MM-DD)");
    }

    if (ctx->compare_from > ctx->compare_to) {
        ngx_http_cx_score_bad(a, ngx_http_cx_arg_compare_from,
                              "after compare_to");
    }

    if (ctx->compare_to - ctx->compare_from >= NGX_HTTP_CX_SCORE_DAYS_MAX) {
        ngx_http_cx_score_bad(a, ngx_http_cx_arg_compare_from,
                              "more than 366 days before compare_to");
    }

    ctx->compare_days = ctx->compare_to - ctx->compare_from + 1;

    return NGX_OK;
}


/*
 * margin= (the half-width of the interval wanted) and detect= (the
 * change to detect), in points of the survey's score: above 0, and at
 * most the widest possible (NPS 100 and 200, CSAT 100, CES 6);
 * defaults NPS and CSAT 5 and 10, CES 0.25 and 0.5.
 */

static ngx_int_t
ngx_http_cx_score_check_sizes(ngx_http_cx_score_ctx_t *ctx,
    ngx_http_cx_score_args_t *a)
{
    double                 max[2], v;
    ngx_uint_t             i;
    const char            *why[2];
    ngx_http_cx_scoring_e  kind;

    if (ctx->report != ngx_http_cx_rep_none) {
        for (i = ngx_http_cx_arg_margin; i <= ngx_http_cx_arg_detect; i++) {
            if (ngx_http_cx_score_has(a, i)) {
                ngx_http_cx_score_bad(a, i, "not with report");
            }
        }

        return NGX_OK;
    }

    kind = ngx_http_cx_scoring_kind(ctx->survey->type);

    switch (kind) {

    case ngx_http_cx_scoring_nps:
        ctx->margin = 5;
        ctx->detect = 10;
        max[0] = 100;
        max[1] = 200;
        why[0] = "must be a number above 0 and at most 100";
        why[1] = "must be a number above 0 and at most 200";
        break;

    case ngx_http_cx_scoring_csat:
        ctx->margin = 5;
        ctx->detect = 10;
        max[0] = 100;
        max[1] = 100;
        why[0] = "must be a number above 0 and at most 100";
        why[1] = why[0];
        break;

    default:
        ctx->margin = 0.25;
        ctx->detect = 0.5;
        max[0] = 6;
        max[1] = 6;
        why[0] = "must be a number above 0 and at most 6";
        why[1] = why[0];
    }

    for (i = 0; i < 2; i++) {
        if (!ngx_http_cx_score_has(a, ngx_http_cx_arg_margin + i)) {
            continue;
        }

        v = ngx_http_cx_score_number(&a->arg[ngx_http_cx_arg_margin + i]);

        if (!(v > 0) || v > max[i]) {
            ngx_http_cx_score_bad(a, ngx_http_cx_arg_margin + i, why[i]);
        }

        if (i == 0) {
            ctx->margin = v;

        } else {
            ctx->detect = v;
        }
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_cx_score_check_by(ngx_http_cx_score_ctx_t *ctx,
    ngx_http_cx_score_args_t *a)
{
    ngx_uint_t  by;

    if (!ngx_http_cx_score_has(a, ngx_http_cx_arg_by)) {
        ctx->by = ngx_http_cx_by_none;
        return NGX_OK;
    }

    for (by = ngx_http_cx_by_day; by <= ngx_http_cx_by_variant; by++) {
        if (ngx_http_cx_score_is(&a->arg[ngx_http_cx_arg_by],
                                 &ngx_http_cx_score_by_names[by]))
        {
            break;
        }
    }

    if (ctx->report == ngx_http_cx_rep_touchpoints
        && by != ngx_http_cx_by_day && by != ngx_http_cx_by_hour)
    {
        ngx_http_cx_score_bad(a, ngx_http_cx_arg_by,
                              "must be day or hour with report");
    }

    if (by > ngx_http_cx_by_variant) {
        ngx_http_cx_score_bad(a, ngx_http_cx_arg_by,
                              "must be day, touchpoint, hour, wday or "
                              "variant");
    }

    ctx->by = by;

    return NGX_OK;
}


/* digits, and a decimal part of at most 4 digits: -1 for anything else */

static double
ngx_http_cx_score_number(ngx_str_t *s)
{
    u_char      *p, *last, *dot;
    double       v, unit;

    p = s->data;
    last = p + s->len;
    dot = ngx_strlchr(p, last, '.');

    if (s->len == 0 || s->len > 10 || p == dot
        || (dot && (last - dot < 2 || last - dot > 5)))
    {
        return -1;
    }

    v = 0;
    unit = 1;

    for ( /* void */ ; p < last; p++) {
        if (p == dot) {
            continue;
        }

        if (*p < '0' || *p > '9') {
            return -1;
        }

        if (dot && p > dot) {
            unit /= 10;
            v += unit * (*p - '0');

        } else {
            v = v * 10 + (*p - '0');
        }
    }

    return v;
}


/* YYYY-MM-DD, a real day from 1970-01-01: days since then */

static ngx_int_t
ngx_http_cx_score_date(ngx_str_t *s)
{
    u_char     *p;
    ngx_int_t   y, m, d, mdays, era, yoe, doy;

    static ngx_int_t  month_days[] = {
        31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
    };

    p = s->data;

    if (s->len != 10 || p[4] != '-' || p[7] != '-') {
        return NGX_ERROR;
    }

    y = ngx_atoi(p, 4);
    m = ngx_atoi(p + 5, 2);
    d = ngx_atoi(p + 8, 2);

    if (y < 1970 || m < 1 || m > 12 || d < 1) {
        return NGX_ERROR;
    }

    mdays = month_days[m - 1];

    if (m == 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))) {
        mdays = 29;
    }

    if (d > mdays) {
        return NGX_ERROR;
    }

    /* days from the civil date (H. Hinnant's algorithm), y >= 1970 */

    y -= (m <= 2);
    era = y / 400;
    yoe = y - era * 400;
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;

    return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}
