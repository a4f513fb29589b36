
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
    int                     argc;
    u_char                 *p, *nums;
    size_t                 *lens;
    ngx_uint_t              i, j, k, nkeys, n;
    const char            **argv;
    ngx_http_cx_record_t   *rec;
    ngx_http_cx_counter_t  *c, *prev;

    /* count the hashes: the items are sorted by key */

    nkeys = 0;
    prev = NULL;

    for (i = 0; i < b->nitems; i++) {
        c = b->items[i];

        if (prev == NULL || prev->key_len != c->key_len
            || ngx_memcmp(prev->data, c->data, c->key_len) != 0)
        {
            nkeys++;
        }

        prev = c;
    }

    /*
     * EVALSHA sha numkeys batch-key keys... seq ttl (n (field incr)*n)*
     * per-token per-day m records...
     */

    argc = 3 + 1 + nkeys + 2 + nkeys + 2 * b->nitems + 3
           + b->nrecords * NGX_HTTP_CX_RECORD_ARGS;

    argv = ngx_alloc(argc * (sizeof(char *) + sizeof(size_t)), log);
    if (argv == NULL) {
        return NGX_ERROR;
    }

    lens = (size_t *) (argv + argc);

    /* numbers (numkeys, seq, ttl, counts, increments) and record keys */

    nums = ngx_alloc((6 + nkeys + b->nitems) * NGX_INT64_LEN
                     + b->nrecords * NGX_HTTP_CX_RECORD_BUF, log);
    if (nums == NULL) {
        ngx_free(argv);
        return NGX_ERROR;
    }

    p = nums;
    k = 0;

#define ngx_http_cx_arg(s, l)                                                \
    argv[k] = (const char *) (s); lens[k++] = (l)

#define ngx_http_cx_num(fmt, v)                                              \
    argv[k] = (const char *) p;                                               \
    lens[k] = ngx_sprintf(p, fmt, v) - p;                                     \
    p += lens[k++]

    ngx_http_cx_arg("EVALSHA", 7);
    ngx_http_cx_arg(sha, 40);
    ngx_http_cx_num("%ui", nkeys + 1);
    ngx_http_cx_arg(batch_key, ngx_strlen(batch_key));

    prev = NULL;

    for (i = 0; i < b->nitems; i++) {
        c = b->items[i];

        if (prev == NULL || prev->key_len != c->key_len
            || ngx_memcmp(prev->data, c->data, c->key_len) != 0)
        {
            ngx_http_cx_arg(c->data, c->key_len);
        }

        prev = c;
    }

    ngx_http_cx_num("%uL", b->seq);
    ngx_http_cx_num("%ui", cmcf->retention * 86400);

    for (i = 0; i < b->nitems; i = j) {
        c = b->items[i];

        for (j = i + 1; j < b->nitems; j++) {
            if (b->items[j]->key_len != c->key_len
                || ngx_memcmp(b->items[j]->data, c->data, c->key_len) != 0)
            {
                break;
            }
        }

        n = j - i;
        ngx_http_cx_num("%ui", n);

        for (n = i; n < j; n++) {
            c = b->items[n];
            ngx_http_cx_arg(c->data + c->key_len, c->field_len);
            ngx_http_cx_num("%L", c->n);
        }
    }

    ngx_http_cx_num("%ui", (ngx_uint_t) NGX_HTTP_CX_TOKEN_CUSTOM);
    ngx_http_cx_num("%ui", cmcf->custom_names);
    ngx_http_cx_num("%ui", b->nrecords);

    for (rec = b->records; rec; rec = rec->next) {
        k += ngx_http_cx_record_args(cmcf, rec, &argv[k], &lens[k], &p);
    }

#undef ngx_http_cx_arg
#undef ngx_http_cx_num

    if (ngx_http_cx_redis_send(rc, k, argv, lens, cb, data) != NGX_OK) {
        ngx_free(nums);
        ngx_free(argv);
        return NGX_ERROR;
    }

    ngx_free(nums);
    ngx_free(argv);

    ngx_log_debug3(NGX_LOG_DEBUG_EVENT, log, 0,
                   "cx redis: batch %uL: %ui counters, %uL events",
                   b->seq, b->nitems, b->events);

    return NGX_OK;
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
