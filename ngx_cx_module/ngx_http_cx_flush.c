
/*
 * ngx_http_cx_flush.c: the batch protocol.  Every cx_flush_interval the
 * worker's counters travel as one batch: a single EVALSHA of a script
 * that applies the batch only if its sequence number is new for this
 * worker, so a batch retried after a lost reply is applied once.  This
 * file owns the script (lua/redis/flush.lua), the EVALSHA of a batch and
 * what its reply means; the connection, and when to send and retry, are
 * ngx_http_cx_redis.c's.
 */


#include "ngx_http_cx_flush.h"
#include "ngx_http_cx_token.h"
#include "ngx_http_cx_embed.h"
#include "ngx_http_cx_keys.h"


/*
 * The arguments of a batch's EVALSHA, built in a pool of their own: every
 * key it touches once in KEYS (a table finds the ones already there),
 * the counter hashes' descriptions and the records in ARGV.
 */

typedef struct {
    ngx_pool_t                  *pool;
    ngx_http_cx_main_conf_t     *cmcf;
    ngx_array_t                  keys;      /* ngx_str_t: KEYS[2..] */
    ngx_array_t                  hash_of;   /* ngx_uint_t per key: its hash
                                               number, 0: not described */
    ngx_uint_t                  *table;     /* key index + 1, 0: empty */
    ngx_uint_t                   size;      /* of table, a power of 2 */
    ngx_array_t                  hashes;    /* ngx_str_t: ARGV, hashes */
    ngx_uint_t                   nhashes;
    ngx_array_t                  records;   /* ngx_str_t: ARGV, records */

    /* cx_redis_cluster: the names are its shard's */
    ngx_http_cx_key_shard_t      shard;
    size_t                       skip;      /* {prefix}:{site} */
    unsigned                     tagged:1;
    u_char                       tag[NGX_HTTP_CX_KEY_MAX];
} ngx_http_cx_flush_args_t;


#define NGX_HTTP_CX_FLUSH_POOL   16384
#define NGX_HTTP_CX_FLUSH_NUM    64     /* a printed number or time */


static ngx_int_t ngx_http_cx_flush_args_init(ngx_http_cx_flush_args_t *a,
    ngx_http_cx_main_conf_t *cmcf, ngx_http_cx_batch_t *b, ngx_log_t *log);
static ngx_uint_t ngx_http_cx_flush_key(ngx_http_cx_flush_args_t *a,
    u_char *data, size_t len);
static ngx_int_t ngx_http_cx_flush_grow(ngx_http_cx_flush_args_t *a);
static ngx_uint_t ngx_http_cx_flush_hash(ngx_http_cx_flush_args_t *a,
    ngx_str_t *key, ngx_uint_t *fresh);
static ngx_int_t ngx_http_cx_flush_counters(ngx_http_cx_flush_args_t *a,
    ngx_http_cx_batch_t *b);
static ngx_int_t ngx_http_cx_flush_record(ngx_http_cx_flush_args_t *a,
    ngx_http_cx_record_t *rec);
static ngx_int_t ngx_http_cx_flush_followup(ngx_http_cx_flush_args_t *a,
    ngx_http_cx_record_t *rec, ngx_tm_t *tm);
static ngx_int_t ngx_http_cx_flush_arg(ngx_array_t *args, u_char *data,
    size_t len);
static ngx_int_t ngx_http_cx_flush_copy(ngx_http_cx_flush_args_t *a,
    ngx_array_t *args, u_char *data, size_t len);
static ngx_int_t ngx_http_cx_flush_num(ngx_http_cx_flush_args_t *a,
    ngx_array_t *args, const char *fmt, ...);


/* lua/redis/flush.lua: KEYS, ARGV and the reply are described there */

ngx_http_cx_embed(ngx_http_cx_flush_lua, "lua/redis/flush.lua");


void
ngx_http_cx_flush_script(ngx_str_t *script)
{
    script->data = ngx_http_cx_flush_lua;
    script->len = ngx_http_cx_flush_lua_end - ngx_http_cx_flush_lua;
}


/* the batch as one EVALSHA of the flush script; cb gets the reply */

ngx_int_t
ngx_http_cx_flush_send(ngx_http_cx_main_conf_t *cmcf,
    ngx_http_cx_redis_conn_t *rc, ngx_http_cx_batch_t *b, u_char *sha,
    u_char *batch_key, ngx_http_cx_redis_reply_pt cb, void *data,
    ngx_log_t *log)
{
    size_t                    *lens;
    ngx_int_t                  rv;
    ngx_str_t                 *s;
    ngx_str_t                  key;
    ngx_uint_t                 i, k, argc, nkeys;
    ngx_array_t                head;
    const char               **argv;
    ngx_http_cx_record_t      *rec;
    ngx_http_cx_flush_args_t   a;

    if (ngx_http_cx_flush_args_init(&a, cmcf, b, log) != NGX_OK) {
        return NGX_ERROR;
    }

    rv = NGX_ERROR;

    /* the worker's batch key, or in a cluster its key in the part's shard */

    key.data = batch_key;
    key.len = ngx_strlen(batch_key);

    if (a.tagged && batch_key[0] != '{') {
        key.data = ngx_pnalloc(a.pool, NGX_HTTP_CX_KEY_MAX);
        if (key.data == NULL
            || ngx_http_cx_flush_batch_key(cmcf, b, batch_key, key.data)
               == NULL)
        {
            goto done;
        }

        key.len = ngx_strlen(key.data);
    }

    if (ngx_http_cx_flush_counters(&a, b) != NGX_OK) {
        goto done;
    }

    for (rec = b->records; rec; rec = rec->next) {
        if (ngx_http_cx_flush_record(&a, rec) != NGX_OK) {
            goto done;
        }
    }

    /*
     * EVALSHA sha numkeys batch-key keys... seq ttl per-token per-day
     * nhashes hashes... nrecords records...
     */

    nkeys = a.keys.nelts;
    argc = 3 + 1 + nkeys + 5 + a.hashes.nelts + 1 + a.records.nelts;

    argv = ngx_palloc(a.pool, argc * (sizeof(char *) + sizeof(size_t)));

    if (argv == NULL
        || ngx_array_init(&head, a.pool, 8, sizeof(ngx_str_t)) != NGX_OK)
    {
        goto done;
    }

    lens = (size_t *) (argv + argc);
    k = 0;

#define ngx_http_cx_arg(s, l)                                                \
    argv[k] = (const char *) (s); lens[k++] = (l)

#define ngx_http_cx_args(arr)                                                \
    s = (arr)->elts;                                                          \
    for (i = 0; i < (arr)->nelts; i++) {                                      \
        ngx_http_cx_arg(s[i].data, s[i].len);                                 \
    }

    ngx_http_cx_arg("EVALSHA", 7);
    ngx_http_cx_arg(sha, 40);

    if (ngx_http_cx_flush_num(&a, &head, "%ui", nkeys + 1) != NGX_OK
        || ngx_http_cx_flush_num(&a, &head, "%uL", b->seq) != NGX_OK
        || ngx_http_cx_flush_num(&a, &head, "%ui", cmcf->retention * 86400)
           != NGX_OK
        || ngx_http_cx_flush_num(&a, &head, "%ui",
                                 (ngx_uint_t) NGX_HTTP_CX_TOKEN_CUSTOM)
           != NGX_OK
        || ngx_http_cx_flush_num(&a, &head, "%ui", cmcf->custom_names)
           != NGX_OK
        || ngx_http_cx_flush_num(&a, &head, "%ui", a.nhashes) != NGX_OK
        || ngx_http_cx_flush_num(&a, &head, "%ui", b->nrecords) != NGX_OK)
    {
        goto done;
    }

    s = head.elts;

    ngx_http_cx_arg(s[0].data, s[0].len);
    ngx_http_cx_arg(key.data, key.len);
    ngx_http_cx_args(&a.keys);

    s = head.elts;

    for (i = 1; i < 6; i++) {
        ngx_http_cx_arg(s[i].data, s[i].len);
    }

    ngx_http_cx_args(&a.hashes);

    s = head.elts;
    ngx_http_cx_arg(s[6].data, s[6].len);
    ngx_http_cx_args(&a.records);

#undef ngx_http_cx_arg
#undef ngx_http_cx_args

    if (ngx_http_cx_redis_send(rc, (int) k, argv, lens, cb, data) != NGX_OK) {
        goto done;
    }

    ngx_log_debug4(NGX_LOG_DEBUG_EVENT, log, 0,
                   "cx redis: batch %uL: %ui counters, %ui keys, %uL events",
                   b->seq, b->nitems, nkeys + 1, b->events);

    rv = NGX_OK;

done:

    ngx_destroy_pool(a.pool);

    return rv;
}


/*
 * A part's own batch key (NUL-terminated, at buf: NGX_HTTP_CX_KEY_MAX
 * bytes) from the worker's {prefix}:batch:{id}: its shard's tag, then
 * :batch:{id}.  Without a cluster, the worker's.  NULL on error.
 */

u_char *
ngx_http_cx_flush_batch_key(ngx_http_cx_main_conf_t *cmcf,
    ngx_http_cx_batch_t *b, u_char *batch_key, u_char *buf)
{
    u_char                   *p;
    ngx_str_t                 key;
    ngx_http_cx_key_shard_t   shard;
    u_char                    tag[NGX_HTTP_CX_KEY_MAX];

    key.data = batch_key;
    key.len = ngx_strlen(batch_key);

    if (key.len < cmcf->redis_prefix.len) {
        return NULL;
    }

    if (cmcf->shards == NULL) {
        if (key.len >= NGX_HTTP_CX_KEY_MAX) {
            return NULL;
        }

        p = ngx_cpymem(buf, key.data, key.len);

    } else {
        if (b->site.len == 0
            || ngx_http_cx_key_shard(cmcf->shards, &b->site, b->shard, tag,
                                     &shard)
               != NGX_OK
            || shard.tag.len + key.len - cmcf->redis_prefix.len
               >= NGX_HTTP_CX_KEY_MAX)
        {
            return NULL;
        }

        p = ngx_http_cx_key_tagged(buf, &shard, &key, cmcf->redis_prefix.len);
    }

    *p = '\0';

    return buf;
}


static ngx_int_t
ngx_http_cx_flush_args_init(ngx_http_cx_flush_args_t *a,
    ngx_http_cx_main_conf_t *cmcf, ngx_http_cx_batch_t *b, ngx_log_t *log)
{
    ngx_memzero(a, sizeof(ngx_http_cx_flush_args_t));

    a->cmcf = cmcf;

    if (cmcf->shards) {
        /* a part of the worker's batch: one site's, one shard's */

        if (b->site.len == 0
            || ngx_http_cx_key_shard(cmcf->shards, &b->site, b->shard,
                                     a->tag, &a->shard)
               != NGX_OK)
        {
            ngx_log_error(NGX_LOG_ALERT, log, 0,
                          "cx redis: a batch of no shard in a cluster");
            return NGX_ERROR;
        }

        a->skip = cmcf->redis_prefix.len + 1 + b->site.len;
        a->tagged = 1;
    }

    a->pool = ngx_create_pool(NGX_HTTP_CX_FLUSH_POOL, log);
    if (a->pool == NULL) {
        return NGX_ERROR;
    }

    a->size = 64;

    a->table = ngx_pcalloc(a->pool, a->size * sizeof(ngx_uint_t));
    if (a->table == NULL
        || ngx_array_init(&a->keys, a->pool, 32, sizeof(ngx_str_t))
           != NGX_OK
        || ngx_array_init(&a->hash_of, a->pool, 32, sizeof(ngx_uint_t))
           != NGX_OK
        || ngx_array_init(&a->hashes, a->pool, 64, sizeof(ngx_str_t))
           != NGX_OK
        || ngx_array_init(&a->records, a->pool, 64, sizeof(ngx_str_t))
           != NGX_OK)
    {
        ngx_destroy_pool(a->pool);
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * The KEYS index of a key (2 or more: KEYS[1] is the batch key), added
 * (copied) if new; 0 on error
 */

static ngx_uint_t
ngx_http_cx_flush_key(ngx_http_cx_flush_args_t *a, u_char *data, size_t len)
{
    ngx_str_t   *k, *keys, key;
    ngx_uint_t   i, *h;
    u_char       buf[NGX_HTTP_CX_KEY_MAX];

    if (a->tagged) {
        /* {prefix}:{site}:... -> {prefix:site:s.k}:... */

        if (len <= a->skip || a->shard.tag.len + len - a->skip > sizeof(buf))
        {
            return 0;
        }

        key.data = data;
        key.len = len;
        len = ngx_http_cx_key_tagged(buf, &a->shard, &key, a->skip) - buf;
        data = buf;
    }

    keys = a->keys.elts;

    for (i = ngx_hash_key(data, len) & (a->size - 1);
         a->table[i];
         i = (i + 1) & (a->size - 1))
    {
        k = &keys[a->table[i] - 1];

        if (k->len == len && ngx_memcmp(k->data, data, len) == 0) {
            return a->table[i] + 1;
        }
    }

    k = ngx_array_push(&a->keys);
    h = ngx_array_push(&a->hash_of);

    if (k == NULL || h == NULL) {
        return 0;
    }

    k->data = ngx_pnalloc(a->pool, len);
    if (k->data == NULL) {
        return 0;
    }

    ngx_memcpy(k->data, data, len);
    k->len = len;
    *h = 0;

    a->table[i] = a->keys.nelts;

    if (a->keys.nelts * 2 > a->size && ngx_http_cx_flush_grow(a) != NGX_OK) {
        return 0;
    }

    return a->keys.nelts + 1;
}


/* the table twice as big, every key in it again */

static ngx_int_t
ngx_http_cx_flush_grow(ngx_http_cx_flush_args_t *a)
{
    ngx_str_t   *keys;
    ngx_uint_t   i, j, size, *table;

    size = a->size * 2;

    table = ngx_pcalloc(a->pool, size * sizeof(ngx_uint_t));
    if (table == NULL) {
        return NGX_ERROR;
    }

    keys = a->keys.elts;

    for (j = 0; j < a->keys.nelts; j++) {
        for (i = ngx_hash_key(keys[j].data, keys[j].len) & (size - 1);
             table[i];
             i = (i + 1) & (size - 1))
        {
            /* void */
        }

        table[i] = j + 1;
    }

    ngx_pfree(a->pool, a->table);

    a->table = table;
    a->size = size;

    return NGX_OK;
}


/*
 * The number of a counter hash in the batch (1 or more; 0 on error),
 * described if new (fresh is set then): the KEYS indices of the day hash,
 * its rollups and its month's 31 day hashes (consecutive: the day 01's
 * is found first, and every day hash comes with its whole month)
 */

static ngx_uint_t
ngx_http_cx_flush_hash(ngx_http_cx_flush_args_t *a, ngx_str_t *key,
    ngx_uint_t *fresh)
{
    u_char      *p;
    ngx_uint_t   i, k, n, first, *hash_of, idx[4];
    u_char       buf[NGX_HTTP_CX_KEY_MAX];

    static ngx_http_cx_key_span_e  spans[] = {
        ngx_http_cx_key_of_month, ngx_http_cx_key_of_month_all,
        ngx_http_cx_key_of_day_all
    };

    *fresh = 0;
    n = a->keys.nelts;

    p = ngx_http_cx_key_month_day(buf, key, 1);

    first = ngx_http_cx_flush_key(a, buf, p - buf);
    if (first == 0) {
        return 0;
    }

    if (a->keys.nelts > n) {
        /* a new month: its other days */

        for (i = 2; i <= 31; i++) {
            p = ngx_http_cx_key_month_day(buf, key, i);

            if (ngx_http_cx_flush_key(a, buf, p - buf) == 0) {
                return 0;
            }
        }
    }

    k = ngx_http_cx_flush_key(a, key->data, key->len);
    if (k == 0) {
        return 0;
    }

    hash_of = a->hash_of.elts;

    if (hash_of[k - 2]) {
        return hash_of[k - 2];
    }

    idx[0] = k;

    for (i = 0; i < 3; i++) {
        idx[i + 1] = 0;

        if (i > 0 && !ngx_http_cx_key_of_survey(key)) {
            continue;
        }

        p = ngx_http_cx_key_rollup(buf, key, spans[i]);

        idx[i + 1] = ngx_http_cx_flush_key(a, buf, p - buf);
        if (idx[i + 1] == 0) {
            return 0;
        }
    }

    for (i = 0; i < 4; i++) {
        if (ngx_http_cx_flush_num(a, &a->hashes, "%ui", idx[i]) != NGX_OK) {
            return 0;
        }
    }

    if (ngx_http_cx_flush_num(a, &a->hashes, "%ui", first) != NGX_OK) {
        return 0;
    }

    hash_of = a->hash_of.elts;
    hash_of[k - 2] = ++a->nhashes;
    *fresh = 1;

    return a->nhashes;
}


/* the batch's counters: the items are sorted by key */

static ngx_int_t
ngx_http_cx_flush_counters(ngx_http_cx_flush_args_t *a,
    ngx_http_cx_batch_t *b)
{
    ngx_str_t               key;
    ngx_uint_t              i, j, n, fresh;
    ngx_http_cx_counter_t  *c;

    for (i = 0; i < b->nitems; i = j) {
        c = b->items[i];

        for (j = i + 1; j < b->nitems; j++) {
            if (b->items[j]->key_len != c->key_len
                || ngx_memcmp(b->items[j]->data, c->data, c->key_len) != 0)
            {
                break;
            }
        }

        key.data = c->data;
        key.len = c->key_len;

        if (ngx_http_cx_flush_hash(a, &key, &fresh) == 0
            || ngx_http_cx_flush_num(a, &a->hashes, "%ui", j - i) != NGX_OK)
        {
            return NGX_ERROR;
        }

        for (n = i; n < j; n++) {
            c = b->items[n];

            if (ngx_http_cx_flush_arg(&a->hashes, c->data + c->key_len,
                                      c->field_len)
                != NGX_OK
                || ngx_http_cx_flush_num(a, &a->hashes, "%L", c->n)
                   != NGX_OK)
            {
                return NGX_ERROR;
            }
        }
    }

    return NGX_OK;
}


/*
 * A record's arguments: its token and event, the set of its site's
 * custom names of the day (or 0 for the widget's own events), the
 * counters it adds to (hash number, field; a question variant's event
 * and score also as "...@variant" in sv and sc), and the follow-up
 * stream entry of a low score.  A hash a record adds to first is described
 * (with no counters of its own) before the records in ARGV.
 */

static ngx_int_t
ngx_http_cx_flush_record(ngx_http_cx_flush_args_t *a,
    ngx_http_cx_record_t *rec)
{
    u_char                   *p, *f;
    ngx_tm_t                  tm;
    ngx_str_t                 key;
    ngx_uint_t                i, k, nk, nv, fresh, h[6];
    ngx_array_t              *args;
    ngx_http_cx_main_conf_t  *cmcf;
    u_char                    day[8], hour[2];
    u_char                    buf[NGX_HTTP_CX_KEY_MAX];
    u_char                    fbuf[NGX_HTTP_CX_KEY_MAX];

    static const char  *kinds[] = { "sv", "svh", "tp", "tph", "sc", "sch" };

    cmcf = a->cmcf;
    args = &a->records;

    ngx_gmtime(rec->time, &tm);
    ngx_sprintf(day, "%04d%02d%02d", tm.ngx_tm_year, tm.ngx_tm_mon,
                tm.ngx_tm_mday);
    ngx_sprintf(hour, "%02d", tm.ngx_tm_hour);

    /* the hashes first: a new one is described before the records */

    nk = (rec->score >= 0 && !rec->commented) ? 6 : 4;

    for (i = 0; i < nk; i++) {

        /* tp and tph are the journey's, the others the survey's */

        key.data = buf;
        key.len = ngx_http_cx_key(buf, &cmcf->redis_prefix, &rec->site,
                                  kinds[i], (i == 2 || i == 3)
                                            ? NULL : &rec->survey, day)
                  - buf;

        h[i] = ngx_http_cx_flush_hash(a, &key, &fresh);

        if (h[i] == 0
            || (fresh && ngx_http_cx_flush_num(a, &a->hashes, "0") != NGX_OK))
        {
            return NGX_ERROR;
        }
    }

    p = ngx_http_cx_key_token(buf, &cmcf->redis_prefix, &rec->site,
                              rec->nonce, rec->custom);
    k = ngx_http_cx_flush_key(a, buf, p - buf);

    if (k == 0
        || ngx_http_cx_flush_num(a, args, "%ui", k) != NGX_OK
        || ngx_http_cx_flush_arg(args, rec->event.data, rec->event.len)
           != NGX_OK
        || ngx_http_cx_flush_arg(args, (u_char *) "172800", 6) != NGX_OK)
    {
        return NGX_ERROR;
    }

    k = 0;

    if (rec->custom) {
        p = ngx_http_cx_key_names(buf, &cmcf->redis_prefix, &rec->site, day);

        k = ngx_http_cx_flush_key(a, buf, p - buf);
        if (k == 0) {
            return NGX_ERROR;
        }
    }

    nv = 0;

    if (rec->variant.len && !rec->custom) {
        nv = (nk == 6) ? 2 : 1;
    }

    if (ngx_http_cx_flush_num(a, args, "%ui", k) != NGX_OK
        || ngx_http_cx_flush_num(a, args, "%ui", nk + nv) != NGX_OK)
    {
        return NGX_ERROR;
    }

    for (i = 0; i < nk; i++) {

        /* the field: touchpoint:event or touchpoint:score, by hour */

        if (i < 4) {
            f = ngx_sprintf(fbuf, "%V:%V", &rec->touchpoint, &rec->event);

        } else {
            f = ngx_sprintf(fbuf, "%V:%i", &rec->touchpoint, rec->score);
        }

        if (i & 1) {
            f = ngx_sprintf(f, ":%*s", (size_t) 2, hour);
        }

        if (ngx_http_cx_flush_num(a, args, "%ui", h[i]) != NGX_OK
            || ngx_http_cx_flush_copy(a, args, fbuf, f - fbuf) != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    for (i = 0; i < nv; i++) {
        if (i == 0) {
            f = ngx_sprintf(fbuf, "%V:%V@%V", &rec->touchpoint, &rec->event,
                            &rec->variant);

        } else {
            f = ngx_sprintf(fbuf, "%V:%i@%V", &rec->touchpoint, rec->score,
                            &rec->variant);
        }

        if (ngx_http_cx_flush_num(a, args, "%ui", h[i ? 4 : 0]) != NGX_OK
            || ngx_http_cx_flush_copy(a, args, fbuf, f - fbuf) != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    if (!rec->followup) {
        return ngx_http_cx_flush_arg(args, (u_char *) "0", 1);
    }

    return ngx_http_cx_flush_followup(a, rec, &tm);
}


/* a record's follow-up stream entry */

static ngx_int_t
ngx_http_cx_flush_followup(ngx_http_cx_flush_args_t *a,
    ngx_http_cx_record_t *rec, ngx_tm_t *tm)
{
    u_char                   *p;
    ngx_uint_t                k;
    ngx_array_t              *args;
    ngx_http_cx_main_conf_t  *cmcf;
    u_char                    buf[NGX_HTTP_CX_KEY_MAX];

    cmcf = a->cmcf;
    args = &a->records;

    p = ngx_http_cx_key_followup(buf, &cmcf->redis_prefix, &rec->site);

    k = ngx_http_cx_flush_key(a, buf, p - buf);
    if (k == 0) {
        return NGX_ERROR;
    }

    if (ngx_http_cx_flush_arg(args, (u_char *) "1", 1) != NGX_OK
        || ngx_http_cx_flush_num(a, args, "%ui", k) != NGX_OK
        || ngx_http_cx_flush_num(a, args, "%ui", cmcf->followup_maxlen)
           != NGX_OK
        || ngx_http_cx_flush_num(a, args, "%T-0",
                                 (time_t) (rec->time
                                           - cmcf->followup_retention * 86400)
                                 * 1000)
           != NGX_OK
        || ngx_http_cx_flush_num(a, args, "%ui", rec->variant.len ? 8 : 7)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

#define ngx_http_cx_field(name, v)                                           \
    if (ngx_http_cx_flush_arg(args, (u_char *) name, sizeof(name) - 1)       \
        != NGX_OK                                                             \
        || ngx_http_cx_flush_arg(args, (v).data, (v).len) != NGX_OK)          \
    {                                                                         \
        return NGX_ERROR;                                                     \
    }

    ngx_http_cx_field("survey", rec->survey);
    ngx_http_cx_field("type", rec->type);
    ngx_http_cx_field("touchpoint", rec->touchpoint);

#undef ngx_http_cx_field

    if (ngx_http_cx_flush_arg(args, (u_char *) "score", 5) != NGX_OK
        || ngx_http_cx_flush_num(a, args, "%i", rec->score) != NGX_OK
        || ngx_http_cx_flush_arg(args, (u_char *) "comment", 7) != NGX_OK
        || ngx_http_cx_flush_arg(args, rec->comment.data, rec->comment.len)
           != NGX_OK
        || ngx_http_cx_flush_arg(args, (u_char *) "page", 4) != NGX_OK
        || ngx_http_cx_flush_arg(args, rec->page.data, rec->page.len)
           != NGX_OK
        || ngx_http_cx_flush_arg(args, (u_char *) "time", 4) != NGX_OK
        || ngx_http_cx_flush_num(a, args, "%4d-%02d-%02dT%02d:%02d:%02dZ",
                                 tm->ngx_tm_year, tm->ngx_tm_mon,
                                 tm->ngx_tm_mday, tm->ngx_tm_hour,
                                 tm->ngx_tm_min, tm->ngx_tm_sec)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* the question's variant, when it had one */

    if (rec->variant.len
        && (ngx_http_cx_flush_arg(args, (u_char *) "variant", 7) != NGX_OK
            || ngx_http_cx_flush_arg(args, rec->variant.data,
                                     rec->variant.len)
               != NGX_OK))
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* an argument that lives as long as the send (not copied) */

static ngx_int_t
ngx_http_cx_flush_arg(ngx_array_t *args, u_char *data, size_t len)
{
    ngx_str_t  *s;

    s = ngx_array_push(args);
    if (s == NULL) {
        return NGX_ERROR;
    }

    s->data = data;
    s->len = len;

    return NGX_OK;
}


/* a copy of an argument, in the pool */

static ngx_int_t
ngx_http_cx_flush_copy(ngx_http_cx_flush_args_t *a, ngx_array_t *args,
    u_char *data, size_t len)
{
    u_char  *p;

    p = ngx_pnalloc(a->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(p, data, len);

    return ngx_http_cx_flush_arg(args, p, len);
}


/* a printed number, in the pool */

static ngx_int_t
ngx_http_cx_flush_num(ngx_http_cx_flush_args_t *a, ngx_array_t *args,
    const char *fmt, ...)
{
    u_char   *p, *last;
    va_list   ap;

    p = ngx_pnalloc(a->pool, NGX_HTTP_CX_FLUSH_NUM);
    if (p == NULL) {
        return NGX_ERROR;
    }

    va_start(ap, fmt);
    last = ngx_vslprintf(p, p + NGX_HTTP_CX_FLUSH_NUM, fmt, ap);
    va_end(ap);

    return ngx_http_cx_flush_arg(args, p, last - p);
}


/* what the reply to a batch's EVALSHA means */

ngx_http_cx_flush_e
ngx_http_cx_flush_reply(redisReply *r, ngx_http_cx_flush_refused_t *refused)
{
    ngx_str_t   *s[2];
    ngx_uint_t   i;
    uint64_t    *n[4];

    ngx_memzero(refused, sizeof(ngx_http_cx_flush_refused_t));

    if (r->type == REDIS_REPLY_INTEGER && r->integer == 0) {
        return ngx_http_cx_flush_already;
    }

    if (r->type == REDIS_REPLY_ARRAY && r->elements >= 2
        && r->element[0]->type == REDIS_REPLY_INTEGER)
    {
        n[0] = &refused->replayed;
        n[1] = &refused->token_events;
        n[2] = &refused->event_names;
        n[3] = &refused->lost;

        for (i = 1; i < r->elements && i <= 4; i++) {
            if (r->element[i]->type == REDIS_REPLY_INTEGER
                && r->element[i]->integer > 0)
            {
                *n[i - 1] = r->element[i]->integer;
            }
        }

        /* the first refused write: its key and Redis' error */

        s[0] = &refused->lost_key;
        s[1] = &refused->lost_error;

        for (i = 5; i < r->elements && i <= 6; i++) {
            if (r->element[i]->type == REDIS_REPLY_STRING) {
                s[i - 5]->data = (u_char *) r->element[i]->str;
                s[i - 5]->len = r->element[i]->len;
            }
        }

        return ngx_http_cx_flush_applied;
    }

    if (r->type == REDIS_REPLY_ERROR) {

        if (ngx_strncmp(r->str, "NOSCRIPT", 8) == 0) {
            return ngx_http_cx_flush_noscript;
        }

        if (ngx_strncmp(r->str, "OOM", 3) == 0
            || ngx_strncmp(r->str, "BUSY", 4) == 0
            || ngx_strncmp(r->str, "LOADING", 7) == 0
            || ngx_strncmp(r->str, "READONLY", 8) == 0
            || ngx_strncmp(r->str, "MASTERDOWN", 10) == 0)
        {
            return ngx_http_cx_flush_refused;
        }
    }

    /* e.g. WRONGTYPE: the script ran and stopped part-way */

    return ngx_http_cx_flush_failed;
}
