
/*
 * ngx_http_cx_counter.c: counters aggregated in memory, per worker, and
 * the queue of records (widget events with a token; their script
 * arguments are ngx_http_cx_flush.c's).  A counter is a (key, field)
 * pair of a Redis hash with an increment; requests add to the table, the
 * flush takes the whole table at once as a batch (ngx_http_cx_redis.c).
 *
 * The table holds at most cx_buffer distinct counters: past that, new
 * counters are dropped and counted (existing ones still add up), so
 * memory never grows with an outage.
 */


#include "ngx_http_cx_module.h"
#include "ngx_http_cx_counter.h"
#include "ngx_http_cx_redis.h"
#include "ngx_http_cx_keys.h"


/* counts made while the worker quits need one more flush */
#define ngx_http_cx_counters_added()                                        \
    do {                                                                    \
        if (ngx_exiting) {                                                  \
            ngx_http_cx_redis_counted();                                    \
        }                                                                   \
    } while (0)


#define NGX_HTTP_CX_FIELD_MAX    256


#define NGX_HTTP_CX_COUNT_CACHE  16


typedef struct {
    u_char                      *site;      /* the names, by address */
    u_char                      *touchpoint;
    u_char                      *event;
    time_t                       hour;
    ngx_uint_t                   generation;
    ngx_http_cx_counter_t       *daily;
    ngx_http_cx_counter_t       *hourly;
} ngx_http_cx_count_cache_t;


typedef struct {
    ngx_http_cx_counter_t      **buckets;
    ngx_uint_t                   nbuckets;  /* a power of 2 */
    ngx_http_cx_counter_t       *all;       /* so a flush visits no empty
                                               bucket */
    ngx_uint_t                   generation;    /* of the counters */
    ngx_http_cx_count_cache_t    cache[NGX_HTTP_CX_COUNT_CACHE];
    ngx_uint_t                   count;
    ngx_uint_t                   max;
    uint64_t                     events;
    uint64_t                     dropped;   /* not yet logged */
    uint64_t                     counted;   /* not yet in the metrics */
    ngx_log_t                   *log;

    ngx_http_cx_record_t        *records;
    ngx_http_cx_record_t       **last_record;
    ngx_uint_t                   nrecords;

    time_t                       time;      /* of the cached strings */
    u_char                       day[8];
    u_char                       hour[2];
} ngx_http_cx_counters_t;


/* per worker: set up in ngx_http_cx_counters_init() */
static ngx_http_cx_counters_t  ngx_http_cx_counters;


static ngx_http_cx_counter_t *ngx_http_cx_counter_add(ngx_str_t *key,
    ngx_str_t *field, int64_t n);
static ngx_int_t ngx_http_cx_count_add(ngx_http_cx_main_conf_t *cmcf,
    ngx_str_t *site, ngx_str_t *survey, ngx_str_t *touchpoint,
    ngx_str_t *event, time_t now, ngx_http_cx_counter_t **daily,
    ngx_http_cx_counter_t **hourly);
static void ngx_http_cx_counters_time(time_t now);
static int ngx_libc_cdecl ngx_http_cx_counter_cmp(const void *one,
    const void *two);


ngx_int_t
ngx_http_cx_counters_init(ngx_cycle_t *cycle, ngx_uint_t max)
{
    ngx_uint_t               n;
    ngx_http_cx_counters_t  *t;

    t = &ngx_http_cx_counters;

    for (n = 64; n < max; n <<= 1) { /* void */ }

    t->buckets = ngx_calloc(n * sizeof(ngx_http_cx_counter_t *), cycle->log);
    if (t->buckets == NULL) {
        return NGX_ERROR;
    }

    t->nbuckets = n;
    t->max = max;
    t->log = cycle->log;
    t->last_record = &t->records;

    return NGX_OK;
}


void
ngx_http_cx_counters_done(void)
{
    ngx_uint_t               i;
    ngx_http_cx_record_t    *r;
    ngx_http_cx_counter_t   *c, *next;
    ngx_http_cx_counters_t  *t;

    t = &ngx_http_cx_counters;

    if (t->buckets == NULL) {
        return;
    }

    for (i = 0; i < t->nbuckets; i++) {
        for (c = t->buckets[i]; c; c = next) {
            next = c->next;
            ngx_free(c);
        }
    }

    ngx_free(t->buckets);

    while (t->records) {
        r = t->records;
        t->records = r->next;
        ngx_free(r);
    }

    ngx_memzero(t, sizeof(ngx_http_cx_counters_t));
}


ngx_uint_t
ngx_http_cx_counters_pending(uint64_t *events)
{
    if (events) {
        *events = ngx_http_cx_counters.events
                  + ngx_http_cx_counters.nrecords;
    }

    return ngx_http_cx_counters.count + ngx_http_cx_counters.nrecords;
}


uint64_t
ngx_http_cx_counters_counted(void)
{
    uint64_t  n;

    n = ngx_http_cx_counters.counted;
    ngx_http_cx_counters.counted = 0;

    return n;
}


uint64_t
ngx_http_cx_counters_dropped(void)
{
    uint64_t  n;

    n = ngx_http_cx_counters.dropped;
    ngx_http_cx_counters.dropped = 0;

    return n;
}


ngx_int_t
ngx_http_cx_count_event(ngx_http_cx_main_conf_t *cmcf, ngx_str_t *site,
    ngx_str_t *survey, ngx_str_t *touchpoint, ngx_str_t *event, time_t now)
{
    return ngx_http_cx_count_add(cmcf, site, survey, touchpoint, event, now,
                                 NULL, NULL);
}


/*
 * The same for names that live as long as the configuration (a static
 * cx_touchpoint, the module's own event names): the pair of counters a
 * page view adds to is remembered by the names' addresses, so the next
 * views of the hour add to them directly, without building keys.
 */

ngx_int_t
ngx_http_cx_count_stable(ngx_http_cx_main_conf_t *cmcf, ngx_str_t *site,
    ngx_str_t *touchpoint, ngx_str_t *event, time_t now)
{
    ngx_uint_t                   i;
    ngx_http_cx_counters_t      *t;
    ngx_http_cx_count_cache_t   *e;

    t = &ngx_http_cx_counters;

    i = ((uintptr_t) touchpoint->data ^ (uintptr_t) event->data
         ^ (uintptr_t) site->data) % NGX_HTTP_CX_COUNT_CACHE;
    e = &t->cache[i];

    if (e->generation == t->generation && e->hour == now / 3600
        && e->site == site->data && e->touchpoint == touchpoint->data
        && e->event == event->data && t->buckets)
    {
        e->daily->n++;
        e->hourly->n++;
        t->events += 2;
        t->counted += 2;
        ngx_http_cx_counters_added();
        return NGX_OK;
    }

    e->generation = t->generation;
    e->hour = now / 3600;
    e->site = site->data;
    e->touchpoint = touchpoint->data;
    e->event = event->data;

    if (ngx_http_cx_count_add(cmcf, site, NULL, touchpoint, event, now,
                              &e->daily, &e->hourly)
        != NGX_OK)
    {
        /* never hit a half-made entry */
        e->generation = t->generation - 1;
        return NGX_DECLINED;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_cx_count_add(ngx_http_cx_main_conf_t *cmcf, ngx_str_t *site,
    ngx_str_t *survey, ngx_str_t *touchpoint, ngx_str_t *event, time_t now,
    ngx_http_cx_counter_t **daily, ngx_http_cx_counter_t **hourly)
{
    u_char                 *p;
    ngx_int_t               rc;
    ngx_str_t               key, field;
    ngx_http_cx_counter_t  *c;
    u_char                  kbuf[NGX_HTTP_CX_KEY_MAX];
    u_char                  fbuf[NGX_HTTP_CX_FIELD_MAX];

    ngx_http_cx_counters_time(now);
    ngx_http_cx_counters_added();

    p = ngx_http_cx_key(kbuf, &cmcf->redis_prefix, site, survey ? "sv" : "tp",
                        survey, ngx_http_cx_counters.day);

    key.data = kbuf;
    key.len = p - kbuf;

    p = ngx_sprintf(fbuf, "%V:%V", touchpoint, event);

    field.data = fbuf;
    field.len = p - fbuf;

    c = ngx_http_cx_counter_add(&key, &field, 1);
    rc = c ? NGX_OK : NGX_DECLINED;

    if (daily) {
        *daily = c;
    }

    /* the same, by hour: "tp:" -> "tph:", "sv:" -> "svh:" */

    p = ngx_http_cx_key(kbuf, &cmcf->redis_prefix, site,
                        survey ? "svh" : "tph", survey,
                        ngx_http_cx_counters.day);
    key.len = p - kbuf;

    p = fbuf + field.len;
    *p++ = ':';
    p = ngx_cpymem(p, ngx_http_cx_counters.hour, 2);
    field.len = p - fbuf;

    c = ngx_http_cx_counter_add(&key, &field, 1);

    if (c == NULL) {
        rc = NGX_DECLINED;
    }

    if (hourly) {
        *hourly = c;
    }

    return rc;
}


static void
ngx_http_cx_counters_time(time_t now)
{
    ngx_tm_t                 tm;
    ngx_http_cx_counters_t  *t;

    t = &ngx_http_cx_counters;

    if (now == t->time) {
        return;
    }

    ngx_gmtime(now, &tm);

    ngx_sprintf(t->day, "%04d%02d%02d", tm.ngx_tm_year, tm.ngx_tm_mon,
                tm.ngx_tm_mday);
    ngx_sprintf(t->hour, "%02d", tm.ngx_tm_hour);

    t->time = now;
}


static ngx_http_cx_counter_t *
ngx_http_cx_counter_add(ngx_str_t *key, ngx_str_t *field, int64_t n)
{
    uint32_t                 hash;
    ngx_http_cx_counter_t   *c;
    ngx_http_cx_counters_t  *t;

    t = &ngx_http_cx_counters;

    if (t->buckets == NULL) {
        return NULL;
    }

    hash = ngx_murmur_hash2(key->data, key->len)
           ^ ngx_murmur_hash2(field->data, field->len) * 31;

    for (c = t->buckets[hash & (t->nbuckets - 1)]; c; c = c->next) {
        if (c->hash == hash
            && c->key_len == key->len
            && c->field_len == field->len
            && ngx_memcmp(c->data, key->data, key->len) == 0
            && ngx_memcmp(c->data + key->len, field->data, field->len) == 0)
        {
            c->n += n;
            t->events += n;
            t->counted += n;
            return c;
        }
    }

    if (t->count >= t->max) {
        t->dropped += n;
        return NULL;
    }

    c = ngx_alloc(offsetof(ngx_http_cx_counter_t, data)
                  + key->len + field->len, t->log);
    if (c == NULL) {
        t->dropped += n;
        return NULL;
    }

    c->hash = hash;
    c->key_len = (uint16_t) key->len;
    c->field_len = (uint16_t) field->len;
    c->n = n;
    ngx_memcpy(c->data, key->data, key->len);
    ngx_memcpy(c->data + key->len, field->data, field->len);

    c->next = t->buckets[hash & (t->nbuckets - 1)];
    t->buckets[hash & (t->nbuckets - 1)] = c;

    c->all = t->all;
    t->all = c;

    t->count++;
    t->events += n;
    t->counted += n;

    return c;
}


/*
 * Moves every counter into a batch, sorted by key so that the counters
 * of one hash travel together.
 */

ngx_int_t
ngx_http_cx_counters_take(ngx_http_cx_batch_t *batch)
{
    ngx_uint_t               n;
    ngx_http_cx_counter_t   *c, **items;
    ngx_http_cx_counters_t  *t;

    t = &ngx_http_cx_counters;

    if (t->count == 0 && t->nrecords == 0) {
        return NGX_DECLINED;
    }

    batch->records = t->records;
    batch->nrecords = t->nrecords;

    t->records = NULL;
    t->last_record = &t->records;
    t->nrecords = 0;

    if (t->count == 0) {
        batch->items = NULL;
        batch->nitems = 0;
        batch->events = batch->nrecords;
        return NGX_OK;
    }

    items = ngx_alloc(t->count * sizeof(ngx_http_cx_counter_t *), t->log);
    if (items == NULL) {
        return NGX_ERROR;
    }

    n = 0;
    t->generation++;

    for (c = t->all; c; c = c->all) {
        t->buckets[c->hash & (t->nbuckets - 1)] = NULL;
        items[n++] = c;
    }

    t->all = NULL;

    ngx_qsort(items, n, sizeof(ngx_http_cx_counter_t *),
              ngx_http_cx_counter_cmp);

    batch->items = items;
    batch->nitems = n;
    batch->events = t->events + batch->nrecords;

    t->count = 0;
    t->events = 0;

    return NGX_OK;
}


/* a batch Redis did not apply goes back into the table */

void
ngx_http_cx_counters_merge(ngx_http_cx_batch_t *batch)
{
    ngx_uint_t              i;
    ngx_str_t               key, field;
    ngx_http_cx_record_t   *r;
    ngx_http_cx_counter_t  *c;

    for (i = 0; i < batch->nitems; i++) {
        c = batch->items[i];

        key.data = c->data;
        key.len = c->key_len;
        field.data = c->data + c->key_len;
        field.len = c->field_len;

        (void) ngx_http_cx_counter_add(&key, &field, c->n);
        ngx_http_cx_counters.counted -= c->n;
    }

    /* records go back in front of newer ones */

    if (batch->records) {
        for (r = batch->records; r->next; r = r->next) { /* void */ }

        r->next = ngx_http_cx_counters.records;

        if (ngx_http_cx_counters.records == NULL) {
            ngx_http_cx_counters.last_record = &r->next;
        }

        ngx_http_cx_counters.records = batch->records;
        ngx_http_cx_counters.nrecords += batch->nrecords;

        batch->records = NULL;
        batch->nrecords = 0;
    }

    ngx_http_cx_batch_free(batch);
}


void
ngx_http_cx_batch_free(ngx_http_cx_batch_t *batch)
{
    ngx_uint_t             i;
    ngx_http_cx_record_t  *r;

    for (i = 0; i < batch->nitems; i++) {
        ngx_free(batch->items[i]);
    }

    while (batch->records) {
        r = batch->records;
        batch->records = r->next;
        ngx_free(r);
    }

    batch->nrecords = 0;

    if (batch->items) {
        ngx_free(batch->items);
    }

    batch->items = NULL;
    batch->nitems = 0;
    batch->events = 0;
}


/* a copy of rec and its strings joins the queue of records */

ngx_int_t
ngx_http_cx_record_add(ngx_http_cx_record_t *rec)
{
    u_char                  *p;
    size_t                   size;
    ngx_http_cx_record_t    *r;
    ngx_http_cx_counters_t  *t;

    t = &ngx_http_cx_counters;

    if (t->buckets == NULL) {
        return NGX_DECLINED;
    }

    if (t->nrecords >= t->max) {
        t->dropped++;
        return NGX_DECLINED;
    }

    size = offsetof(ngx_http_cx_record_t, data)
           + rec->site.len + rec->survey.len + rec->touchpoint.len
           + rec->event.len + rec->comment.len + rec->page.len
           + rec->variant.len;

    r = ngx_alloc(size, t->log);
    if (r == NULL) {
        t->dropped++;
        return NGX_DECLINED;
    }

    *r = *rec;
    p = r->data;

#define ngx_http_cx_record_copy(f)                                           \
    r->f.data = p; p = ngx_cpymem(p, rec->f.data, rec->f.len)

    ngx_http_cx_record_copy(site);
    ngx_http_cx_record_copy(survey);
    ngx_http_cx_record_copy(touchpoint);
    ngx_http_cx_record_copy(event);
    ngx_http_cx_record_copy(comment);
    ngx_http_cx_record_copy(page);
    ngx_http_cx_record_copy(variant);

#undef ngx_http_cx_record_copy

    r->next = NULL;
    *t->last_record = r;
    t->last_record = &r->next;
    t->nrecords++;
    t->counted++;

    ngx_http_cx_counters_added();

    return NGX_OK;
}


static int ngx_libc_cdecl
ngx_http_cx_counter_cmp(const void *one, const void *two)
{
    ngx_int_t               rc;
    ngx_http_cx_counter_t  *a, *b;

    a = *(ngx_http_cx_counter_t **) one;
    b = *(ngx_http_cx_counter_t **) two;

    rc = ngx_memn2cmp(a->data, b->data, a->key_len, b->key_len);

    if (rc == 0) {
        rc = ngx_memn2cmp(a->data + a->key_len, b->data + b->key_len,
                          a->field_len, b->field_len);
    }

    return (int) rc;
}
