
/*
 * ngx_http_cx_score_touchpoints.c: GET /cx/score?report=touchpoints, the
 * journey view.  For every touchpoint, the count of each event in the
 * range -- the journey's own (view, triggered, shown, dismissed,
 * answered, always present) then custom and backend-signalled names --
 * from the tp hashes, and by day or by hour (the tph hashes) on request.
 * Touchpoints come most viewed first.
 */


#include "ngx_http_cx_module.h"
#include "ngx_http_cx_events.h"
#include "ngx_http_cx_score.h"


typedef struct {
    ngx_str_node_t               sn;        /* "touchpoint:event" */
    ngx_str_t                    touchpoint;
    ngx_str_t                    event;
    ngx_uint_t                   rank;
    uint64_t                     counts[1]; /* the range, then each group */
} ngx_http_cx_report_row_t;


typedef struct {
    ngx_str_t                   *name;
    uint64_t                     views;
    ngx_http_cx_report_row_t   **rows;
    ngx_uint_t                   nrows;
} ngx_http_cx_report_tp_t;


typedef struct {
    ngx_rbtree_t                 rows;
    ngx_rbtree_node_t            sentinel;
    ngx_uint_t                   nrows;
} ngx_http_cx_report_t;


static ngx_http_cx_report_row_t *ngx_http_cx_report_row(
    ngx_http_cx_score_ctx_t *ctx, ngx_str_t *tp, ngx_str_t *event);
static ngx_http_cx_report_tp_t *ngx_http_cx_report_touchpoints(
    ngx_http_cx_score_ctx_t *ctx, ngx_uint_t *ntps);
static void ngx_http_cx_report_events(ngx_http_cx_json_t *j,
    ngx_http_cx_report_tp_t *tp, ngx_uint_t i);
static int ngx_libc_cdecl ngx_http_cx_report_row_cmp(const void *one,
    const void *two);
static int ngx_libc_cdecl ngx_http_cx_report_tp_cmp(const void *one,
    const void *two);


ngx_int_t
ngx_http_cx_score_report_init(ngx_http_cx_score_ctx_t *ctx)
{
    ngx_http_cx_report_t  *report;

    report = ngx_pcalloc(ctx->request->pool, sizeof(ngx_http_cx_report_t));
    if (report == NULL) {
        return NGX_ERROR;
    }

    ngx_rbtree_init(&report->rows, &report->sentinel,
                    ngx_str_rbtree_insert_value);

    ctx->data = report;

    return NGX_OK;
}


/* "tp:event" from tp, "tp:event:hh" from tph (read only for by=hour) */

void
ngx_http_cx_score_report_add(ngx_http_cx_score_ctx_t *ctx, ngx_uint_t day,
    ngx_uint_t key, redisReply *f, redisReply *v)
{
    uint64_t                   c;
    ngx_int_t                  hour, undo;
    ngx_str_t                  part[3];
    ngx_uint_t                 hourly;
    ngx_http_cx_report_row_t  *row;

    hourly = (key == ngx_http_cx_key_tph);

    if (ngx_http_cx_score_fields(f, part, hourly ? 3 : 2) != NGX_OK
        || (ctx->touchpoint.len
            && !ngx_http_cx_score_is(&part[0], &ctx->touchpoint))
        || ngx_http_cx_score_count(ctx, v, &c) != NGX_OK)
    {
        return;
    }

    hour = 0;

    if (hourly) {
        hour = ngx_http_cx_score_hour(&part[2]);
        if (hour == NGX_ERROR) {
            return;
        }

        /* the local hour: ngx_http_cx_score_tz.c */

        hour = ngx_http_cx_score_tz_group(ctx, ctx->from + day, hour, &undo);
        if (hour == NGX_DECLINED) {
            return;
        }
    }

    row = ngx_http_cx_report_row(ctx, &part[0], &part[1]);
    if (row == NULL) {
        ctx->no_memory = 1;
        return;
    }

    if (hourly) {
        ngx_http_cx_score_add(ctx, &row->counts[1 + hour], c);

        if (undo != NGX_DECLINED) {
            ngx_http_cx_score_tz_undo(&row->counts[1 + undo], c);
        }

        return;
    }

    ngx_http_cx_score_add(ctx, &row->counts[0], c);

    if (ctx->by == ngx_http_cx_by_day) {
        ngx_http_cx_score_add(ctx, &row->counts[1 + day], c);
    }
}


static ngx_http_cx_report_row_t *
ngx_http_cx_report_row(ngx_http_cx_score_ctx_t *ctx, ngx_str_t *tp,
    ngx_str_t *event)
{
    u_char                    *p;
    size_t                     size;
    uint32_t                   hash;
    ngx_str_t                  name;
    ngx_str_node_t            *sn;
    ngx_http_cx_report_t      *report;
    ngx_http_cx_report_row_t  *row;

    report = ctx->data;

    /* the two parts are adjacent in the field: "tp:event" */

    name.data = tp->data;
    name.len = event->data + event->len - tp->data;

    hash = ngx_crc32_short(name.data, name.len);

    sn = ngx_str_rbtree_lookup(&report->rows, &name, hash);

    if (sn) {
        return (ngx_http_cx_report_row_t *) sn;
    }

    size = offsetof(ngx_http_cx_report_row_t, counts)
           + (1 + ctx->groups) * sizeof(uint64_t);

    row = ngx_pcalloc(ctx->request->pool, size + name.len);
    if (row == NULL) {
        return NULL;
    }

    p = (u_char *) row + size;
    ngx_memcpy(p, name.data, name.len);

    row->sn.node.key = hash;
    row->sn.str.data = p;
    row->sn.str.len = name.len;

    row->touchpoint.data = p;
    row->touchpoint.len = tp->len;
    row->event.data = p + tp->len + 1;
    row->event.len = event->len;

    /* the journey's own events in its order, then other events */

    row->rank = ngx_http_cx_event_find(event);

    ngx_rbtree_insert(&report->rows, &row->sn.node);
    report->nrows++;

    return row;
}


void
ngx_http_cx_score_report_json(ngx_http_cx_score_ctx_t *ctx,
    ngx_http_cx_json_t *j)
{
    ngx_uint_t                t, g, ntps;
    ngx_http_cx_report_tp_t  *tps;

    tps = ngx_http_cx_report_touchpoints(ctx, &ntps);
    if (tps == NULL) {
        j->out.error = 1;
        return;
    }

    ngx_http_cx_json_object(j);

    ngx_http_cx_json_key(j, "report");
    ngx_http_cx_json_cstr(j, "touchpoints");

    ngx_http_cx_score_range(j, ctx);

    if (ctx->by != ngx_http_cx_by_none) {
        ngx_http_cx_json_key(j, "by");
        ngx_http_cx_json_str(j, &ngx_http_cx_score_by_names[ctx->by]);
    }

    ngx_http_cx_json_key(j, "touchpoints");
    ngx_http_cx_json_array(j);

    for (t = 0; t < ntps; t++) {
        ngx_http_cx_json_object(j);

        ngx_http_cx_json_key(j, "touchpoint");
        ngx_http_cx_json_str(j, tps[t].name);

        ngx_http_cx_json_key(j, "events");
        ngx_http_cx_report_events(j, &tps[t], 0);

        if (ctx->groups) {
            ngx_http_cx_json_key(j, "groups");
            ngx_http_cx_json_array(j);

            for (g = 0; g < ctx->groups; g++) {
                ngx_http_cx_json_object(j);
                ngx_http_cx_score_group(j, ctx, g);
                ngx_http_cx_json_key(j, "events");
                ngx_http_cx_report_events(j, &tps[t], 1 + g);
                ngx_http_cx_json_end(j);
            }

            ngx_http_cx_json_end(j);
        }

        ngx_http_cx_json_end(j);
    }

    ngx_http_cx_json_end(j);
    ngx_http_cx_json_end(j);
}


/* the rows sorted by touchpoint and event, cut into touchpoints */

static ngx_http_cx_report_tp_t *
ngx_http_cx_report_touchpoints(ngx_http_cx_score_ctx_t *ctx,
    ngx_uint_t *ntps)
{
    ngx_uint_t                  i, n;
    ngx_rbtree_t               *tree;
    ngx_rbtree_node_t          *node;
    ngx_http_cx_report_t       *report;
    ngx_http_cx_report_tp_t    *tps, *tp;
    ngx_http_cx_report_row_t  **rows;

    report = ctx->data;
    tree = &report->rows;

    /* at least one element each, so that an empty report is no error */

    rows = ngx_palloc(ctx->request->pool,
                      (report->nrows + 1) * sizeof(ngx_http_cx_report_row_t *));
    tps = ngx_palloc(ctx->request->pool,
                     (report->nrows + 1) * sizeof(ngx_http_cx_report_tp_t));

    if (rows == NULL || tps == NULL) {
        return NULL;
    }

    n = 0;

    if (tree->root != tree->sentinel) {
        for (node = ngx_rbtree_min(tree->root, tree->sentinel);
             node;
             node = ngx_rbtree_next(tree, node))
        {
            rows[n++] = (ngx_http_cx_report_row_t *) node;
        }
    }

    ngx_qsort(rows, n, sizeof(ngx_http_cx_report_row_t *),
              ngx_http_cx_report_row_cmp);

    tp = NULL;
    *ntps = 0;

    for (i = 0; i < n; i++) {
        if (tp == NULL
            || !ngx_http_cx_score_is(&rows[i]->touchpoint, tp->name))
        {
            tp = &tps[(*ntps)++];
            tp->name = &rows[i]->touchpoint;
            tp->views = 0;
            tp->rows = &rows[i];
            tp->nrows = 0;
        }

        if (rows[i]->rank == 0) {
            tp->views = rows[i]->counts[0];
        }

        tp->nrows++;
    }

    ngx_qsort(tps, *ntps, sizeof(ngx_http_cx_report_tp_t),
              ngx_http_cx_report_tp_cmp);

    return tps;
}


/* {"view":..,"triggered":..,"shown":..,"dismissed":..,"answered":..,...} */

static void
ngx_http_cx_report_events(ngx_http_cx_json_t *j, ngx_http_cx_report_tp_t *tp,
    ngx_uint_t i)
{
    ngx_uint_t  k, rank;

    ngx_http_cx_json_object(j);

    k = 0;

    for (rank = 0; rank < ngx_http_cx_event_custom; rank++) {
        ngx_http_cx_json_key_str(j, &ngx_http_cx_event_names[rank]);

        if (k < tp->nrows && tp->rows[k]->rank == rank) {
            ngx_http_cx_json_uint(j, tp->rows[k++]->counts[i]);

        } else {
            ngx_http_cx_json_uint(j, 0);
        }
    }

    for ( /* void */ ; k < tp->nrows; k++) {

        /* a group lists the names it counted: at most a day's cap each */

        if (i > 0 && tp->rows[k]->counts[i] == 0) {
            continue;
        }

        ngx_http_cx_json_key_str(j, &tp->rows[k]->event);
        ngx_http_cx_json_uint(j, tp->rows[k]->counts[i]);
    }

    ngx_http_cx_json_end(j);
}


static int ngx_libc_cdecl
ngx_http_cx_report_row_cmp(const void *one, const void *two)
{
    ngx_int_t                  rc;
    ngx_http_cx_report_row_t  *a, *b;

    a = *(ngx_http_cx_report_row_t **) one;
    b = *(ngx_http_cx_report_row_t **) two;

    rc = ngx_memn2cmp(a->touchpoint.data, b->touchpoint.data,
                      a->touchpoint.len, b->touchpoint.len);

    if (rc == 0 && a->rank != b->rank) {
        rc = (a->rank < b->rank) ? -1 : 1;
    }

    if (rc == 0) {
        rc = ngx_memn2cmp(a->event.data, b->event.data, a->event.len,
                          b->event.len);
    }

    return (int) rc;
}


static int ngx_libc_cdecl
ngx_http_cx_report_tp_cmp(const void *one, const void *two)
{
    ngx_http_cx_report_tp_t  *a, *b;

    a = (ngx_http_cx_report_tp_t *) one;
    b = (ngx_http_cx_report_tp_t *) two;

    if (a->views != b->views) {
        return (a->views > b->views) ? -1 : 1;
    }

    return (int) ngx_memn2cmp(a->name->data, b->name->data, a->name->len,
                              b->name->len);
}
