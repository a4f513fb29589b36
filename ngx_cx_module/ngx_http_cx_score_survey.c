
/*
 * ngx_http_cx_score_survey.c: a survey's answers for GET /cx/score --
 * its score histograms (sc, by hour sch) and events (sv, svh) added up
 * per range and per group (day, touchpoint, hour, wday) as Redis'
 * replies arrive, then written out with their scores
 * (ngx_http_cx_score_math.c): the whole range, and the groups; by
 * touchpoint, the pain map.  With a compared period, its days are read
 * after the range's and added up apart, and each score is compared with
 * its counterpart there; a touchpoint is also compared with the rest,
 * a question variant with the first variant.
 */


#include "ngx_http_cx_module.h"
#include "ngx_http_cx_events.h"
#include "ngx_http_cx_score_math.h"
#include "ngx_http_cx_score.h"
#include "ngx_http_cx_survey.h"
#include "ngx_http_cx_token.h"


/* the question variants a response lists, at most */
#define NGX_HTTP_CX_SCORE_VARIANTS_MAX  100


/* the survey events that rates are made of: triggered to answered */

typedef struct {
    uint64_t                     hist[NGX_HTTP_CX_SCALE_MAX];
    uint64_t                     events[ngx_http_cx_event_custom];
} ngx_http_cx_score_agg_t;


/* a touchpoint's, or (by=variant) a question variant's */

typedef struct {
    ngx_str_node_t               sn;        /* the name */
    ngx_http_cx_score_agg_t      agg;
    ngx_http_cx_score_agg_t      compared;  /* in the compared period */
} ngx_http_cx_score_tp_t;


typedef struct {
    ngx_int_t                    threshold; /* of low scores */
    ngx_http_cx_score_agg_t      total;
    ngx_http_cx_score_agg_t     *groups;    /* by day, hour or wday */
    ngx_http_cx_score_agg_t      compare_total;
    ngx_http_cx_score_agg_t     *compare_groups;
    ngx_rbtree_t                 touchpoints;
    ngx_rbtree_node_t            sentinel;
    ngx_rbtree_t                 variants;  /* by=variant */
    ngx_rbtree_node_t            vsentinel;
    ngx_uint_t                   nvariants;
    ngx_str_t                    variant;   /* of the field being added */
} ngx_http_cx_score_data_t;


/* a touchpoint with its scores, for the pain map */

typedef struct {
    ngx_http_cx_score_tp_t      *tp;
    ngx_http_cx_score_t          score;
    ngx_http_cx_score_t          rest;      /* every other touchpoint */
    ngx_http_cx_compare_t        vs_rest;
    ngx_uint_t                   worse;     /* significantly, than the rest */
} ngx_http_cx_score_pain_t;


static void ngx_http_cx_score_survey_count(ngx_http_cx_score_ctx_t *ctx,
    ngx_uint_t day, ngx_uint_t key, ngx_str_t *tpname, ngx_str_t *what,
    ngx_str_t *hh, redisReply *v);
static ngx_int_t ngx_http_cx_score_variant_of(ngx_http_cx_score_ctx_t *ctx,
    redisReply **f, redisReply *plain);
static ngx_http_cx_score_tp_t *ngx_http_cx_score_tp(
    ngx_http_cx_score_ctx_t *ctx, ngx_rbtree_t *tree, ngx_str_t *name);
static void ngx_http_cx_score_variants(ngx_http_cx_score_ctx_t *ctx,
    ngx_http_cx_json_t *j);
static int ngx_libc_cdecl ngx_http_cx_score_variant_cmp(const void *one,
    const void *two);
static void ngx_http_cx_score_pain(ngx_http_cx_score_ctx_t *ctx,
    ngx_http_cx_json_t *j, ngx_http_cx_score_t *total);
static int ngx_libc_cdecl ngx_http_cx_score_pain_cmp(const void *one,
    const void *two);
static void ngx_http_cx_score_block(ngx_http_cx_score_ctx_t *ctx,
    ngx_http_cx_json_t *j, ngx_http_cx_score_agg_t *agg,
    ngx_http_cx_score_t *s);
static void ngx_http_cx_score_pct(ngx_http_cx_json_t *j, uint64_t part,
    uint64_t whole);
static void ngx_http_cx_score_compare(ngx_http_cx_score_ctx_t *ctx,
    ngx_http_cx_json_t *j, ngx_int_t from, ngx_int_t to,
    ngx_http_cx_score_t *a, ngx_http_cx_score_t *b);
static void ngx_http_cx_score_compare_fields(ngx_http_cx_score_ctx_t *ctx,
    ngx_http_cx_json_t *j, ngx_http_cx_score_t *a, ngx_http_cx_score_t *b);
static void ngx_http_cx_score_sample(ngx_http_cx_score_ctx_t *ctx,
    ngx_http_cx_json_t *j, ngx_http_cx_score_t *s,
    ngx_http_cx_score_t *compared);
static void ngx_http_cx_score_low_rate(ngx_http_cx_json_t *j,
    ngx_http_cx_score_t *s);
static void ngx_http_cx_score_num(ngx_http_cx_json_t *j, ngx_uint_t has,
    double v, ngx_uint_t decimals);
static void ngx_http_cx_score_interval(ngx_http_cx_json_t *j,
    ngx_uint_t has, double lo, double hi, ngx_uint_t decimals);
static void ngx_http_cx_score_day_json(ngx_http_cx_json_t *j,
    const char *key, ngx_int_t day);


ngx_int_t
ngx_http_cx_score_survey_init(ngx_http_cx_score_ctx_t *ctx)
{
    ngx_uint_t                 n;
    ngx_pool_t                *pool;
    ngx_http_cx_main_conf_t   *cmcf;
    ngx_http_cx_score_data_t  *data;

    pool = ctx->request->pool;

    data = ngx_pcalloc(pool, sizeof(ngx_http_cx_score_data_t));
    if (data == NULL) {
        return NGX_ERROR;
    }

    if (ctx->groups) {
        data->groups = ngx_pcalloc(pool, ctx->groups
                                         * sizeof(ngx_http_cx_score_agg_t));
        if (data->groups == NULL) {
            return NGX_ERROR;
        }
    }

    /* by day, the compared period's days, which may be more or fewer */

    if (ctx->groups && ctx->compare_days) {
        n = (ctx->by == ngx_http_cx_by_day) ? ctx->compare_days : ctx->groups;

        data->compare_groups = ngx_pcalloc(pool,
                                       n * sizeof(ngx_http_cx_score_agg_t));
        if (data->compare_groups == NULL) {
            return NGX_ERROR;
        }
    }

    ngx_rbtree_init(&data->touchpoints, &data->sentinel,
                    ngx_str_rbtree_insert_value);
    ngx_rbtree_init(&data->variants, &data->vsentinel,
                    ngx_str_rbtree_insert_value);

    /* "low" answers are those followed up: cx_followup_threshold */

    cmcf = ngx_http_get_module_main_conf(ctx->request, ngx_http_cx_module);
    data->threshold = ngx_http_cx_followup_threshold(cmcf,
                                                     ctx->survey->type);

    ctx->data = data;

    return NGX_OK;
}


/*
 * A survey hash field: "tp:score" (sc), "tp:event" (sv), and by hour
 * "tp:score:hh" (sch), "tp:event:hh" (svh).  The daily ones make the
 * totals, and the groups by day, wday and touchpoint; the hourly ones
 * only the groups by hour.  Fields the module does not write are skipped.
 * Days past the range are the compared period's.  In a time zone
 * (ngx_http_cx_score_tz.c), the hourly ones make the groups by wday too.
 * A question variant's fields end with "@variant" (sc and sv only):
 * by=variant reads them.
 */

void
ngx_http_cx_score_survey_add(ngx_http_cx_score_ctx_t *ctx, ngx_uint_t day,
    ngx_uint_t key, redisReply *f, redisReply *v)
{
    ngx_str_t   part[3];
    ngx_uint_t  hourly;
    redisReply  plain;

    if (ngx_http_cx_score_variant_of(ctx, &f, &plain) != NGX_OK) {
        return;
    }

    hourly = (key == ngx_http_cx_key_sch || key == ngx_http_cx_key_svh);

    if (ngx_http_cx_score_fields(f, part, hourly ? 3 : 2) != NGX_OK
        || (ctx->touchpoint.len
            && !ngx_http_cx_score_is(&part[0], &ctx->touchpoint)))
    {
        return;
    }

    ngx_http_cx_score_survey_count(ctx, day, key, &part[0], &part[1],
                                   hourly ? &part[2] : NULL, v);
}


/*
 * A field of a rollup that adds up the touchpoints (read without
 * touchpoint= only): of a month, "DD:score" (sc), "DD:event" (sv) of
 * its day DD, the month's first day at index "first"; of a day, "score",
 * "event"; of either, "score:hh" (sch), "event:hh" (svh).
 */

void
ngx_http_cx_score_survey_add_all(ngx_http_cx_score_ctx_t *ctx,
    ngx_uint_t first, ngx_uint_t key, redisReply *f, redisReply *v)
{
    ngx_int_t   dd;
    ngx_str_t   part[2];
    redisReply  plain;

    if (ngx_http_cx_score_variant_of(ctx, &f, &plain) != NGX_OK) {
        return;
    }

    if (key == ngx_http_cx_key_sch || key == ngx_http_cx_key_svh) {
        if (ngx_http_cx_score_fields(f, part, 2) == NGX_OK) {
            ngx_http_cx_score_survey_count(ctx, first, key, NULL, &part[0],
                                           &part[1], v);
        }

        return;
    }

    if (ctx->read->span == ngx_http_cx_span_day_all) {
        if (ngx_http_cx_score_fields(f, part, 1) == NGX_OK) {
            ngx_http_cx_score_survey_count(ctx, first, key, NULL, &part[0],
                                           NULL, v);
        }

        return;
    }

    if (ngx_http_cx_score_fields(f, part, 2) != NGX_OK) {
        return;
    }

    dd = (part[0].len == 2) ? ngx_atoi(part[0].data, 2) : NGX_ERROR;

    if (dd < 1 || (ngx_uint_t) dd > ctx->read->ndays) {
        return;
    }

    ngx_http_cx_score_survey_count(ctx, first + dd - 1, key, NULL, &part[1],
                                   NULL, v);
}


/*
 * A field "...@variant": with by=variant, *f becomes the field without
 * "@variant" (in plain) and data->variant names the variant; a field
 * without one leaves data->variant empty.  NGX_DECLINED: skip the field
 * (a variant's without by=variant, or one the module does not write).
 */

static ngx_int_t
ngx_http_cx_score_variant_of(ngx_http_cx_score_ctx_t *ctx, redisReply **f,
    redisReply *plain)
{
    u_char                    *at;
    ngx_http_cx_score_data_t  *data;

    data = ctx->data;
    ngx_str_null(&data->variant);

    at = ngx_strlchr((u_char *) (*f)->str, (u_char *) (*f)->str + (*f)->len,
                     '@');

    if (at == NULL) {
        return NGX_OK;
    }

    if (ctx->by != ngx_http_cx_by_variant) {
        return NGX_DECLINED;
    }

    data->variant.data = at + 1;
    data->variant.len = (u_char *) (*f)->str + (*f)->len - (at + 1);

    if (!ngx_http_cx_variant_valid(data->variant.data, data->variant.len)) {
        ngx_str_null(&data->variant);
        return NGX_DECLINED;
    }

    *plain = **f;
    plain->len = at - (u_char *) (*f)->str;
    *f = plain;

    return NGX_OK;
}


/*
 * Adds up count v of a score or an event ("what") of touchpoint tp
 * (NULL: of all), of day "day" of the range or, past it, of the compared
 * period; hh: of that hour.
 */

static void
ngx_http_cx_score_survey_count(ngx_http_cx_score_ctx_t *ctx, ngx_uint_t day,
    ngx_uint_t key, ngx_str_t *tpname, ngx_str_t *what, ngx_str_t *hh,
    redisReply *v)
{
    uint64_t                    c;
    ngx_int_t                   score, hour, first, g, undo;
    ngx_uint_t                  e, i, n, compared;
    ngx_http_cx_score_tp_t     *tp;
    ngx_http_cx_score_agg_t    *agg[2], *total, *groups;
    ngx_http_cx_score_data_t   *data;
    ngx_http_cx_survey_type_t  *type;

    data = ctx->data;
    type = ctx->survey->type;

    if (ngx_http_cx_score_count(ctx, v, &c) != NGX_OK) {
        return;
    }

    score = NGX_ERROR;
    e = 0;

    if (key == ngx_http_cx_key_sc || key == ngx_http_cx_key_sch) {
        score = ngx_atoi(what->data, what->len);

        if (score < type->min || score > type->max) {
            return;
        }

    } else {
        e = ngx_http_cx_event_find(what);

        if (e == ngx_http_cx_event_view || e == ngx_http_cx_event_custom) {
            return;
        }
    }

    compared = (day >= ctx->days);

    if (compared) {
        day -= ctx->days;
        first = ctx->compare_from;
        total = &data->compare_total;
        groups = data->compare_groups;

    } else {
        first = ctx->from;
        total = &data->total;
        groups = data->groups;
    }

    n = 0;

    if (data->variant.len) {

        /* a question variant's: only its own, the total has it already */

        if (hh) {
            return;
        }

        tp = ngx_http_cx_score_tp(ctx, &data->variants, &data->variant);
        if (tp == NULL) {
            return;
        }

        agg[n++] = compared ? &tp->compared : &tp->agg;

    } else if (hh) {
        hour = ngx_http_cx_score_hour(hh);
        if (hour == NGX_ERROR) {
            return;
        }

        /* the local hour or weekday: ngx_http_cx_score_tz.c */

        g = ngx_http_cx_score_tz_group(ctx, first + day, hour, &undo);
        if (g == NGX_DECLINED) {
            return;
        }

        agg[n++] = &groups[g];

        if (undo != NGX_DECLINED) {
            if (score != NGX_ERROR) {
                ngx_http_cx_score_tz_undo(&groups[undo].hist[score
                                                             - type->min], c);

            } else {
                ngx_http_cx_score_tz_undo(&groups[undo].events[e], c);
            }
        }

    } else {
        agg[n++] = total;

        switch (ctx->by) {

        case ngx_http_cx_by_day:
            agg[n++] = &groups[day];
            break;

        case ngx_http_cx_by_wday:
            if (ctx->tz.hourly) {
                break;          /* in a zone: from the hourly counters */
            }

            /* 1970-01-01 was a Thursday */
            agg[n++] = &groups[(first + day + 3) % 7];
            break;

        case ngx_http_cx_by_touchpoint:
            if (tpname == NULL) {
                break;
            }

            tp = ngx_http_cx_score_tp(ctx, &data->touchpoints, tpname);
            if (tp == NULL) {
                return;
            }

            agg[n++] = compared ? &tp->compared : &tp->agg;
            break;

        default:
            break;
        }
    }

    for (i = 0; i < n; i++) {
        if (score != NGX_ERROR) {
            ngx_http_cx_score_add(ctx, &agg[i]->hist[score - type->min], c);

        } else {
            ngx_http_cx_score_add(ctx, &agg[i]->events[e], c);
        }
    }
}


/*
 * The touchpoint or variant "name" of a tree, made when first seen; NULL
 * without memory (ctx->no_memory), or past NGX_HTTP_CX_SCORE_VARIANTS_MAX
 * variants (the others are left out).
 */

static ngx_http_cx_score_tp_t *
ngx_http_cx_score_tp(ngx_http_cx_score_ctx_t *ctx, ngx_rbtree_t *tree,
    ngx_str_t *name)
{
    uint32_t                   hash;
    ngx_str_node_t            *sn;
    ngx_http_cx_score_tp_t    *tp;
    ngx_http_cx_score_data_t  *data;

    data = ctx->data;
    hash = ngx_crc32_short(name->data, name->len);

    sn = ngx_str_rbtree_lookup(tree, name, hash);

    if (sn) {
        return (ngx_http_cx_score_tp_t *) sn;
    }

    if (tree == &data->variants) {
        if (data->nvariants == NGX_HTTP_CX_SCORE_VARIANTS_MAX) {
            return NULL;
        }

        data->nvariants++;
    }

    tp = ngx_pcalloc(ctx->request->pool,
                     sizeof(ngx_http_cx_score_tp_t) + name->len);
    if (tp == NULL) {
        ctx->no_memory = 1;
        return NULL;
    }

    tp->sn.node.key = hash;
    tp->sn.str.len = name->len;
    tp->sn.str.data = (u_char *) (tp + 1);
    ngx_memcpy(tp->sn.str.data, name->data, name->len);

    ngx_rbtree_insert(tree, &tp->sn.node);

    return tp;
}


void
ngx_http_cx_score_survey_json(ngx_http_cx_score_ctx_t *ctx,
    ngx_http_cx_json_t *j)
{
    ngx_int_t                   day;
    ngx_uint_t                  g;
    ngx_http_cx_score_t         s, gs, cs;
    ngx_http_cx_score_data_t   *data;
    ngx_http_cx_survey_type_t  *type;

    data = ctx->data;
    type = ctx->survey->type;

    ngx_http_cx_json_object(j);

    ngx_http_cx_json_key(j, "survey");
    ngx_http_cx_json_str(j, &ctx->survey->id);
    ngx_http_cx_json_key(j, "type");
    ngx_http_cx_json_str(j, &type->name);

    ngx_http_cx_score_range(j, ctx);

    ngx_http_cx_scoring(type, data->threshold,
                        data->total.hist, &s);

    ngx_http_cx_score_block(ctx, j, &data->total, &s);

    if (ctx->compare_days) {
        ngx_http_cx_scoring(type, data->threshold, data->compare_total.hist,
                            &cs);

        ngx_http_cx_json_key(j, "compare");
        ngx_http_cx_score_compare(ctx, j, ctx->compare_from, ctx->compare_to,
                                  &s, &cs);
    }

    ngx_http_cx_score_sample(ctx, j, &s, ctx->compare_days ? &cs : NULL);

    if (ctx->by != ngx_http_cx_by_none) {
        ngx_http_cx_json_key(j, "by");
        ngx_http_cx_json_str(j, &ngx_http_cx_score_by_names[ctx->by]);

        ngx_http_cx_json_key(j, "groups");
        ngx_http_cx_json_array(j);

        if (ctx->by == ngx_http_cx_by_touchpoint) {
            ngx_http_cx_score_pain(ctx, j, &s);

        } else if (ctx->by == ngx_http_cx_by_variant) {
            ngx_http_cx_score_variants(ctx, j);
        }

        for (g = 0; g < ctx->groups; g++) {
            ngx_http_cx_scoring(type,
                                data->threshold,
                                data->groups[g].hist, &gs);

            ngx_http_cx_json_object(j);
            ngx_http_cx_score_group(j, ctx, g);
            ngx_http_cx_score_block(ctx, j, &data->groups[g], &gs);

            /* by day, the day as far into the compared period (if any) */

            if (ctx->compare_days) {
                ngx_http_cx_json_key(j, "compare");

                if (ctx->by == ngx_http_cx_by_day && g >= ctx->compare_days) {
                    ngx_http_cx_json_null(j);

                } else {
                    ngx_http_cx_scoring(type, data->threshold,
                                        data->compare_groups[g].hist, &cs);

                    day = ctx->compare_from + g;

                    if (ctx->by == ngx_http_cx_by_day) {
                        ngx_http_cx_score_compare(ctx, j, day, day, &gs, &cs);

                    } else {
                        ngx_http_cx_score_compare(ctx, j, ctx->compare_from,
                                                  ctx->compare_to, &gs, &cs);
                    }
                }
            }

            ngx_http_cx_json_end(j);
        }

        ngx_http_cx_json_end(j);
    }

    ngx_http_cx_json_end(j);
}


/*
 * The pain map: the touchpoints whose score is significantly worse than
 * the rest's first, then by their share of all low scores (NPS
 * detractors: the weight), then by answers, then by name.  Touchpoints
 * seen only in the compared period are left out.
 */

static void
ngx_http_cx_score_pain(ngx_http_cx_score_ctx_t *ctx, ngx_http_cx_json_t *j,
    ngx_http_cx_score_t *total)
{
    ngx_uint_t                  i, n;
    ngx_rbtree_t               *tree;
    ngx_rbtree_node_t          *node;
    ngx_http_cx_score_t         low, cs;
    ngx_http_cx_score_tp_t     *tp;
    ngx_http_cx_score_pain_t   *rows;
    ngx_http_cx_score_data_t   *data;
    ngx_http_cx_survey_type_t  *type;

    static ngx_http_cx_score_agg_t  none;

    data = ctx->data;
    tree = &data->touchpoints;
    type = ctx->survey->type;

    if (tree->root == tree->sentinel) {
        return;
    }

    n = 0;

    for (node = ngx_rbtree_min(tree->root, tree->sentinel);
         node;
         node = ngx_rbtree_next(tree, node))
    {
        n++;
    }

    rows = ngx_palloc(ctx->request->pool,
                      n * sizeof(ngx_http_cx_score_pain_t));
    if (rows == NULL) {
        j->out.error = 1;
        return;
    }

    i = 0;

    for (node = ngx_rbtree_min(tree->root, tree->sentinel);
         node;
         node = ngx_rbtree_next(tree, node))
    {
        tp = (ngx_http_cx_score_tp_t *) node;

        if (ngx_memcmp(&tp->agg, &none, sizeof(ngx_http_cx_score_agg_t))
            == 0)
        {
            continue;
        }

        rows[i].tp = tp;
        ngx_http_cx_scoring(type, data->threshold, tp->agg.hist,
                            &rows[i].score);
        ngx_http_cx_rest(type, data->threshold, data->total.hist,
                         tp->agg.hist, &rows[i].rest);
        ngx_http_cx_compare(ngx_http_cx_scoring_kind(type), &rows[i].score,
                            &rows[i].rest, &rows[i].vs_rest);

        rows[i].worse = rows[i].vs_rest.significant
                        && rows[i].vs_rest.diff < 0;
        i++;
    }

    n = i;

    ngx_qsort(rows, n, sizeof(ngx_http_cx_score_pain_t),
              ngx_http_cx_score_pain_cmp);

    for (i = 0; i < n; i++) {
        tp = rows[i].tp;

        ngx_http_cx_json_object(j);

        ngx_http_cx_json_key(j, "touchpoint");
        ngx_http_cx_json_str(j, &tp->sn.str);
        ngx_http_cx_json_key(j, "pain");
        ngx_http_cx_score_pct(j, rows[i].score.low, total->low);

        ngx_http_cx_low_rate(rows[i].score.low, rows[i].score.n, &low);
        ngx_http_cx_score_low_rate(j, &low);

        ngx_http_cx_score_block(ctx, j, &tp->agg, &rows[i].score);

        ngx_http_cx_json_key(j, "vs_rest");
        ngx_http_cx_score_compare(ctx, j, ctx->from, ctx->to,
                                  &rows[i].score, &rows[i].rest);

        if (ctx->compare_days) {
            ngx_http_cx_scoring(type, data->threshold, tp->compared.hist,
                                &cs);

            ngx_http_cx_json_key(j, "compare");
            ngx_http_cx_score_compare(ctx, j, ctx->compare_from,
                                      ctx->compare_to, &rows[i].score, &cs);
        }

        ngx_http_cx_json_end(j);
    }
}


static int ngx_libc_cdecl
ngx_http_cx_score_pain_cmp(const void *one, const void *two)
{
    ngx_http_cx_score_pain_t  *a, *b;

    a = (ngx_http_cx_score_pain_t *) one;
    b = (ngx_http_cx_score_pain_t *) two;

    if (a->worse != b->worse) {
        return a->worse ? -1 : 1;
    }

    if (a->score.low != b->score.low) {
        return (a->score.low > b->score.low) ? -1 : 1;
    }

    if (a->score.n != b->score.n) {
        return (a->score.n > b->score.n) ? -1 : 1;
    }

    return (int) ngx_memn2cmp(a->tp->sn.str.data, b->tp->sn.str.data,
                              a->tp->sn.str.len, b->tp->sn.str.len);
}


/*
 * The question variants, by name; each compared with the first
 * ("vs_first": null for the first itself) and, with a compared period,
 * with itself there.  Variants seen only in the compared period are left
 * out.
 */

static void
ngx_http_cx_score_variants(ngx_http_cx_score_ctx_t *ctx,
    ngx_http_cx_json_t *j)
{
    ngx_uint_t                  i, n;
    ngx_rbtree_t               *tree;
    ngx_rbtree_node_t          *node;
    ngx_http_cx_score_t         first, sc, cs;
    ngx_http_cx_score_tp_t    **rows;
    ngx_http_cx_score_data_t   *data;
    ngx_http_cx_survey_type_t  *type;

    static ngx_http_cx_score_agg_t  none;

    data = ctx->data;
    tree = &data->variants;
    type = ctx->survey->type;

    if (tree->root == tree->sentinel) {
        return;
    }

    rows = ngx_palloc(ctx->request->pool,
                      data->nvariants * sizeof(ngx_http_cx_score_tp_t *));
    if (rows == NULL) {
        j->out.error = 1;
        return;
    }

    n = 0;

    for (node = ngx_rbtree_min(tree->root, tree->sentinel);
         node;
         node = ngx_rbtree_next(tree, node))
    {
        rows[n] = (ngx_http_cx_score_tp_t *) node;

        if (ngx_memcmp(&rows[n]->agg, &none, sizeof(ngx_http_cx_score_agg_t))
            != 0)
        {
            n++;
        }
    }

    ngx_qsort(rows, n, sizeof(ngx_http_cx_score_tp_t *),
              ngx_http_cx_score_variant_cmp);

    for (i = 0; i < n; i++) {
        ngx_http_cx_scoring(type, data->threshold, rows[i]->agg.hist, &sc);

        if (i == 0) {
            first = sc;
        }

        ngx_http_cx_json_object(j);

        ngx_http_cx_json_key(j, "variant");
        ngx_http_cx_json_str(j, &rows[i]->sn.str);

        ngx_http_cx_score_block(ctx, j, &rows[i]->agg, &sc);

        ngx_http_cx_json_key(j, "vs_first");

        if (i == 0) {
            ngx_http_cx_json_null(j);

        } else {
            ngx_http_cx_json_object(j);
            ngx_http_cx_json_key(j, "variant");
            ngx_http_cx_json_str(j, &rows[0]->sn.str);
            ngx_http_cx_score_compare_fields(ctx, j, &sc, &first);
            ngx_http_cx_json_end(j);
        }

        if (ctx->compare_days) {
            ngx_http_cx_scoring(type, data->threshold, rows[i]->compared.hist,
                                &cs);

            ngx_http_cx_json_key(j, "compare");
            ngx_http_cx_score_compare(ctx, j, ctx->compare_from,
                                      ctx->compare_to, &sc, &cs);
        }

        ngx_http_cx_json_end(j);
    }
}


static int ngx_libc_cdecl
ngx_http_cx_score_variant_cmp(const void *one, const void *two)
{
    ngx_http_cx_score_tp_t  *a, *b;

    a = *(ngx_http_cx_score_tp_t **) one;
    b = *(ngx_http_cx_score_tp_t **) two;

    return (int) ngx_memn2cmp(a->sn.str.data, b->sn.str.data,
                              a->sn.str.len, b->sn.str.len);
}


/* the fields every set of answers has: the whole range, and each group */

static void
ngx_http_cx_score_block(ngx_http_cx_score_ctx_t *ctx, ngx_http_cx_json_t *j,
    ngx_http_cx_score_agg_t *agg, ngx_http_cx_score_t *s)
{
    u_char                      buf[NGX_INT_T_LEN + 1];
    ngx_int_t                   i;
    ngx_uint_t                  decimals;
    ngx_http_cx_scoring_e       kind;
    ngx_http_cx_survey_type_t  *type;

    type = ctx->survey->type;
    kind = ngx_http_cx_scoring_kind(type);
    decimals = (kind == ngx_http_cx_scoring_ces) ? 2 : 1;

    ngx_http_cx_json_key(j, "n");
    ngx_http_cx_json_uint(j, s->n);

    ngx_http_cx_json_key(j, "histogram");
    ngx_http_cx_json_object(j);

    for (i = type->min; i <= type->max; i++) {
        *ngx_sprintf(buf, "%i", i) = '\0';
        ngx_http_cx_json_key(j, (char *) buf);
        ngx_http_cx_json_uint(j, agg->hist[i - type->min]);
    }

    ngx_http_cx_json_end(j);

    ngx_http_cx_json_key_str(j, &type->name);

    if (s->has_score) {
        ngx_http_cx_json_fixed(j, s->score, decimals);

    } else {
        ngx_http_cx_json_null(j);
    }

    switch (kind) {

    case ngx_http_cx_scoring_nps:
        ngx_http_cx_json_key(j, "promoters");
        ngx_http_cx_json_uint(j, s->top);
        ngx_http_cx_json_key(j, "passives");
        ngx_http_cx_json_uint(j, s->middle);
        ngx_http_cx_json_key(j, "detractors");
        ngx_http_cx_json_uint(j, s->bottom);
        ngx_http_cx_json_key(j, "promoters_pct");
        ngx_http_cx_score_pct(j, s->top, s->n);
        ngx_http_cx_json_key(j, "passives_pct");
        ngx_http_cx_score_pct(j, s->middle, s->n);
        ngx_http_cx_json_key(j, "detractors_pct");
        ngx_http_cx_score_pct(j, s->bottom, s->n);
        break;

    case ngx_http_cx_scoring_csat:
        ngx_http_cx_json_key(j, "satisfied");
        ngx_http_cx_json_uint(j, s->top);
        break;

    default:
        ngx_http_cx_json_key(j, "sd");

        if (s->has_sd) {
            ngx_http_cx_json_fixed(j, s->sd, decimals);

        } else {
            ngx_http_cx_json_null(j);
        }
    }

    ngx_http_cx_json_key(j, "ci95");

    if (s->has_ci) {
        ngx_http_cx_json_array(j);
        ngx_http_cx_json_fixed(j, s->lo, decimals);
        ngx_http_cx_json_fixed(j, s->hi, decimals);
        ngx_http_cx_json_end(j);

    } else {
        ngx_http_cx_json_null(j);
    }

    ngx_http_cx_json_key(j, "low");
    ngx_http_cx_json_uint(j, s->low);

    ngx_http_cx_json_key(j, "impressions");
    ngx_http_cx_json_object(j);
    ngx_http_cx_json_key(j, "triggered");
    ngx_http_cx_json_uint(j, agg->events[ngx_http_cx_event_triggered]);
    ngx_http_cx_json_key(j, "shown");
    ngx_http_cx_json_uint(j, agg->events[ngx_http_cx_event_shown]);
    ngx_http_cx_json_end(j);

    ngx_http_cx_json_key(j, "answers");
    ngx_http_cx_json_uint(j, agg->events[ngx_http_cx_event_answered]);
    ngx_http_cx_json_key(j, "commented");
    ngx_http_cx_json_uint(j, agg->events[ngx_http_cx_event_commented]);
    ngx_http_cx_json_key(j, "dismissed");
    ngx_http_cx_json_uint(j, agg->events[ngx_http_cx_event_dismissed]);

    ngx_http_cx_json_key(j, "response_rate");
    ngx_http_cx_score_pct(j, agg->events[ngx_http_cx_event_answered],
                          agg->events[ngx_http_cx_event_shown]);
    ngx_http_cx_json_key(j, "dismiss_rate");
    ngx_http_cx_score_pct(j, agg->events[ngx_http_cx_event_dismissed],
                          agg->events[ngx_http_cx_event_shown]);
}


/* a percentage with one decimal, or null for nothing to divide by */

static void
ngx_http_cx_score_pct(ngx_http_cx_json_t *j, uint64_t part, uint64_t whole)
{
    if (whole == 0) {
        ngx_http_cx_json_null(j);
        return;
    }

    ngx_http_cx_json_fixed(j, 100.0 * (double) part / (double) whole, 1);
}


/*
 * {"from", "to", "n", <score>, "ci95" of the other set (b), then "diff",
 * "diff_ci95", "p_value", "significant" of a against it}
 */

static void
ngx_http_cx_score_compare(ngx_http_cx_score_ctx_t *ctx,
    ngx_http_cx_json_t *j, ngx_int_t from, ngx_int_t to,
    ngx_http_cx_score_t *a, ngx_http_cx_score_t *b)
{
    ngx_http_cx_json_object(j);

    ngx_http_cx_score_day_json(j, "from", from);
    ngx_http_cx_score_day_json(j, "to", to);

    ngx_http_cx_score_compare_fields(ctx, j, a, b);

    ngx_http_cx_json_end(j);
}


/* a comparison's fields but what b is: "n" ... "significant" */

static void
ngx_http_cx_score_compare_fields(ngx_http_cx_score_ctx_t *ctx,
    ngx_http_cx_json_t *j, ngx_http_cx_score_t *a, ngx_http_cx_score_t *b)
{
    ngx_uint_t                  decimals;
    ngx_http_cx_compare_t       c;
    ngx_http_cx_scoring_e       kind;
    ngx_http_cx_survey_type_t  *type;

    type = ctx->survey->type;
    kind = ngx_http_cx_scoring_kind(type);
    decimals = (kind == ngx_http_cx_scoring_ces) ? 2 : 1;

    ngx_http_cx_compare(kind, a, b, &c);

    ngx_http_cx_json_key(j, "n");
    ngx_http_cx_json_uint(j, b->n);
    ngx_http_cx_json_key_str(j, &type->name);
    ngx_http_cx_score_num(j, b->has_score, b->score, decimals);
    ngx_http_cx_json_key(j, "ci95");
    ngx_http_cx_score_interval(j, b->has_ci, b->lo, b->hi, decimals);

    ngx_http_cx_json_key(j, "diff");
    ngx_http_cx_score_num(j, c.has_diff, c.diff, decimals);
    ngx_http_cx_json_key(j, "diff_ci95");
    ngx_http_cx_score_interval(j, c.has_test, c.lo, c.hi, decimals);
    ngx_http_cx_json_key(j, "p_value");
    ngx_http_cx_score_num(j, c.has_test, c.p, 4);
    ngx_http_cx_json_key(j, "significant");
    ngx_http_cx_json_bool(j, c.significant);
}


/*
 * "precision": {"margin", "needed", "more", "days"} and
 * "detectable": {"change", "needed", "more", "days"}, at this period's
 * answers per day
 */

static void
ngx_http_cx_score_sample(ngx_http_cx_score_ctx_t *ctx,
    ngx_http_cx_json_t *j, ngx_http_cx_score_t *s,
    ngx_http_cx_score_t *compared)
{
    ngx_uint_t              i, decimals;
    ngx_http_cx_sample_t    out;
    ngx_http_cx_scoring_e   kind;

    kind = ngx_http_cx_scoring_kind(ctx->survey->type);
    decimals = (kind == ngx_http_cx_scoring_ces) ? 2 : 1;

    for (i = 0; i < 2; i++) {
        if (i == 0) {
            ngx_http_cx_precision(kind, s, ctx->margin, ctx->days, &out);
            ngx_http_cx_json_key(j, "precision");
            ngx_http_cx_json_object(j);
            ngx_http_cx_json_key(j, "margin");

        } else {
            ngx_http_cx_detectable(kind, s, compared, ctx->detect, ctx->days,
                                   &out);
            ngx_http_cx_json_key(j, "detectable");
            ngx_http_cx_json_object(j);
            ngx_http_cx_json_key(j, "change");
        }

        ngx_http_cx_json_fixed(j, out.target, decimals);

        ngx_http_cx_json_key(j, "needed");

        if (out.has_needed) {
            ngx_http_cx_json_uint(j, out.needed);
            ngx_http_cx_json_key(j, "more");
            ngx_http_cx_json_uint(j, out.more);

        } else {
            ngx_http_cx_json_null(j);
            ngx_http_cx_json_key(j, "more");
            ngx_http_cx_json_null(j);
        }

        ngx_http_cx_json_key(j, "days");

        if (out.has_days) {
            ngx_http_cx_json_uint(j, out.days);

        } else {
            ngx_http_cx_json_null(j);
        }

        ngx_http_cx_json_end(j);
    }
}


/* "low_rate": low answers as % of n, "low_rate_ci95": Wilson's */

static void
ngx_http_cx_score_low_rate(ngx_http_cx_json_t *j, ngx_http_cx_score_t *s)
{
    ngx_http_cx_json_key(j, "low_rate");
    ngx_http_cx_score_num(j, s->has_score, s->score, 1);
    ngx_http_cx_json_key(j, "low_rate_ci95");
    ngx_http_cx_score_interval(j, s->has_ci, s->lo, s->hi, 1);
}


static void
ngx_http_cx_score_num(ngx_http_cx_json_t *j, ngx_uint_t has, double v,
    ngx_uint_t decimals)
{
    if (has) {
        ngx_http_cx_json_fixed(j, v, decimals);

    } else {
        ngx_http_cx_json_null(j);
    }
}


static void
ngx_http_cx_score_interval(ngx_http_cx_json_t *j, ngx_uint_t has,
    double lo, double hi, ngx_uint_t decimals)
{
    if (!has) {
        ngx_http_cx_json_null(j);
        return;
    }

    ngx_http_cx_json_array(j);
    ngx_http_cx_json_fixed(j, lo, decimals);
    ngx_http_cx_json_fixed(j, hi, decimals);
    ngx_http_cx_json_end(j);
}


/* "key": "YYYY-MM-DD" */

static void
ngx_http_cx_score_day_json(ngx_http_cx_json_t *j, const char *key,
    ngx_int_t day)
{
    u_char    buf[sizeof("YYYY-MM-DD")];
    ngx_tm_t  tm;

    ngx_gmtime((time_t) day * 86400, &tm);
    *ngx_sprintf(buf, "%04d-%02d-%02d", tm.ngx_tm_year, tm.ngx_tm_mon,
                 tm.ngx_tm_mday) = '\0';

    ngx_http_cx_json_key(j, key);
    ngx_http_cx_json_cstr(j, (char *) buf);
}
