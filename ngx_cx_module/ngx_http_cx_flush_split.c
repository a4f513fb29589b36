
/*
 * ngx_http_cx_flush_split.c: in Redis Cluster, a worker's batch goes as
 * parts, one per (site, shard) that has something to write, each one
 * EVALSHA on the keys of one slot (docs/cluster.md "The flush, split per
 * shard and node"):
 *
 *   - a page view's counters go to the worker's current shard,
 *     (ngx_worker + batch number) mod S, so that one worker's plain
 *     counts rotate over the shards: the site's writes spread over the
 *     primaries;
 *   - a widget event with a token goes to shard(nonce), CRC16 mod S: its
 *     token check, counters and follow-up entry stay one script;
 *   - a custom event goes to shard 0, where the day's names set is.
 *
 * A shard whose part is still unanswered is busy: its records, and the
 * counters that would go there when no other shard of the site is free,
 * go back into the worker's table for a later flush.
 */


#include "ngx_http_cx_flush.h"
#include "ngx_http_cx_keys.h"
#include "ngx_http_cx_shard.h"


/* the parts of one site: part number per shard, 0: none yet */

typedef struct {
    ngx_str_t                    site;
    ngx_uint_t                  *part;      /* [S] */
} ngx_http_cx_split_site_t;


typedef struct {
    ngx_http_cx_main_conf_t     *cmcf;
    ngx_http_cx_batch_t         *b;
    ngx_uint_t                   n;         /* S */
    ngx_http_cx_flush_busy_pt    busy;
    void                        *data;
    ngx_pool_t                  *pool;

    ngx_array_t                  sites;     /* ngx_http_cx_split_site_t */
    ngx_array_t                 *parts;     /* ngx_http_cx_batch_t */
    ngx_uint_t                   first;     /* parts' first of this split */
    ngx_http_cx_batch_t          rest;      /* back into the table */
} ngx_http_cx_split_t;


static ngx_int_t ngx_http_cx_split_plan(ngx_http_cx_split_t *sp,
    ngx_uint_t *item_part, ngx_uint_t *rec_part);
static ngx_uint_t ngx_http_cx_split_busy(ngx_http_cx_split_t *sp,
    ngx_str_t *site, ngx_uint_t shard);
static ngx_int_t ngx_http_cx_split_part(ngx_http_cx_split_t *sp,
    ngx_str_t *site, ngx_uint_t shard, ngx_uint_t *part);
static ngx_http_cx_batch_t *ngx_http_cx_split_batch(ngx_http_cx_split_t *sp,
    ngx_uint_t part);
static void ngx_http_cx_split_move(ngx_http_cx_split_t *sp,
    ngx_uint_t *item_part, ngx_uint_t *rec_part,
    ngx_http_cx_record_t ***tails);


/*
 * b's counters and records into parts (appended to parts, an array of
 * ngx_http_cx_batch_t), what is for busy shards back into the worker's
 * table; b is left empty.  NGX_ERROR (no memory): b is as it was, parts
 * too.
 */

ngx_int_t
ngx_http_cx_flush_split(ngx_http_cx_main_conf_t *cmcf,
    ngx_http_cx_batch_t *b, ngx_http_cx_flush_busy_pt busy, void *data,
    ngx_array_t *parts, ngx_log_t *log)
{
    ngx_uint_t                i, np, *item_part, *rec_part;
    ngx_http_cx_batch_t      *p;
    ngx_http_cx_split_t       sp;
    ngx_http_cx_record_t   ***tails;

    ngx_memzero(&sp, sizeof(ngx_http_cx_split_t));

    sp.cmcf = cmcf;
    sp.b = b;
    sp.n = ((ngx_http_cx_key_shards_t *) cmcf->shards)->n;
    sp.busy = busy;
    sp.data = data;
    sp.parts = parts;
    sp.first = parts->nelts;

    sp.pool = ngx_create_pool(4096, log);
    if (sp.pool == NULL) {
        return NGX_ERROR;
    }

    /* which part each counter and record goes to: 0 is the rest */

    item_part = ngx_palloc(sp.pool, (b->nitems + 1) * sizeof(ngx_uint_t));
    rec_part = ngx_palloc(sp.pool, (b->nrecords + 1) * sizeof(ngx_uint_t));

    if (item_part == NULL || rec_part == NULL
        || ngx_array_init(&sp.sites, sp.pool, 4,
                          sizeof(ngx_http_cx_split_site_t))
           != NGX_OK
        || ngx_http_cx_split_plan(&sp, item_part, rec_part) != NGX_OK)
    {
        goto failed;
    }

    /* their arrays, before anything moves */

    np = parts->nelts - sp.first + 1;

    tails = ngx_palloc(sp.pool, np * sizeof(ngx_http_cx_record_t **));
    if (tails == NULL) {
        goto failed;
    }

    for (i = 0; i < np; i++) {
        p = ngx_http_cx_split_batch(&sp, i);

        if (p->nitems) {
            p->items = ngx_alloc(p->nitems * sizeof(ngx_http_cx_counter_t *),
                                 log);
            if (p->items == NULL) {
                goto failed;
            }
        }

        p->records = NULL;
        tails[i] = &p->records;
    }

    ngx_http_cx_split_move(&sp, item_part, rec_part, tails);

    if (!ngx_http_cx_batch_empty(&sp.rest)) {
        ngx_http_cx_counters_merge(&sp.rest);
    }

    ngx_destroy_pool(sp.pool);

    return NGX_OK;

failed:

    for (i = 0; i < parts->nelts - sp.first + 1; i++) {
        p = ngx_http_cx_split_batch(&sp, i);

        if (p->items) {
            ngx_free(p->items);
        }
    }

    parts->nelts = sp.first;
    ngx_destroy_pool(sp.pool);

    return NGX_ERROR;
}


/* part numbers, and how many counters and records each part gets */

static ngx_int_t
ngx_http_cx_split_plan(ngx_http_cx_split_t *sp, ngx_uint_t *item_part,
    ngx_uint_t *rec_part)
{
    ngx_str_t               site, next, key;
    ngx_uint_t              i, j, k, t, s, part;
    ngx_http_cx_batch_t    *b;
    ngx_http_cx_record_t   *rec;
    ngx_http_cx_counter_t  *c;

    b = sp->b;

    /* the counters: sorted by key, so a site's are one run */

    for (i = 0; i < b->nitems; i = j) {
        c = b->items[i];
        key.data = c->data;
        key.len = c->key_len;

        if (ngx_http_cx_key_site(&sp->cmcf->redis_prefix, &key, &site)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        for (j = i + 1; j < b->nitems; j++) {
            key.data = b->items[j]->data;
            key.len = b->items[j]->key_len;

            if (ngx_http_cx_key_site(&sp->cmcf->redis_prefix, &key, &next)
                != NGX_OK
                || next.len != site.len
                || ngx_memcmp(next.data, site.data, site.len) != 0)
            {
                break;
            }
        }

        /* the worker's current shard, or the next one not busy */

        part = 0;
        s = (ngx_worker + b->seq) % sp->n;

        for (t = 0; t < sp->n; t++) {
            if (!ngx_http_cx_split_busy(sp, &site, (s + t) % sp->n)) {
                if (ngx_http_cx_split_part(sp, &site, (s + t) % sp->n, &part)
                    != NGX_OK)
                {
                    return NGX_ERROR;
                }

                break;
            }
        }

        for (k = i; k < j; k++) {
            item_part[k] = part;
        }

        ngx_http_cx_split_batch(sp, part)->nitems += j - i;
    }

    /* the records: the token's shard, a custom event's shard 0 */

    for (rec = b->records, i = 0; rec; rec = rec->next, i++) {
        s = rec->custom ? 0 : ngx_http_cx_shard_of(rec->nonce,
                                                   sizeof(rec->nonce),
                                                   sp->n);
        part = 0;

        if (!ngx_http_cx_split_busy(sp, &rec->site, s)
            && ngx_http_cx_split_part(sp, &rec->site, s, &part) != NGX_OK)
        {
            return NGX_ERROR;
        }

        rec_part[i] = part;
        ngx_http_cx_split_batch(sp, part)->nrecords++;
    }

    return NGX_OK;
}


static ngx_uint_t
ngx_http_cx_split_busy(ngx_http_cx_split_t *sp, ngx_str_t *site,
    ngx_uint_t shard)
{
    return sp->busy && sp->busy(sp->data, site, shard);
}


/* the number of the part of (site, shard), made if new */

static ngx_int_t
ngx_http_cx_split_part(ngx_http_cx_split_t *sp, ngx_str_t *site,
    ngx_uint_t shard, ngx_uint_t *part)
{
    ngx_uint_t                 i;
    ngx_http_cx_batch_t       *p;
    ngx_http_cx_split_site_t  *ss;
    ngx_http_cx_key_shard_t    sh;
    u_char                     buf[NGX_HTTP_CX_KEY_MAX];

    ss = sp->sites.elts;

    for (i = 0; i < sp->sites.nelts; i++) {
        if (ss[i].site.len == site->len
            && ngx_memcmp(ss[i].site.data, site->data, site->len) == 0)
        {
            break;
        }
    }

    if (i == sp->sites.nelts) {
        ss = ngx_array_push(&sp->sites);
        if (ss == NULL) {
            return NGX_ERROR;
        }

        ss->site = *site;
        ss->part = ngx_pcalloc(sp->pool, sp->n * sizeof(ngx_uint_t));
        if (ss->part == NULL) {
            return NGX_ERROR;
        }

    } else {
        ss = &ss[i];
    }

    if (ss->part[shard]) {
        *part = ss->part[shard];
        return NGX_OK;
    }

    if (ngx_http_cx_key_shard(sp->cmcf->shards, site, shard, buf, &sh)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    p = ngx_array_push(sp->parts);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_memzero(p, sizeof(ngx_http_cx_batch_t));

    p->seq = sp->b->seq;
    p->site = *site;
    p->shard = shard;
    p->slot = sh.slot;

    ss->part[shard] = sp->parts->nelts - sp->first;
    *part = ss->part[shard];

    return NGX_OK;
}


/* part number part: 0 is the rest */

static ngx_http_cx_batch_t *
ngx_http_cx_split_batch(ngx_http_cx_split_t *sp, ngx_uint_t part)
{
    ngx_http_cx_batch_t  *p;

    if (part == 0) {
        return &sp->rest;
    }

    p = sp->parts->elts;

    return &p[sp->first + part - 1];
}


/* every counter and record into its part, in order: nothing can fail */

static void
ngx_http_cx_split_move(ngx_http_cx_split_t *sp, ngx_uint_t *item_part,
    ngx_uint_t *rec_part, ngx_http_cx_record_t ***tails)
{
    ngx_uint_t              i, np;
    ngx_http_cx_batch_t    *b, *p;
    ngx_http_cx_record_t   *rec, *next;
    ngx_http_cx_counter_t  *c;

    b = sp->b;
    np = sp->parts->nelts - sp->first + 1;

    for (i = 0; i < np; i++) {
        p = ngx_http_cx_split_batch(sp, i);
        p->nitems = 0;
        p->events = p->nrecords;
    }

    for (i = 0; i < b->nitems; i++) {
        c = b->items[i];
        p = ngx_http_cx_split_batch(sp, item_part[i]);
        p->items[p->nitems++] = c;
        p->events += c->n;
    }

    for (rec = b->records, i = 0; rec; rec = next, i++) {
        next = rec->next;
        rec->next = NULL;
        *tails[rec_part[i]] = rec;
        tails[rec_part[i]] = &rec->next;
    }

    if (b->items) {
        ngx_free(b->items);
    }

    b->items = NULL;
    b->nitems = 0;
    b->records = NULL;
    b->nrecords = 0;
    b->events = 0;
}
