
/*
 * ngx_http_cx_score.c: the cx_score handler, GET /cx/score.  It checks
 * the method, who asks (ngx_http_cx_access.c) and the parameters; reads
 * the range's hashes pipelined (ngx_http_cx_query.c) -- the whole
 * months from their rollups, the other days from theirs or from the day
 * hashes, and what an incomplete rollup adds up in a second round trip
 * (docs/redis.md) -- adding fields up as replies arrive; and answers
 * with a survey's scores (ngx_http_cx_score_survey.c) as JSON, or with
 * the journey report (ngx_http_cx_score_touchpoints.c), the latest
 * follow-ups (ngx_http_cx_score_followups.c, one EVAL instead of the
 * hashes) or the configured surveys (ngx_http_cx_score_survey_list.c,
 * without Redis).  The parameters are checked in
 * ngx_http_cx_score_args.c.
 *
 * The answer is sent from a posted event, never from inside a hiredis
 * callback: finalizing there could free the request, and with it the
 * query, while hiredis still uses the query.
 */


#include "ngx_http_cx_module.h"
#include "ngx_http_cx_query.h"
#include "ngx_http_cx_keys.h"
#include "ngx_http_cx_rules.h"
#include "ngx_http_cx_score.h"
#include "ngx_http_cx_redis.h"
#include "ngx_http_cx_access.h"
#include "ngx_http_cx_counter.h"
#include "ngx_http_cx_util.h"


static ngx_int_t ngx_http_cx_score_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_cx_score_init(ngx_http_cx_score_ctx_t *ctx);
static ngx_int_t ngx_http_cx_score_query(ngx_http_request_t *r,
    ngx_http_cx_score_ctx_t *ctx);
static ngx_int_t ngx_http_cx_score_plan(ngx_http_cx_score_ctx_t *ctx,
    ngx_uint_t base, ngx_int_t first, ngx_uint_t n);
static ngx_int_t ngx_http_cx_score_plan_days(ngx_http_cx_score_ctx_t *ctx,
    ngx_uint_t first, ngx_uint_t n, ngx_uint_t key,
    ngx_http_cx_score_span_e span);
static void ngx_http_cx_score_shards(ngx_http_cx_score_ctx_t *ctx,
    ngx_uint_t shards);
static ngx_int_t ngx_http_cx_score_read(ngx_http_cx_score_ctx_t *ctx,
    ngx_uint_t first, ngx_uint_t ndays, ngx_uint_t key,
    ngx_http_cx_score_span_e span, ngx_uint_t shard);
static u_char *ngx_http_cx_score_key(ngx_http_cx_score_ctx_t *ctx,
    ngx_http_cx_score_read_t *rd, u_char *key);
static ngx_uint_t ngx_http_cx_score_complete(redisReply *reply);
static void ngx_http_cx_score_fallback(ngx_http_cx_score_ctx_t *ctx,
    ngx_http_cx_score_read_t *rd);
static void ngx_http_cx_score_reply(ngx_http_cx_query_t *q, ngx_uint_t i,
    redisReply *reply);
static void ngx_http_cx_score_done(ngx_http_cx_query_t *q, ngx_int_t rc);
static void ngx_http_cx_score_answer(ngx_event_t *ev);
static void ngx_http_cx_score_cleanup(void *data);
static ngx_int_t ngx_http_cx_score_respond(ngx_http_request_t *r,
    ngx_http_cx_score_ctx_t *ctx);
static void ngx_http_cx_score_bad(ngx_http_cx_score_ctx_t *ctx,
    const char *what, redisReply *v);


static char  *ngx_http_cx_score_wdays[] = {
    "mon", "tue", "wed", "thu", "fri", "sat", "sun"
};


/* in the order of ngx_http_cx_score_key_e and ngx_http_cx_report_key_e */

static char  *ngx_http_cx_score_survey_keys[] = { "sc", "sv", "sch", "svh" };
static char  *ngx_http_cx_score_report_keys[] = { "tp", "tph" };


char *
ngx_http_cx_score(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_cx_main_conf_t   *cmcf;
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_cx_score_handler;

    /* the module's own endpoint: never a page view, never injected */
    ((ngx_http_cx_loc_conf_t *) conf)->endpoint = 1;

    /* for the check that cx_redis is there (ngx_http_cx_module.c) */

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_cx_module);

    if (cmcf->score_file == NULL) {
        cmcf->score_file = cf->conf_file->file.name.data;
        cmcf->score_line = cf->conf_file->line;
    }

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_cx_score_handler(ngx_http_request_t *r)
{
    ngx_int_t                 rc;
    ngx_str_t                 param;
    const char               *reason;
    ngx_table_elt_t          *h;
    ngx_pool_cleanup_t       *cln;
    ngx_http_cx_score_ctx_t  *ctx;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        h = ngx_list_push(&r->headers_out.headers);
        if (h == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        h->hash = 1;
        ngx_str_set(&h->key, "Allow");
        ngx_str_set(&h->value, "GET, HEAD");

        return ngx_http_cx_json_error(r, NGX_HTTP_NOT_ALLOWED, NULL,
                                      "method not allowed");
    }

    rc = ngx_http_cx_access(r, 0);
    if (rc != NGX_OK) {
        return ngx_http_cx_access_denied(r, rc);
    }

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_cx_score_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->request = r;

    rc = ngx_http_cx_score_args(r, ctx, &param, &reason);

    if (rc == NGX_DECLINED) {
        return ngx_http_cx_json_error(r, NGX_HTTP_BAD_REQUEST, &param,
                                      reason);
    }

    if (rc != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_cx_access_site(r, &ctx->site) != NGX_OK) {
        ngx_str_set(&param, "site");
        return ngx_http_cx_json_error(r, NGX_HTTP_FORBIDDEN, &param,
                                      "not a site of this nginx "
                                      "(cx_score_sites lists others)");
    }

    if (ctx->report == ngx_http_cx_rep_surveys) {
        return ngx_http_cx_score_surveys(r);
    }

    if (ctx->report == ngx_http_cx_rep_rules) {
        /* the rules' recent errors: ngx_http_cx_lua_errors.c */
        return ngx_http_cx_rules_report(r);
    }

    /*
     * cx_redis_cluster: each read summed over the site's shards, the
     * follow-ups merged (docs/cluster.md); the query waits for the map
     */

    if (!ngx_http_cx_redis_cluster() && ngx_http_cx_redis_context() == NULL) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "cx score: not connected to redis");
        return ngx_http_cx_json_error(r, NGX_HTTP_SERVICE_UNAVAILABLE, NULL,
                                      "redis unavailable");
    }

    if (ngx_http_cx_score_init(ctx) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cln->handler = ngx_http_cx_score_cleanup;
    cln->data = ctx;

    ctx->answer.handler = ngx_http_cx_score_answer;
    ctx->answer.data = ctx;
    ctx->answer.log = r->connection->log;

    rc = ngx_http_cx_score_query(r, ctx);

    if (rc == NGX_DECLINED) {
        return ngx_http_cx_json_error(r, NGX_HTTP_SERVICE_UNAVAILABLE, NULL,
                                      "redis unavailable");
    }

    if (rc != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_DONE;
}


static ngx_int_t
ngx_http_cx_score_init(ngx_http_cx_score_ctx_t *ctx)
{
    ctx->rollups = 1;

    switch (ctx->by) {
    case ngx_http_cx_by_day:
        ctx->groups = ctx->days;
        break;
    case ngx_http_cx_by_hour:
        ctx->groups = 24;
        break;
    case ngx_http_cx_by_wday:
        ctx->groups = 7;
        break;
    default:
        ctx->groups = 0;
    }

    if (ctx->report == ngx_http_cx_rep_followups) {
        return ngx_http_cx_score_followups_init(ctx);
    }

    if (ctx->survey == NULL) {
        ctx->keys = (ctx->by == ngx_http_cx_by_hour) ? 2 : 1;
        return ngx_http_cx_score_report_init(ctx);
    }

    ctx->keys = (ctx->by == ngx_http_cx_by_hour || ctx->tz.hourly) ? 4 : 2;

    return ngx_http_cx_score_survey_init(ctx);
}


/*
 * One HGETALL per hash and day, pipelined (docs/redis.md):
 *
 *   {prefix}:{site}:{sc|sv|sch|svh}:{survey}:{day}
 *   {prefix}:{site}:{tp|tph}:{day}
 *
 * or, for a month the range holds whole, its rollup (the same key with
 * the month, YYYYMM, for the day, and ":all" after it for the
 * touchpoints added up): ngx_http_cx_score_plan().
 */

static ngx_int_t
ngx_http_cx_score_query(ngx_http_request_t *r, ngx_http_cx_score_ctx_t *ctx)
{
    ngx_int_t                 rc;
    ngx_uint_t                i, all, shards;
    ngx_http_cx_query_t      *q;
    ngx_http_cx_main_conf_t  *cmcf;

    q = ngx_http_cx_query_create(r);
    if (q == NULL) {
        return NGX_ERROR;
    }

    q->data = ctx;
    q->reply = ngx_http_cx_score_reply;
    q->done = ngx_http_cx_score_done;

    ctx->query = q;

    if (ctx->report == ngx_http_cx_rep_followups) {
        rc = ngx_http_cx_score_followups_query(ctx, q);
        if (rc != NGX_OK) {
            return rc;
        }

        r->main->count++;

        return ngx_http_cx_query_run(q);
    }

    /*
     * at worst every day three times: in a month's rollup, in its own,
     * then its hash; and a month's rollup more (one corrected by days in
     * a time zone)
     */

    all = ctx->days + ctx->compare_days;
    cmcf = ngx_http_get_module_main_conf(r, ngx_http_cx_module);
    shards = cmcf->shards ? ((ngx_http_cx_key_shards_t *) cmcf->shards)->n
                          : 1;

    ctx->reads_max = (3 * all + 16) * ctx->keys * shards;
    ctx->reads = ngx_palloc(r->pool,
                            ctx->reads_max * sizeof(ngx_http_cx_score_read_t));
    if (ctx->reads == NULL) {
        return NGX_ERROR;
    }

    /* the compared period's days follow the range's */

    if (ngx_http_cx_score_plan(ctx, 0, ctx->from, ctx->days) != NGX_OK
        || ngx_http_cx_score_plan(ctx, ctx->days, ctx->compare_from,
                                  ctx->compare_days)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (shards > 1) {
        ngx_http_cx_score_shards(ctx, shards);
    }

    for (i = 0; i < ctx->nreads; i++) {
        rc = ngx_http_cx_score_read(ctx, 0, 0, 0, 0, 0);
        if (rc != NGX_OK) {
            return rc;
        }
    }

    /* the request waits for the answer event */

    r->main->count++;

    return ngx_http_cx_query_run(q);
}


/*
 * The reads of n days from day "first" (days since 1970-01-01), at
 * index base: a month's rollup for each month they hold whole, when the
 * question allows it; the days of the others.  Without touchpoint= and
 * by=touchpoint, the rollups that add up the touchpoints (of months and
 * of days) are enough; by=touchpoint needs a month's fields as they are;
 * with touchpoint=, by=day and by=wday need the day hashes, as does
 * report=touchpoints by=day.
 */

static ngx_int_t
ngx_http_cx_score_plan(ngx_http_cx_score_ctx_t *ctx, ngx_uint_t base,
    ngx_int_t first, ngx_uint_t n)
{
    int32_t                   offset;
    uint32_t                  fix;
    ngx_tm_t                  tm, next;
    ngx_int_t                 rc;
    ngx_uint_t                d, i, k, len, hourly;
    ngx_http_cx_score_span_e  span, day;

    span = ngx_http_cx_span_month;
    day = ngx_http_cx_span_day;

    /* the first of the keys by hour (sch, svh; tph) */

    hourly = ctx->survey ? ngx_http_cx_key_sch : ngx_http_cx_key_tph;

    if (ctx->survey == NULL) {
        if (ctx->by == ngx_http_cx_by_day) {
            span = ngx_http_cx_span_day;
        }

    } else if (ctx->touchpoint.len == 0) {
        if (ctx->by != ngx_http_cx_by_touchpoint) {
            span = ngx_http_cx_span_all;
            day = ngx_http_cx_span_day_all;
        }

    } else if (ctx->by == ngx_http_cx_by_day
               || ctx->by == ngx_http_cx_by_wday)
    {
        span = ngx_http_cx_span_day;
    }

    if (!ctx->rollups) {
        span = ngx_http_cx_span_day;
        day = ngx_http_cx_span_day;
    }

    for (d = 0; d < n; d += len) {
        len = 1;

        ngx_gmtime((time_t) (first + d) * 86400, &tm);

        if (span != ngx_http_cx_span_day && tm.ngx_tm_mday == 1) {

            /* the month's length: the day before the next month's 1st */

            ngx_gmtime((time_t) (first + d + 31) * 86400, &next);
            len = 31 - (next.ngx_tm_mday - 1);

            if (d + len > n) {
                len = 1;
            }
        }

        for (k = 0; k < ctx->keys; k++) {
            rc = NGX_OK;

            if (len > 1 && k >= hourly) {
                /* hours in a zone: ngx_http_cx_score_tz.c */
                rc = ngx_http_cx_score_tz_month(ctx, first + d, len,
                                                &offset, &fix);
            }

            if (ngx_http_cx_score_plan_days(ctx, base + d,
                                            (rc == NGX_DONE) ? len : 1, k,
                                            (len == 1 || rc == NGX_DONE)
                                            ? day : span)
                != NGX_OK)
            {
                return NGX_ERROR;
            }

            if (rc == NGX_DONE) {
                continue;
            }

            ctx->reads[ctx->nreads - 1].ndays = len;

            if (rc == NGX_OK) {
                continue;
            }

            ctx->reads[ctx->nreads - 1].based = 1;
            ctx->reads[ctx->nreads - 1].offset = offset;

            for (i = 0; i < len; i++) {
                if (!(fix & ((uint32_t) 1 << i))) {
                    continue;
                }

                if (ngx_http_cx_score_plan_days(ctx, base + d + i, 1, k, day)
                    != NGX_OK)
                {
                    return NGX_ERROR;
                }

                ctx->reads[ctx->nreads - 1].fix = 1;
                ctx->reads[ctx->nreads - 1].offset = offset;
            }
        }
    }

    return NGX_OK;
}


/* n reads of one day each, from day index "first", of one key and span */

static ngx_int_t
ngx_http_cx_score_plan_days(ngx_http_cx_score_ctx_t *ctx, ngx_uint_t first,
    ngx_uint_t n, ngx_uint_t key, ngx_http_cx_score_span_e span)
{
    ngx_uint_t  i;

    for (i = 0; i < n; i++) {
        if (ctx->nreads == ctx->reads_max) {
            return NGX_ERROR;
        }

        ctx->reads[ctx->nreads].first = first + i;
        ctx->reads[ctx->nreads].ndays = 1;
        ctx->reads[ctx->nreads].key = key;
        ctx->reads[ctx->nreads].shard = 0;
        ctx->reads[ctx->nreads].span = span;
        ctx->reads[ctx->nreads].offset = 0;
        ctx->reads[ctx->nreads].based = 0;
        ctx->reads[ctx->nreads].fix = 0;
        ctx->reads[ctx->nreads].skip = 0;
        ctx->nreads++;
    }

    return NGX_OK;
}


/*
 * cx_redis_cluster: every read once per shard of the site, in place
 * (a read's fixes still follow it: each shard's are its own)
 */

static void
ngx_http_cx_score_shards(ngx_http_cx_score_ctx_t *ctx, ngx_uint_t shards)
{
    ngx_uint_t  i, s, n;

    n = ctx->nreads;

    for (i = n; i-- > 0; ) {
        for (s = 0; s < shards; s++) {
            ctx->reads[i * shards + s] = ctx->reads[i];
            ctx->reads[i * shards + s].shard = s;
        }
    }

    ctx->nreads = n * shards;
}


/*
 * Sends the HGETALL of the next read; with ndays, of a new read first
 * (the days of a rollup that was not complete)
 */

static ngx_int_t
ngx_http_cx_score_read(ngx_http_cx_score_ctx_t *ctx, ngx_uint_t first,
    ngx_uint_t ndays, ngx_uint_t key, ngx_http_cx_score_span_e span,
    ngx_uint_t shard)
{
    size_t                     lens[2];
    const char                *argv[2];
    ngx_http_cx_score_read_t  *rd;
    u_char                     buf[NGX_HTTP_CX_KEY_MAX];

    if (ndays) {
        if (ctx->nreads == ctx->reads_max) {
            return NGX_ERROR;
        }

        rd = &ctx->reads[ctx->nreads++];
        ngx_memzero(rd, sizeof(ngx_http_cx_score_read_t));
        rd->shard = shard;
        rd->first = first;
        rd->ndays = ndays;
        rd->key = key;
        rd->span = span;
    }

    rd = &ctx->reads[ctx->query->sent];

    argv[0] = "HGETALL";
    lens[0] = sizeof("HGETALL") - 1;
    argv[1] = (const char *) buf;
    lens[1] = ngx_http_cx_score_key(ctx, rd, buf) - buf;

    return ngx_http_cx_query_add(ctx->query, 2, argv, lens);
}


/*
 * the name of a read's hash: of its day, for a day past the range of
 * day - days of the compared period; of its month for a rollup
 */

static u_char *
ngx_http_cx_score_key(ngx_http_cx_score_ctx_t *ctx,
    ngx_http_cx_score_read_t *rd, u_char *key)
{
    u_char                   *p;
    ngx_int_t                 first;
    ngx_str_t                 untagged;
    ngx_uint_t                d;
    ngx_tm_t                  tm;
    ngx_http_cx_key_span_e    span;
    ngx_http_cx_key_shard_t   shard;
    ngx_http_cx_main_conf_t  *cmcf;
    u_char                    day[9];
    u_char                    name[NGX_HTTP_CX_KEY_MAX];
    u_char                    tag[NGX_HTTP_CX_KEY_MAX];

    cmcf = ngx_http_get_module_main_conf(ctx->request, ngx_http_cx_module);

    first = ctx->from;
    d = rd->first;

    if (d >= ctx->days) {
        first = ctx->compare_from;
        d -= ctx->days;
    }

    ngx_gmtime((time_t) (first + d) * 86400, &tm);
    ngx_sprintf(day, "%04d%02d%02d%Z", tm.ngx_tm_year, tm.ngx_tm_mon,
                tm.ngx_tm_mday);

    switch (rd->span) {
    case ngx_http_cx_span_month:
        span = ngx_http_cx_key_of_month;
        break;
    case ngx_http_cx_span_all:
        span = ngx_http_cx_key_of_month_all;
        break;
    case ngx_http_cx_span_day_all:
        span = ngx_http_cx_key_of_day_all;
        break;
    default:
        span = ngx_http_cx_key_of_day;
    }

    p = cmcf->shards ? name : key;

    if (ctx->survey) {
        p = ngx_http_cx_key_span(p, &cmcf->redis_prefix, &ctx->site,
                                 ngx_http_cx_score_survey_keys[rd->key],
                                 &ctx->survey->id, day, span);

    } else {
        p = ngx_http_cx_key_span(p, &cmcf->redis_prefix, &ctx->site,
                                 ngx_http_cx_score_report_keys[rd->key], NULL,
                                 day, span);
    }

    if (cmcf->shards == NULL) {
        return p;
    }

    /* cx_redis_cluster: the name in the read's shard (docs/cluster.md) */

    untagged.data = name;
    untagged.len = p - name;

    if (ngx_http_cx_key_shard(cmcf->shards, &ctx->site, rd->shard, tag,
                              &shard)
        != NGX_OK
        || shard.tag.len + untagged.len > NGX_HTTP_CX_KEY_MAX)
    {
        /* cannot be: names and tags fit (ngx_http_cx_score_args.c) */
        return key;
    }

    return ngx_http_cx_key_tagged(key, &shard, &untagged,
                                  cmcf->redis_prefix.len + 1 + ctx->site.len);
}


static void
ngx_http_cx_score_reply(ngx_http_cx_query_t *q, ngx_uint_t i,
    redisReply *reply)
{
    ngx_http_cx_score_ctx_t *ctx = q->data;

    size_t                     e;
    redisReply                *f, *v;
    ngx_http_cx_score_read_t  *rd;

    if (ctx->report == ngx_http_cx_rep_followups) {
        ngx_http_cx_score_followups_add(ctx, reply);
        return;
    }

    rd = &ctx->reads[i];

    if (rd->skip) {
        return;
    }

    if (rd->span != ngx_http_cx_span_day
        && !ngx_http_cx_score_complete(reply))
    {
        ngx_http_cx_score_fallback(ctx, rd);
        return;
    }

    if (reply->type != REDIS_REPLY_ARRAY) {
        if (!ctx->redis_error) {
            ngx_log_error(NGX_LOG_ERR, ctx->request->connection->log, 0,
                          "cx score: HGETALL failed: %*s",
                          (size_t) (reply->type == REDIS_REPLY_ERROR
                                    ? reply->len : 0), reply->str);
        }

        ctx->redis_error = 1;
        return;
    }

    ctx->read = rd;

    for (e = 0; e + 1 < reply->elements; e += 2) {
        f = reply->element[e];
        v = reply->element[e + 1];

        if (f->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING
            || (f->len == 1 && f->str[0] == '#'))
        {
            continue;
        }

        ctx->field = f;

        if (rd->span == ngx_http_cx_span_all
            || rd->span == ngx_http_cx_span_day_all)
        {
            ngx_http_cx_score_survey_add_all(ctx, rd->first, rd->key, f, v);

        } else if (ctx->survey) {
            ngx_http_cx_score_survey_add(ctx, rd->first, rd->key, f, v);

        } else {
            ngx_http_cx_score_report_add(ctx, rd->first, rd->key, f, v);
        }
    }
}


/*
 * A rollup whose field "#" says it holds every count of its month, and
 * whose values are all counts: one that something else wrote into is
 * not trusted (the days it adds up are read, and their bad fields
 * logged)
 */

static ngx_uint_t
ngx_http_cx_score_complete(redisReply *reply)
{
    size_t       e, i;
    ngx_uint_t   complete;
    redisReply  *f, *v;

    if (reply->type != REDIS_REPLY_ARRAY) {
        return 0;
    }

    complete = 0;

    for (e = 0; e + 1 < reply->elements; e += 2) {
        f = reply->element[e];
        v = reply->element[e + 1];

        if (f->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING
            || v->len == 0)
        {
            return 0;
        }

        if (f->len == 1 && f->str[0] == '#') {
            complete = (v->len == 1 && v->str[0] == '1');
            continue;
        }

        for (i = 0; i < v->len; i++) {
            if (v->str[i] < '0' || v->str[i] > '9') {
                return 0;
            }
        }
    }

    return complete;
}


/*
 * A rollup that is missing, not complete (data written before the
 * rollups, a write that failed) or not a hash: what it adds up is read
 * instead, in the same round trip's wake -- a month's days (the rollups
 * of the days, for a month's that adds up the touchpoints), a day's hash.
 */

static void
ngx_http_cx_score_fallback(ngx_http_cx_score_ctx_t *ctx,
    ngx_http_cx_score_read_t *rd)
{
    ngx_uint_t                d, first, ndays, key, fix, shard;
    ngx_http_cx_score_read_t  *r;
    ngx_http_cx_score_span_e  span;

    shard = rd->shard;
    first = rd->first;
    ndays = rd->ndays;
    key = rd->key;
    fix = rd->fix;

    /* the days that corrected a month's hours are read whole now */

    for (r = rd + 1; rd->based && r < ctx->reads + ctx->nreads; r++) {
        if (r->fix && r->key == key && r->shard == shard
            && r->first >= first && r->first < first + ndays)
        {
            r->skip = 1;
        }
    }
    span = (rd->span == ngx_http_cx_span_all) ? ngx_http_cx_span_day_all
                                              : ngx_http_cx_span_day;

    /* rd may move no more: reads are never reallocated */

    for (d = 0; d < ndays; d++) {
        if (ngx_http_cx_score_read(ctx, first + d, 1, key, span, shard)
            != NGX_OK)
        {
            ctx->redis_error = 1;
            return;
        }

        /* a day that corrects its month's hours still does */

        ctx->reads[ctx->nreads - 1].fix = fix;
        ctx->reads[ctx->nreads - 1].offset = rd->offset;
    }
}


/* called by the query once; the answer goes out from a posted event */

static void
ngx_http_cx_score_done(ngx_http_cx_query_t *q, ngx_int_t rc)
{
    ngx_http_cx_score_ctx_t *ctx = q->data;

    ctx->rc = rc;

    ngx_post_event(&ctx->answer, &ngx_posted_events);
}


static void
ngx_http_cx_score_answer(ngx_event_t *ev)
{
    ngx_http_cx_score_ctx_t *ctx = ev->data;

    ngx_connection_t    *c;
    ngx_http_request_t  *r;

    r = ctx->request;
    c = r->connection;

    ngx_http_set_log_request(c->log, r);

    ngx_http_finalize_request(r, ngx_http_cx_score_respond(r, ctx));
    ngx_http_run_posted_requests(c);
}


/* a request that goes while its answer is posted (it should not) */

static void
ngx_http_cx_score_cleanup(void *data)
{
    ngx_http_cx_score_ctx_t *ctx = data;

    if (ctx->answer.posted) {
        ngx_delete_posted_event(&ctx->answer);
    }
}


static ngx_int_t
ngx_http_cx_score_respond(ngx_http_request_t *r,
    ngx_http_cx_score_ctx_t *ctx)
{
    ngx_str_t                 out;
    ngx_http_cx_json_t        j;
    ngx_http_cx_main_conf_t  *cmcf;

    if (ctx->rc == NGX_HTTP_GATEWAY_TIME_OUT) {
        cmcf = ngx_http_get_module_main_conf(r, ngx_http_cx_module);

        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "cx score: no reply from redis in %Mms "
                      "(cx_redis_timeout)", cmcf->redis_timeout);

        return ngx_http_cx_json_error(r, NGX_HTTP_GATEWAY_TIME_OUT, NULL,
                                      "redis timeout");
    }

    if (ctx->rc == NGX_HTTP_SERVICE_UNAVAILABLE) {
        /* cx_redis_cluster: a slot not served within cx_redis_timeout */
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "cx score: the redis cluster did not serve a read "
                      "(CLUSTERDOWN, TRYAGAIN or no primary) within "
                      "cx_redis_timeout");

        return ngx_http_cx_json_error(r, NGX_HTTP_SERVICE_UNAVAILABLE, NULL,
                                      "redis cluster unavailable");
    }

    if (ctx->rc != NGX_OK) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "cx score: redis connection lost");

        return ngx_http_cx_json_error(r, NGX_HTTP_SERVICE_UNAVAILABLE, NULL,
                                      "redis unavailable");
    }

    if (ctx->redis_error) {
        return ngx_http_cx_json_error(r, NGX_HTTP_BAD_GATEWAY, NULL,
                                      "redis error");
    }

    if (ctx->no_memory) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ctx->csv) {
        return ngx_http_cx_score_followups_csv(ctx);
    }

    if (ngx_http_cx_json_init(&j, r->pool, 1024 + ctx->groups * 512)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ctx->report == ngx_http_cx_rep_followups) {
        ngx_http_cx_score_followups_json(ctx, &j);

    } else if (ctx->survey) {
        ngx_http_cx_score_survey_json(ctx, &j);

    } else {
        ngx_http_cx_score_report_json(ctx, &j);
    }

    if (ngx_http_cx_json_done(&j, &out) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_cx_json_send(r, NGX_HTTP_OK, &out);
}


/* "site", "touchpoint" (when given), "from", "to", "time_zone" (by hour
 * or wday) */

void
ngx_http_cx_score_range(ngx_http_cx_json_t *j, ngx_http_cx_score_ctx_t *ctx)
{
    u_char    buf[sizeof("YYYY-MM-DD")];
    ngx_tm_t  tm;

    ngx_http_cx_json_key(j, "site");
    ngx_http_cx_json_str(j, &ctx->site);

    if (ctx->touchpoint.len) {
        ngx_http_cx_json_key(j, "touchpoint");
        ngx_http_cx_json_str(j, &ctx->touchpoint);
    }

    ngx_gmtime((time_t) ctx->from * 86400, &tm);
    *ngx_sprintf(buf, "%04d-%02d-%02d", tm.ngx_tm_year, tm.ngx_tm_mon,
                 tm.ngx_tm_mday) = '\0';

    ngx_http_cx_json_key(j, "from");
    ngx_http_cx_json_cstr(j, (char *) buf);

    ngx_gmtime((time_t) ctx->to * 86400, &tm);
    *ngx_sprintf(buf, "%04d-%02d-%02d", tm.ngx_tm_year, tm.ngx_tm_mon,
                 tm.ngx_tm_mday) = '\0';

    ngx_http_cx_json_key(j, "to");
    ngx_http_cx_json_cstr(j, (char *) buf);

    ngx_http_cx_score_tz_json(j, ctx);
}


/* a group's name: "day": "YYYY-MM-DD", "hour": "hh", "wday": "mon" */

void
ngx_http_cx_score_group(ngx_http_cx_json_t *j, ngx_http_cx_score_ctx_t *ctx,
    ngx_uint_t g)
{
    u_char    buf[sizeof("YYYY-MM-DD")];
    ngx_tm_t  tm;

    ngx_http_cx_json_key_str(j, &ngx_http_cx_score_by_names[ctx->by]);

    switch (ctx->by) {

    case ngx_http_cx_by_day:
        ngx_gmtime((time_t) (ctx->from + g) * 86400, &tm);
        *ngx_sprintf(buf, "%04d-%02d-%02d", tm.ngx_tm_year, tm.ngx_tm_mon,
                     tm.ngx_tm_mday) = '\0';
        break;

    case ngx_http_cx_by_hour:
        *ngx_sprintf(buf, "%02ui", g) = '\0';
        break;

    default:
        ngx_cpystrn(buf, (u_char *) ngx_http_cx_score_wdays[g], sizeof(buf));
    }

    ngx_http_cx_json_cstr(j, (char *) buf);
}


/*
 * Splits a hash field into exactly n ':'-separated names; anything else
 * (a field the module does not write) is NGX_DECLINED.
 */

ngx_int_t
ngx_http_cx_score_fields(redisReply *f, ngx_str_t *parts, ngx_uint_t n)
{
    u_char      *p, *last, *colon;
    ngx_uint_t   i;

    p = (u_char *) f->str;
    last = p + f->len;

    for (i = 0; i < n; i++) {
        colon = ngx_strlchr(p, last, ':');

        if ((i + 1 < n) != (colon != NULL)) {
            return NGX_DECLINED;
        }

        parts[i].data = p;
        parts[i].len = (colon ? colon : last) - p;

        if (!ngx_http_cx_name_valid(parts[i].data, parts[i].len)) {
            return NGX_DECLINED;
        }

        if (colon) {
            p = colon + 1;
        }
    }

    return NGX_OK;
}


/*
 * A count read back from Redis: digits only.  Past NGX_HTTP_CX_COUNT_MAX
 * it is held there; anything else (negative, not an integer) is bad
 * data, NGX_DECLINED: the field is skipped.  Both are logged.
 */

ngx_int_t
ngx_http_cx_score_count(ngx_http_cx_score_ctx_t *ctx, redisReply *v,
    uint64_t *n)
{
    u_char      *p, *last;
    uint64_t     c;
    ngx_uint_t   held;

    p = (u_char *) v->str;
    last = p + v->len;

    c = 0;
    held = 0;

    for ( /* void */ ; p < last; p++) {
        if (*p < '0' || *p > '9') {
            break;
        }

        /* c is at most 2^53 here: c * 10 + 9 cannot wrap */

        if (!held) {
            c = c * 10 + (*p - '0');
            held = (c > NGX_HTTP_CX_COUNT_MAX);
        }
    }

    if (v->len == 0 || p != last) {
        ngx_http_cx_score_bad(ctx, NULL, v);
        return NGX_DECLINED;
    }

    if (held) {
        ngx_http_cx_score_bad(ctx, "count", NULL);
        c = NGX_HTTP_CX_COUNT_MAX;
    }

    *n = c;

    return NGX_OK;
}


/* *sum += n, held at NGX_HTTP_CX_COUNT_MAX (logged when it gets there) */

void
ngx_http_cx_score_add(ngx_http_cx_score_ctx_t *ctx, uint64_t *sum,
    uint64_t n)
{
    if (n <= NGX_HTTP_CX_COUNT_MAX - *sum) {
        *sum += n;
        return;
    }

    if (*sum != NGX_HTTP_CX_COUNT_MAX && n != NGX_HTTP_CX_COUNT_MAX) {
        ngx_http_cx_score_bad(ctx, "sum", NULL);
    }

    *sum = NGX_HTTP_CX_COUNT_MAX;
}


/*
 * Bad data in a hash, with its key and field, and the value (escaped
 * and cut) when it is not a count: at most one line a second per
 * worker, so that a damaged Redis cannot flood the log; the next line
 * says how many were not logged.
 */

static void
ngx_http_cx_score_bad(ngx_http_cx_score_ctx_t *ctx, const char *what,
    redisReply *v)
{
    u_char      *p, *q, *last, *end, *t;
    ngx_uint_t   more;
    u_char       key[NGX_HTTP_CX_KEY_MAX];
    u_char       value[NGX_HTTP_CX_SCORE_VALUE_LOG * 4 + 3];
    u_char       tail[sizeof(" ( more not logged)") + NGX_INT_T_LEN];

    static time_t      logged;
    static ngx_uint_t  unlogged;

    if (logged == ngx_time()) {
        unlogged++;
        return;
    }

    logged = ngx_time();
    more = unlogged;
    unlogged = 0;

    end = ngx_http_cx_score_key(ctx, ctx->read, key);

    t = more ? ngx_sprintf(tail, " (%ui more not logged)", more) : tail;

    if (v == NULL) {
        ngx_log_error(NGX_LOG_WARN, ctx->request->connection->log, 0,
                      "cx score: a %s past %uL in \"%*s\" field \"%*s\": "
                      "held at %uL%*s", what, NGX_HTTP_CX_COUNT_MAX,
                      (size_t) (end - key), key, ctx->field->len,
                      ctx->field->str, NGX_HTTP_CX_COUNT_MAX,
                      (size_t) (t - tail), tail);
        return;
    }

    q = value;
    last = (u_char *) v->str + ngx_min(v->len, NGX_HTTP_CX_SCORE_VALUE_LOG);

    for (p = (u_char *) v->str; p < last; p++) {
        if (*p < 0x20 || *p >= 0x7f || *p == '"' || *p == '\\') {
            q = ngx_sprintf(q, "\\x%02Xd", (int) *p);

        } else {
            *q++ = *p;
        }
    }

    if (v->len > NGX_HTTP_CX_SCORE_VALUE_LOG) {
        q = ngx_cpymem(q, "...", 3);
    }

    ngx_log_error(NGX_LOG_WARN, ctx->request->connection->log, 0,
                  "cx score: not a count in \"%*s\" field \"%*s\": "
                  "\"%*s\", skipped%*s",
                  (size_t) (end - key), key, ctx->field->len,
                  ctx->field->str, (size_t) (q - value), value,
                  (size_t) (t - tail), tail);
}


/* "00".."23" */

ngx_int_t
ngx_http_cx_score_hour(ngx_str_t *s)
{
    ngx_int_t  h;

    if (s->len != 2) {
        return NGX_ERROR;
    }

    h = ngx_atoi(s->data, 2);

    return (h >= 0 && h <= 23) ? h : NGX_ERROR;
}


ngx_uint_t
ngx_http_cx_score_is(ngx_str_t *s, ngx_str_t *name)
{
    return s->len == name->len
           && ngx_strncmp(s->data, name->data, name->len) == 0;
}
