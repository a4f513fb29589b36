
/*
 * ngx_http_cx_score_followups.c: GET /cx/score?report=followups, the
 * latest follow-ups -- low answers and their comments -- from the capped
 * stream {prefix}:{site}:followup, newest first: those answered in the
 * range (by their "time" field), of one survey and one touchpoint when
 * asked.  One EVAL walks the stream backwards a page at a time inside
 * Redis and keeps what matches, so only the answer crosses the network;
 * it looks at NGX_HTTP_CX_FOLLOWUPS_SCAN entries at most.  The answer's
 * "next" is the cursor of the following page (cursor=, a stream id
 * checked here as any input), null when the range holds no more.
 * format=csv gives the same entries as CSV, "next" in a CX-Next header.
 * With cx_redis_cluster the stream is one per shard: the EVAL runs on
 * each, and their answers are merged by stream id.
 *
 * Entries are written by the flush (ngx_http_cx_counter.c); whatever
 * else is in the stream is passed through the JSON writer as text.
 */


#include "ngx_http_cx_module.h"
#include "ngx_http_cx_csv.h"
#include "ngx_http_cx_embed.h"
#include "ngx_http_cx_keys.h"
#include "ngx_http_cx_query.h"
#include "ngx_http_cx_score.h"
#include "ngx_http_cx_util.h"


#define NGX_HTTP_CX_FOLLOWUPS_SCAN   10000
#define NGX_HTTP_CX_FOLLOWUPS_PAGE   200
#define NGX_HTTP_CX_FOLLOWUPS_SLACK  1         /* days of stream ids */


/* the fields of an entry, in the order they are written out */

typedef enum {
    ngx_http_cx_fu_time = 0,
    ngx_http_cx_fu_survey,
    ngx_http_cx_fu_type,
    ngx_http_cx_fu_touchpoint,
    ngx_http_cx_fu_score,
    ngx_http_cx_fu_comment,
    ngx_http_cx_fu_page,
    ngx_http_cx_fu_variant,                 /* JSON only, when given */
    ngx_http_cx_fu_last
} ngx_http_cx_fu_e;


typedef struct {
    ngx_str_t                    id;
    ngx_str_t                    field[ngx_http_cx_fu_last];
} ngx_http_cx_followup_t;


typedef struct {
    ngx_http_cx_followup_t      *entries;
    ngx_uint_t                   n;
    ngx_str_t                    next;      /* null: the end */

    /* cx_redis_cluster: a stream per shard, their answers merged */
    ngx_uint_t                   shards;
    ngx_str_t                    cut;       /* the newest shard's next */
    unsigned                     merged:1;
} ngx_http_cx_followups_t;


#define NGX_HTTP_CX_FOLLOWUPS_MS_LEN   15     /* digits of a cursor's ms */
#define NGX_HTTP_CX_FOLLOWUPS_SEQ_LEN  19     /* and of its sequence */


static void ngx_http_cx_score_followup(ngx_http_cx_score_ctx_t *ctx,
    ngx_http_cx_followup_t *fu, redisReply *entry);
static ngx_int_t ngx_http_cx_score_followups_copy(ngx_pool_t *pool,
    ngx_str_t *dst, redisReply *src);
static ngx_int_t ngx_http_cx_score_followups_score(ngx_str_t *v);
static ngx_int_t ngx_http_cx_score_followups_shards(
    ngx_http_cx_score_ctx_t *ctx, ngx_http_cx_query_t *q, const char **argv,
    size_t *lens);
static ngx_int_t ngx_http_cx_score_followups_more(
    ngx_http_cx_score_ctx_t *ctx, size_t n);
static void ngx_http_cx_score_followups_merge(ngx_http_cx_score_ctx_t *ctx);
static ngx_int_t ngx_http_cx_score_followups_newer(const void *one,
    const void *two);
static ngx_int_t ngx_http_cx_score_followups_cmp(ngx_str_t *a, ngx_str_t *b);
static void ngx_http_cx_score_followups_ids(ngx_http_cx_score_ctx_t *ctx,
    int64_t *hi, int64_t *lo);
static ngx_int_t ngx_http_cx_score_followups_digits(u_char *p, u_char *last,
    size_t max, uint64_t *n);


static ngx_str_t  ngx_http_cx_followup_fields[] = {
    ngx_string("time"),
    ngx_string("survey"),
    ngx_string("type"),
    ngx_string("touchpoint"),
    ngx_string("score"),
    ngx_string("comment"),
    ngx_string("page"),
    ngx_string("variant")
};


/* lua/redis/followups.lua: KEYS and ARGV are described there */

ngx_http_cx_embed(ngx_http_cx_followups_script, "lua/redis/followups.lua");


/*
 * cursor=: "ms-seq", as "next" gave it -- digits only, at most 15 and 19
 * of them, the milliseconds within the ids the range reads and above
 * "0-0"; NGX_DECLINED (*reason) for anything else
 */

ngx_int_t
ngx_http_cx_score_followups_cursor(ngx_http_cx_score_ctx_t *ctx,
    ngx_str_t *v, const char **reason)
{
    u_char    *dash, *last;
    int64_t    hi, lo;
    uint64_t   ms, seq;

    last = v->data + v->len;
    dash = ngx_strlchr(v->data, last, '-');

    if (dash == NULL
        || ngx_http_cx_score_followups_digits(v->data, dash,
                                              NGX_HTTP_CX_FOLLOWUPS_MS_LEN,
                                              &ms)
           != NGX_OK
        || ngx_http_cx_score_followups_digits(dash + 1, last,
                                              NGX_HTTP_CX_FOLLOWUPS_SEQ_LEN,
                                              &seq)
           != NGX_OK)
    {
        *reason = "not a cursor (the \"next\" of a previous answer)";
        return NGX_DECLINED;
    }

    ngx_http_cx_score_followups_ids(ctx, &hi, &lo);

    if (ms > (uint64_t) hi || ms < (uint64_t) lo || (ms == 0 && seq == 0)) {
        *reason = "a cursor of another range";
        return NGX_DECLINED;
    }

    ctx->cursor = *v;

    return NGX_OK;
}


/* 1 to max digits, nothing else; max <= 19 keeps *n within 64 bits */

static ngx_int_t
ngx_http_cx_score_followups_digits(u_char *p, u_char *last, size_t max,
    uint64_t *n)
{
    if (p == last || (size_t) (last - p) > max) {
        return NGX_ERROR;
    }

    *n = 0;

    for ( /* void */ ; p < last; p++) {
        if (*p < '0' || *p > '9') {
            return NGX_ERROR;
        }

        *n = *n * 10 + (*p - '0');
    }

    return NGX_OK;
}


/*
 * Stream ids are the milliseconds an entry reached Redis: the ids read
 * reach a day beyond the range on both sides (a late flush, clocks that
 * disagree), the answer's own time decides.  hi: the last millisecond
 * of the day after "to".
 */

static void
ngx_http_cx_score_followups_ids(ngx_http_cx_score_ctx_t *ctx, int64_t *hi,
    int64_t *lo)
{
    *hi = (int64_t) (ctx->to + 1 + NGX_HTTP_CX_FOLLOWUPS_SLACK) * 86400000
          - 1;
    *lo = (int64_t) ngx_max(ctx->from - NGX_HTTP_CX_FOLLOWUPS_SLACK, 0)
          * 86400000;
}


ngx_int_t
ngx_http_cx_score_followups_init(ngx_http_cx_score_ctx_t *ctx)
{
    ngx_http_cx_followups_t  *fus;

    fus = ngx_pcalloc(ctx->request->pool, sizeof(ngx_http_cx_followups_t));
    if (fus == NULL) {
        return NGX_ERROR;
    }

    ctx->data = fus;

    return NGX_OK;
}


/*
 * EVAL script 1 {prefix}:{site}:followup hi lo from to+1 count scan page
 *      survey touchpoint; hi is "(cursor" when there is one
 */

ngx_int_t
ngx_http_cx_score_followups_query(ngx_http_cx_score_ctx_t *ctx,
    ngx_http_cx_query_t *q)
{
    u_char                   *p, *buf;
    size_t                    lens[13];
    int64_t                   hi, lo;
    ngx_tm_t                  tm;
    ngx_uint_t                i;
    const char               *argv[13];
    ngx_http_cx_main_conf_t  *cmcf;

    cmcf = ngx_http_get_module_main_conf(ctx->request, ngx_http_cx_module);

    buf = ngx_pnalloc(ctx->request->pool,
                      cmcf->redis_prefix.len + ctx->site.len
                      + sizeof("::followup") + 5 * NGX_INT64_LEN
                      + 2 * sizeof("YYYY-MM-DD") + 1 + ctx->cursor.len);
    if (buf == NULL) {
        return NGX_ERROR;
    }

    argv[0] = "EVAL";
    argv[1] = (const char *) ngx_http_cx_followups_script;
    lens[1] = ngx_http_cx_followups_script_end - ngx_http_cx_followups_script;
    argv[2] = "1";

    p = buf;
    argv[3] = (const char *) p;
    p = ngx_http_cx_key_followup(p, &cmcf->redis_prefix, &ctx->site);

    ngx_http_cx_score_followups_ids(ctx, &hi, &lo);

    argv[4] = (const char *) p;

    if (ctx->cursor.len) {
        p = ngx_sprintf(p, "(%V", &ctx->cursor);

    } else {
        p = ngx_sprintf(p, "%L", hi);
    }

    argv[5] = (const char *) p;
    p = ngx_sprintf(p, "%L", lo);

    ngx_gmtime((time_t) ctx->from * 86400, &tm);
    argv[6] = (const char *) p;
    p = ngx_sprintf(p, "%04d-%02d-%02d", tm.ngx_tm_year, tm.ngx_tm_mon,
                    tm.ngx_tm_mday);

    ngx_gmtime((time_t) (ctx->to + 1) * 86400, &tm);
    argv[7] = (const char *) p;
    p = ngx_sprintf(p, "%04d-%02d-%02d", tm.ngx_tm_year, tm.ngx_tm_mon,
                    tm.ngx_tm_mday);

    argv[8] = (const char *) p;
    p = ngx_sprintf(p, "%ui", ctx->count);
    argv[9] = (const char *) p;
    p = ngx_sprintf(p, "%ui", (ngx_uint_t) NGX_HTTP_CX_FOLLOWUPS_SCAN);
    argv[10] = (const char *) p;
    p = ngx_sprintf(p, "%ui", (ngx_uint_t) NGX_HTTP_CX_FOLLOWUPS_PAGE);

    /* the lengths of what was printed, each up to the next one */

    for (i = 3; i < 10; i++) {
        lens[i] = argv[i + 1] - argv[i];
    }

    lens[10] = p - (u_char *) argv[10];

    argv[11] = ctx->survey ? (const char *) ctx->survey->id.data : "";
    lens[11] = ctx->survey ? ctx->survey->id.len : 0;
    argv[12] = (const char *) ctx->touchpoint.data;
    lens[12] = ctx->touchpoint.len;

    if (argv[12] == NULL) {
        argv[12] = "";
    }

    lens[0] = sizeof("EVAL") - 1;
    lens[2] = 1;

    if (cmcf->shards) {
        return ngx_http_cx_score_followups_shards(ctx, q, argv, lens);
    }

    return ngx_http_cx_query_add(q, 13, argv, lens);
}


/*
 * cx_redis_cluster: the same EVAL on each shard's stream
 * ({prefix:site:s.k}:followup), on its primary; the answers are merged
 * by stream id (ngx_http_cx_score_followups_merge())
 */

static ngx_int_t
ngx_http_cx_score_followups_shards(ngx_http_cx_score_ctx_t *ctx,
    ngx_http_cx_query_t *q, const char **argv, size_t *lens)
{
    ngx_http_cx_followups_t *fus = ctx->data;

    u_char                    *p;
    ngx_str_t                  untagged;
    ngx_uint_t                 s;
    ngx_http_cx_key_shard_t    shard;
    ngx_http_cx_key_shards_t  *shards;
    ngx_http_cx_main_conf_t   *cmcf;
    u_char                     tag[NGX_HTTP_CX_KEY_MAX];
    u_char                     key[NGX_HTTP_CX_KEY_MAX];

    cmcf = ngx_http_get_module_main_conf(ctx->request, ngx_http_cx_module);
    shards = cmcf->shards;

    untagged.data = (u_char *) argv[3];
    untagged.len = lens[3];

    fus->shards = shards->n;

    for (s = 0; s < shards->n; s++) {
        if (ngx_http_cx_key_shard(shards, &ctx->site, s, tag, &shard)
            != NGX_OK
            || shard.tag.len + untagged.len > NGX_HTTP_CX_KEY_MAX)
        {
            return NGX_ERROR;
        }

        p = ngx_http_cx_key_tagged(key, &shard, &untagged,
                                   cmcf->redis_prefix.len + 1
                                   + ctx->site.len);

        argv[3] = (const char *) key;
        lens[3] = p - key;

        /* the query copies the arguments of a cluster's command */

        if (ngx_http_cx_query_send(q, 3, 13, argv, lens) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/* the script's answer: [[[id, [field, value, ...]], ...], next|nil] */

void
ngx_http_cx_score_followups_add(ngx_http_cx_score_ctx_t *ctx,
    redisReply *reply)
{
    ngx_http_cx_followups_t *fus = ctx->data;

    size_t       i;
    redisReply  *e, *next;

    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2
        || reply->element[0]->type != REDIS_REPLY_ARRAY)
    {
        ngx_log_error(NGX_LOG_ERR, ctx->request->connection->log, 0,
                      "cx score: reading the follow-ups failed: %*s",
                      (size_t) (reply->type == REDIS_REPLY_ERROR
                                ? reply->len : 0), reply->str);

        ctx->redis_error = 1;
        return;
    }

    next = reply->element[1];

    if (next->type == REDIS_REPLY_STRING) {
        if (ngx_http_cx_score_followups_copy(ctx->request->pool, &fus->next,
                                             next)
            != NGX_OK)
        {
            ctx->no_memory = 1;
            return;
        }

        /* a cluster's shards: the newest point one of them stopped at */

        if (fus->shards
            && (fus->cut.data == NULL
                || ngx_http_cx_score_followups_cmp(&fus->next, &fus->cut)
                   > 0))
        {
            fus->cut = fus->next;
        }
    }

    reply = reply->element[0];

    if (reply->elements == 0) {
        return;
    }

    if (ngx_http_cx_score_followups_more(ctx, reply->elements) != NGX_OK) {
        ctx->no_memory = 1;
        return;
    }

    for (i = 0; i < reply->elements && !ctx->no_memory; i++) {
        e = reply->element[i];

        if (e->type != REDIS_REPLY_ARRAY || e->elements != 2
            || e->element[0]->type != REDIS_REPLY_STRING
            || e->element[1]->type != REDIS_REPLY_ARRAY)
        {
            continue;
        }

        ngx_http_cx_score_followup(ctx, &fus->entries[fus->n++], e);
    }
}


/* room for n more entries (a cluster's shards answer one by one) */

static ngx_int_t
ngx_http_cx_score_followups_more(ngx_http_cx_score_ctx_t *ctx, size_t n)
{
    ngx_http_cx_followups_t *fus = ctx->data;

    ngx_http_cx_followup_t  *entries;

    entries = ngx_pcalloc(ctx->request->pool,
                          (fus->n + n) * sizeof(ngx_http_cx_followup_t));
    if (entries == NULL) {
        return NGX_ERROR;
    }

    if (fus->n) {
        ngx_memcpy(entries, fus->entries,
                   fus->n * sizeof(ngx_http_cx_followup_t));
    }

    fus->entries = entries;

    return NGX_OK;
}


/*
 * cx_redis_cluster: the shards' entries, newest first.  Every entry at
 * or above the newest point a shard stopped at (its "next") was seen:
 * older ones are left to the next page, which starts there; of those,
 * the newest "count" are kept, and a page never ends between two
 * entries of one id (two shards' streams can give the same id): it
 * ends before them, or, when they fill it, after them all.
 */

static void
ngx_http_cx_score_followups_merge(ngx_http_cx_score_ctx_t *ctx)
{
    ngx_http_cx_followups_t *fus = ctx->data;

    ngx_uint_t               n, k, all;
    ngx_http_cx_followup_t  *e;

    if (fus->shards == 0 || fus->merged) {
        return;
    }

    fus->merged = 1;

    e = fus->entries;
    n = fus->n;

    if (n > 1) {
        ngx_sort(e, n, sizeof(ngx_http_cx_followup_t),
                 ngx_http_cx_score_followups_newer);
    }

    if (fus->cut.data) {
        while (n && ngx_http_cx_score_followups_cmp(&e[n - 1].id, &fus->cut)
                    < 0)
        {
            n--;
        }
    }

    fus->next = fus->cut;

    if (n > ctx->count) {
        all = n;
        n = ctx->count;

        for (k = n;
             k && ngx_http_cx_score_followups_cmp(&e[k - 1].id, &e[k].id)
                  == 0;
             k--)
        {
            /* void */
        }

        if (k) {
            n = k;

        } else {
            /* one id fills the page: all of its entries go in it */

            while (n < all
                   && ngx_http_cx_score_followups_cmp(&e[n - 1].id,
                                                      &e[n].id)
                      == 0)
            {
                n++;
            }
        }

        fus->next = e[n - 1].id;
    }

    fus->n = n;
}


static ngx_int_t
ngx_http_cx_score_followups_newer(const void *one, const void *two)
{
    ngx_http_cx_followup_t  *a, *b;

    a = (ngx_http_cx_followup_t *) one;
    b = (ngx_http_cx_followup_t *) two;

    return ngx_http_cx_score_followups_cmp(&b->id, &a->id);
}


/* stream ids "ms-seq" compared as numbers (Redis writes no leading 0) */

static ngx_int_t
ngx_http_cx_score_followups_cmp(ngx_str_t *a, ngx_str_t *b)
{
    u_char     *da, *db;
    size_t      la, lb;
    ngx_int_t   rc;

    da = ngx_strlchr(a->data, a->data + a->len, '-');
    db = ngx_strlchr(b->data, b->data + b->len, '-');

    la = da ? (size_t) (da - a->data) : a->len;
    lb = db ? (size_t) (db - b->data) : b->len;

    if (la != lb) {
        return (la < lb) ? -1 : 1;
    }

    rc = ngx_memcmp(a->data, b->data, la);
    if (rc != 0) {
        return rc;
    }

    la = a->len - la;
    lb = b->len - lb;

    if (la != lb) {
        return (la < lb) ? -1 : 1;
    }

    return ngx_memcmp(a->data + a->len - la, b->data + b->len - lb, la);
}


/* copies the entry's id and the fields the module writes */

static void
ngx_http_cx_score_followup(ngx_http_cx_score_ctx_t *ctx,
    ngx_http_cx_followup_t *fu, redisReply *entry)
{
    size_t       e;
    ngx_str_t    name;
    ngx_uint_t   k;
    ngx_pool_t  *pool;
    redisReply  *fields, *f, *v;

    pool = ctx->request->pool;

    if (ngx_http_cx_score_followups_copy(pool, &fu->id, entry->element[0])
        != NGX_OK)
    {
        ctx->no_memory = 1;
        return;
    }

    fields = entry->element[1];

    for (e = 0; e + 1 < fields->elements; e += 2) {
        f = fields->element[e];
        v = fields->element[e + 1];

        if (f->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING) {
            continue;
        }

        name.data = (u_char *) f->str;
        name.len = f->len;

        for (k = 0; k < ngx_http_cx_fu_last; k++) {
            if (ngx_http_cx_score_is(&name, &ngx_http_cx_followup_fields[k]))
            {
                break;
            }
        }

        if (k == ngx_http_cx_fu_last || fu->field[k].data) {
            continue;
        }

        if (ngx_http_cx_score_followups_copy(pool, &fu->field[k], v)
            != NGX_OK)
        {
            ctx->no_memory = 1;
            return;
        }
    }
}


static ngx_int_t
ngx_http_cx_score_followups_copy(ngx_pool_t *pool, ngx_str_t *dst,
    redisReply *src)
{
    /* an empty string is kept apart from a missing one */

    dst->data = ngx_pnalloc(pool, src->len + 1);
    if (dst->data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(dst->data, src->str, src->len);
    dst->len = src->len;

    return NGX_OK;
}


/* a score: a number of at most 2 digits, NGX_ERROR for anything else */

static ngx_int_t
ngx_http_cx_score_followups_score(ngx_str_t *v)
{
    if (v->len > 2) {
        return NGX_ERROR;
    }

    return ngx_atoi(v->data, v->len);
}


/*
 * {"report":"followups",["survey":..,]"site":..,["touchpoint":..,]
 *  "from":..,"to":..,"followups":[{"id":..,"time":..,
 *  "survey":..,"type":..,"touchpoint":..,"score":3,"comment":..,
 *  "page":..}, ...],"next":..}: a field the entry lacks is null; "next"
 *  is the cursor of the following page, null at the end.
 */

void
ngx_http_cx_score_followups_json(ngx_http_cx_score_ctx_t *ctx,
    ngx_http_cx_json_t *j)
{
    ngx_http_cx_followups_t *fus = ctx->data;

    ngx_int_t                score;
    ngx_str_t               *v;
    ngx_uint_t               i, k;
    ngx_http_cx_followup_t  *fu;

    ngx_http_cx_score_followups_merge(ctx);

    ngx_http_cx_json_object(j);

    ngx_http_cx_json_key(j, "report");
    ngx_http_cx_json_cstr(j, "followups");

    if (ctx->survey) {
        ngx_http_cx_json_key(j, "survey");
        ngx_http_cx_json_str(j, &ctx->survey->id);
    }

    ngx_http_cx_score_range(j, ctx);

    ngx_http_cx_json_key(j, "followups");
    ngx_http_cx_json_array(j);

    for (i = 0; i < fus->n; i++) {
        fu = &fus->entries[i];

        ngx_http_cx_json_object(j);

        ngx_http_cx_json_key(j, "id");
        ngx_http_cx_json_str(j, &fu->id);

        for (k = 0; k < ngx_http_cx_fu_last; k++) {
            v = &fu->field[k];

            if (k == ngx_http_cx_fu_variant && v->data == NULL) {
                continue;
            }

            ngx_http_cx_json_key_str(j, &ngx_http_cx_followup_fields[k]);

            if (v->data == NULL) {
                ngx_http_cx_json_null(j);
                continue;
            }

            if (k != ngx_http_cx_fu_score) {
                ngx_http_cx_json_str(j, v);
                continue;
            }

            score = ngx_http_cx_score_followups_score(v);

            if (score == NGX_ERROR) {
                ngx_http_cx_json_null(j);

            } else {
                ngx_http_cx_json_int(j, score);
            }
        }

        ngx_http_cx_json_end(j);
    }

    ngx_http_cx_json_end(j);

    ngx_http_cx_json_key(j, "next");

    if (fus->next.data) {
        ngx_http_cx_json_str(j, &fus->next);

    } else {
        ngx_http_cx_json_null(j);
    }

    ngx_http_cx_json_end(j);
}


/*
 * format=csv: a header row (the JSON's names), then a row per entry in
 * the same order, a missing field an empty cell; the cursor of the
 * following page, when there is one, in the CX-Next header.  Saved as
 * followups-{site}-{from}-{to}.csv.
 */

ngx_int_t
ngx_http_cx_score_followups_csv(ngx_http_cx_score_ctx_t *ctx)
{
    ngx_http_cx_followups_t *fus = ctx->data;

    u_char                  *p;
    ngx_tm_t                 tm;
    ngx_str_t                name, *v;
    ngx_uint_t               i, k;
    ngx_http_cx_csv_t        csv;
    ngx_http_request_t      *r;
    ngx_http_cx_followup_t  *fu;

    r = ctx->request;

    ngx_http_cx_score_followups_merge(ctx);

    if (ngx_http_cx_csv_init(&csv, r->pool, 256 + fus->n * 512) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_cx_csv_cstr(&csv, "id");

    /* the columns of every entry: not the variant */

    for (k = 0; k < ngx_http_cx_fu_variant; k++) {
        ngx_http_cx_csv_cell(&csv, &ngx_http_cx_followup_fields[k]);
    }

    ngx_http_cx_csv_row(&csv);

    for (i = 0; i < fus->n; i++) {
        fu = &fus->entries[i];

        ngx_http_cx_csv_cell(&csv, &fu->id);

        for (k = 0; k < ngx_http_cx_fu_variant; k++) {
            v = &fu->field[k];

            if (v->data == NULL
                || (k == ngx_http_cx_fu_score
                    && ngx_http_cx_score_followups_score(v) == NGX_ERROR))
            {
                v = NULL;
            }

            ngx_http_cx_csv_cell(&csv, v);
        }

        ngx_http_cx_csv_row(&csv);
    }

    if (fus->next.data
        && ngx_http_cx_header_add(&r->headers_out.headers, "CX-Next",
                                  &fus->next)
           == NULL)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    name.data = ngx_pnalloc(r->pool, sizeof("followups----.csv") - 1
                                     + ctx->site.len
                                     + 2 * sizeof("YYYY-MM-DD"));
    if (name.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_gmtime((time_t) ctx->from * 86400, &tm);
    p = ngx_sprintf(name.data, "followups-%V-%04d-%02d-%02d", &ctx->site,
                    tm.ngx_tm_year, tm.ngx_tm_mon, tm.ngx_tm_mday);

    ngx_gmtime((time_t) ctx->to * 86400, &tm);
    p = ngx_sprintf(p, "-%04d-%02d-%02d.csv", tm.ngx_tm_year,
                    tm.ngx_tm_mon, tm.ngx_tm_mday);

    name.len = p - name.data;

    return ngx_http_cx_csv_send(r, &csv, &name);
}
