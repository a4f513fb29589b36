
/*
 * ngx_http_cx_flush.c: the batch protocol.  Every cx_flush_interval the
 * worker's counters travel as one batch: a single EVALSHA of a script
 * that applies the batch only if its sequence number is new for this
 * worker, so a batch retried after a lost reply is applied once.  This
 * file owns the script, the EVALSHA of a batch and what its reply means;
 * the connection, and when to send and retry, are ngx_http_cx_redis.c's.
 */


#include "ngx_http_cx_flush.h"


#define NGX_HTTP_CX_BATCH_TTL       "604800"    /* a week, in seconds */


/*
 * KEYS[1] the worker's last applied sequence number, KEYS[2..] hashes.
 * ARGV: seq, ttl of the hashes (0: none), then for every hash: the
 * number of fields, then field, increment pairs; then the custom events
 * a token may carry, the custom names a site may count a day, the number
 * of records (widget events with a token), each: token key, event, token
 * ttl, the set of the site's custom names of the day ("" for shown,
 * dismissed, answered), the number of counters, counter key, field
 * pairs, then 0, or 1, stream key, maxlen, min id, the number of fields
 * and field, value pairs of its follow-up entry.
 *
 * A token's follow-up entries are one: the id of its entry is kept in
 * the token's "#entry" field, and a later record of the token (an
 * answer's comment, event commented) replaces that entry with the two
 * merged (a field the later one leaves empty keeps its value).
 *
 * A record is applied only if its token has not been used for its event,
 * and a custom one only if its token has fewer custom events than allowed
 * (counted in the token's "#custom" field) and its name is in the day's
 * set or the set has room for it: the rules of the door
 * (ngx_http_cx_token_use()), exact across workers.  The sequence number
 * is written first: if an increment failed half-way (a key of the wrong
 * type), a retry must not apply the first half again.  Returns 0 for a
 * batch already applied, else {1, replays, past the token's custom
 * events, past the site's custom names}.
 */

ngx_str_t  ngx_http_cx_flush_script = ngx_string(
    "local last = tonumber(redis.call('GET', KEYS[1]) or '0') "
    "local seq = tonumber(ARGV[1]) "
    "if seq <= last then return 0 end "
    "redis.call('SET', KEYS[1], ARGV[1], 'EX', " NGX_HTTP_CX_BATCH_TTL ") "
    "local ttl = tonumber(ARGV[2]) "
    "local a = 3 "
    "for k = 2, #KEYS do "
        "local n = tonumber(ARGV[a]) "
        "a = a + 1 "
        "for i = 1, n do "
            "redis.call('HINCRBY', KEYS[k], ARGV[a], ARGV[a + 1]) "
            "a = a + 2 "
        "end "
        "if ttl > 0 then redis.call('EXPIRE', KEYS[k], ttl) end "
    "end "
    "local replayed, token_over, names_over = 0, 0, 0 "
    "local per_token = tonumber(ARGV[a] or '0') "
    "local per_day = tonumber(ARGV[a + 1] or '0') "
    "local m = tonumber(ARGV[a + 2] or '0') "
    "a = a + 3 "
    "for r = 1, m do "
        "local tok, ev, names = ARGV[a], ARGV[a + 1], ARGV[a + 3] "
        "local fresh = false "
        "if redis.call('HEXISTS', tok, ev) == 1 then "
            "replayed = replayed + 1 "
        "elseif names == '' then "
            "fresh = true "
        "elseif tonumber(redis.call('HGET', tok, '#custom') or '0') "
                ">= per_token then "
            "token_over = token_over + 1 "
        "elseif redis.call('SISMEMBER', names, ev) == 0 "
                "and redis.call('SCARD', names) >= per_day then "
            "names_over = names_over + 1 "
        "else "
            "if redis.call('SADD', names, ev) == 1 then "
                "redis.call('EXPIRE', names, ARGV[a + 2]) "
            "end "
            "redis.call('HINCRBY', tok, '#custom', 1) "
            "fresh = true "
        "end "
        "if fresh then "
            "redis.call('HSET', tok, ev, 1) "
            "redis.call('EXPIRE', tok, ARGV[a + 2]) "
        "end "
        "local n = tonumber(ARGV[a + 4]) "
        "a = a + 5 "
        "for i = 1, n do "
            "if fresh then "
                "redis.call('HINCRBY', ARGV[a], ARGV[a + 1], 1) "
                "if ttl > 0 then redis.call('EXPIRE', ARGV[a], ttl) end "
            "end "
            "a = a + 2 "
        "end "
        "local x = ARGV[a] "
        "a = a + 1 "
        "if x == '1' then "
            "local nf = tonumber(ARGV[a + 3]) "
            "if fresh then "
                "local e = {'XADD', ARGV[a], 'MAXLEN', '~', ARGV[a + 1], '*'} "
                "local was, old = {}, redis.call('HGET', tok, '#entry') "
                "if old then "
                    "local o = redis.call('XRANGE', ARGV[a], old, old)[1] "
                    "if o then "
                        "for i = 1, #o[2], 2 do was[o[2][i]] = o[2][i + 1] end "
                        "redis.call('XDEL', ARGV[a], old) "
                    "end "
                "end "
                "for i = 0, nf - 1 do "
                    "local k, v = ARGV[a + 4 + 2 * i], ARGV[a + 5 + 2 * i] "
                    "if v == '' and was[k] then v = was[k] end "
                    "e[#e + 1] = k "
                    "e[#e + 1] = v "
                "end "
                "redis.call('HSET', tok, '#entry', redis.call(unpack(e))) "
                "redis.call('XTRIM', ARGV[a], 'MINID', '~', ARGV[a + 2]) "
            "end "
            "a = a + 4 + 2 * nf "
        "end "
    "end "
    "return {1, replayed, token_over, names_over}");


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
    ngx_uint_t   i;
    uint64_t    *n[3];

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

        for (i = 1; i < r->elements && i <= 3; i++) {
            if (r->element[i]->type == REDIS_REPLY_INTEGER
                && r->element[i]->integer > 0)
            {
                *n[i - 1] = r->element[i]->integer;
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
