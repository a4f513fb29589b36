
/*
 * ngx_http_cx_redis_subs.c: a worker's flush to a Redis Cluster
 * (docs/cluster.md, "The flush, split per shard and node").
 *
 * At each flush the worker's table is taken and split into sub-batches,
 * one per (site, shard), each with its slot and its own batch key; all
 * carry the flush's number.  A (site, shard) has a slot here, kept for
 * the worker's life: at most one sub-batch in flight each.  A fresh
 * sub-batch for a (site, shard) still busy (its primary slow, down,
 * failing over) goes back into the table, merged with newer counts: it
 * travels later with a larger number, while the other shards go on.
 *
 * Sub-batches go through the cluster's nodes (ngx_http_cx_redis_nodes.c),
 * which deal with where the slot is; those of one node in one flush go
 * out in one write (the connection sends at the event loop's next turn).
 * The replies mean what they mean for a single node's batch
 * (ngx_http_cx_flush_reply()): applied, already applied, refused before
 * it ran (back into the table unless an earlier send may have been
 * applied: then kept as is, sent again at the next flush), failed
 * part-way (dropped).  With cx_redis_wait, an applied sub-batch is kept
 * until WAIT on its primary's connection says enough replicas have it.
 */


#include "ngx_http_cx_module.h"
#include "ngx_http_cx_counter.h"
#include "ngx_http_cx_redis_conn.h"
#include "ngx_http_cx_redis_cluster.h"
#include "ngx_http_cx_redis_nodes.h"
#include "ngx_http_cx_redis_subs.h"
#include "ngx_http_cx_flush.h"
#include "ngx_http_cx_metrics.h"
#include "ngx_http_cx_util.h"
#include "ngx_http_cx_keys.h"


/* the batch key's time to live, as the flush script sets it */
#define NGX_HTTP_CX_SUBS_KEY_TTL    "604800"


/* a (site, shard): its sub-batch, and the command that carries it */

typedef struct {
    ngx_http_cx_nodes_cmd_t      cmd;
    ngx_http_cx_subs_t          *subs;
    ngx_http_cx_batch_t          batch;

    ngx_str_t                    site;
    ngx_uint_t                   shard;
    u_char                       site_data[NGX_HTTP_CX_NAME_MAX];

    unsigned                     in_flight:1;   /* EVALSHA or WAIT */
    unsigned                     maybe_applied:1;
} ngx_http_cx_sub_t;


struct ngx_http_cx_subs_s {
    ngx_cycle_t                 *cycle;
    ngx_log_t                   *log;
    ngx_http_cx_main_conf_t     *cmcf;
    ngx_http_cx_nodes_t         *nodes;
    u_char                      *batch_key;     /* the worker's */

    ngx_http_cx_sub_t          **all;
    ngx_uint_t                   nall;
    ngx_uint_t                   size;

    ngx_http_cx_subs_answered_pt answered;
    void                        *data;

    ngx_uint_t                   wait_failures;     /* in a row */
};


static ngx_uint_t ngx_http_cx_subs_held(void *data, ngx_str_t *site,
    ngx_uint_t shard);
static ngx_http_cx_sub_t *ngx_http_cx_subs_get(ngx_http_cx_subs_t *subs,
    ngx_str_t *site, ngx_uint_t shard, ngx_uint_t create);
static void ngx_http_cx_subs_send(ngx_http_cx_sub_t *sub);
static ngx_int_t ngx_http_cx_subs_write(ngx_http_cx_redis_conn_t *rc,
    ngx_http_cx_nodes_cmd_t *cmd, ngx_http_cx_redis_reply_pt handler);
static void ngx_http_cx_subs_reply(ngx_http_cx_nodes_cmd_t *cmd,
    ngx_http_cx_redis_conn_t *rc, redisReply *r);
static void ngx_http_cx_subs_applied(ngx_http_cx_sub_t *sub,
    ngx_http_cx_redis_conn_t *rc, ngx_http_cx_flush_refused_t *refused);
static ngx_int_t ngx_http_cx_subs_wait(ngx_http_cx_sub_t *sub,
    ngx_http_cx_redis_conn_t *rc, ngx_uint_t touch);
static void ngx_http_cx_subs_touched(ngx_http_cx_redis_conn_t *rc,
    redisReply *r, void *data);
static void ngx_http_cx_subs_wait_reply(ngx_http_cx_redis_conn_t *rc,
    redisReply *r, void *data);
static void ngx_http_cx_subs_done(ngx_http_cx_sub_t *sub);


ngx_http_cx_subs_t *
ngx_http_cx_subs_create(ngx_cycle_t *cycle, ngx_http_cx_main_conf_t *cmcf,
    ngx_http_cx_nodes_t *nodes, u_char *batch_key,
    ngx_http_cx_subs_answered_pt answered, void *data)
{
    ngx_http_cx_subs_t  *subs;

    subs = ngx_calloc(sizeof(ngx_http_cx_subs_t), cycle->log);
    if (subs == NULL) {
        return NULL;
    }

    subs->cycle = cycle;
    subs->log = cycle->log;
    subs->cmcf = cmcf;
    subs->nodes = nodes;
    subs->batch_key = batch_key;
    subs->answered = answered;
    subs->data = data;

    return subs;
}


ngx_int_t
ngx_http_cx_subs_flush(ngx_http_cx_subs_t *subs, uint64_t seq)
{
    ngx_int_t             rc;
    ngx_uint_t            i;
    ngx_array_t           parts;
    ngx_http_cx_sub_t    *sub;
    ngx_http_cx_batch_t   b, *p;

    /* what was kept (refused after a send that may have been applied) */

    for (i = 0; i < subs->nall; i++) {
        sub = subs->all[i];

        if (!sub->in_flight && !ngx_http_cx_batch_empty(&sub->batch)) {
            ngx_http_cx_stat_add_cycle(subs->cycle, ngx_http_cx_stat_retried,
                                       1);
            ngx_http_cx_subs_send(sub);
        }
    }

    ngx_memzero(&b, sizeof(ngx_http_cx_batch_t));

    rc = ngx_http_cx_counters_take(&b);

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (rc == NGX_DECLINED) {
        goto done;
    }

    b.seq = seq;

    if (ngx_array_init(&parts, ngx_cycle->pool, 16,
                       sizeof(ngx_http_cx_batch_t))
        != NGX_OK)
    {
        ngx_http_cx_counters_merge(&b);
        return NGX_ERROR;
    }

    /* a busy (site, shard)'s counts go back into the table, to wait */

    if (ngx_http_cx_flush_split(subs->cmcf, &b, ngx_http_cx_subs_held, subs,
                                &parts, subs->log)
        != NGX_OK)
    {
        ngx_http_cx_counters_merge(&b);
        ngx_array_destroy(&parts);
        return NGX_ERROR;
    }

    p = parts.elts;

    for (i = 0; i < parts.nelts; i++) {
        sub = ngx_http_cx_subs_get(subs, &p[i].site, p[i].shard, 1);

        if (sub == NULL) {
            ngx_http_cx_counters_merge(&p[i]);
            continue;
        }

        sub->batch = p[i];
        sub->batch.attempts = 0;
        sub->maybe_applied = 0;
        sub->cmd.slot = p[i].slot;

        ngx_http_cx_subs_send(sub);
    }

    ngx_array_destroy(&parts);

done:

    return ngx_http_cx_subs_busy(subs) ? NGX_OK : NGX_DECLINED;
}


ngx_uint_t
ngx_http_cx_subs_busy(ngx_http_cx_subs_t *subs)
{
    ngx_uint_t  i, n;

    n = 0;

    for (i = 0; i < subs->nall; i++) {
        if (subs->all[i]->in_flight
            || !ngx_http_cx_batch_empty(&subs->all[i]->batch))
        {
            n++;
        }
    }

    return n;
}


uint64_t
ngx_http_cx_subs_free(ngx_http_cx_subs_t *subs)
{
    uint64_t            events;
    ngx_uint_t          i;
    ngx_http_cx_sub_t  *sub;

    events = 0;

    for (i = 0; i < subs->nall; i++) {
        sub = subs->all[i];

        events += sub->batch.events;
        ngx_http_cx_batch_free(&sub->batch);
        ngx_free(sub);
    }

    if (subs->all) {
        ngx_free(subs->all);
    }

    ngx_free(subs);

    return events;
}


/* a (site, shard) with a sub-batch unanswered, or kept to be sent again */

static ngx_uint_t
ngx_http_cx_subs_held(void *data, ngx_str_t *site, ngx_uint_t shard)
{
    ngx_http_cx_subs_t  *subs = data;

    ngx_http_cx_sub_t  *sub;

    sub = ngx_http_cx_subs_get(subs, site, shard, 0);

    return sub && (sub->in_flight || !ngx_http_cx_batch_empty(&sub->batch));
}


/* the (site, shard)'s slot here, made at its first sub-batch if create */

static ngx_http_cx_sub_t *
ngx_http_cx_subs_get(ngx_http_cx_subs_t *subs, ngx_str_t *site,
    ngx_uint_t shard, ngx_uint_t create)
{
    ngx_uint_t           i;
    ngx_http_cx_sub_t   *sub, **all;

    for (i = 0; i < subs->nall; i++) {
        sub = subs->all[i];

        if (sub->shard == shard && sub->site.len == site->len
            && ngx_strncmp(sub->site.data, site->data, site->len) == 0)
        {
            return sub;
        }
    }

    if (!create || site->len > NGX_HTTP_CX_NAME_MAX) {
        return NULL;
    }

    if (subs->nall == subs->size) {
        all = ngx_alloc((subs->size * 2 + 16) * sizeof(void *), subs->log);
        if (all == NULL) {
            return NULL;
        }

        if (subs->all) {
            ngx_memcpy(all, subs->all, subs->nall * sizeof(void *));
            ngx_free(subs->all);
        }

        subs->all = all;
        subs->size = subs->size * 2 + 16;
    }

    sub = ngx_calloc(sizeof(ngx_http_cx_sub_t), subs->log);
    if (sub == NULL) {
        return NULL;
    }

    sub->subs = subs;
    sub->shard = shard;
    sub->site.data = sub->site_data;
    sub->site.len = site->len;
    ngx_memcpy(sub->site_data, site->data, site->len);

    sub->cmd.write = ngx_http_cx_subs_write;
    sub->cmd.done = ngx_http_cx_subs_reply;
    sub->cmd.data = sub;

    subs->all[subs->nall++] = sub;

    return sub;
}


static void
ngx_http_cx_subs_send(ngx_http_cx_sub_t *sub)
{
    sub->in_flight = 1;
    sub->batch.attempts++;
    sub->batch.sent = ngx_current_msec;

    ngx_http_cx_nodes_send(sub->subs->nodes, &sub->cmd);
}


/* the EVALSHA on a node that is up (again at every resend) */

static ngx_int_t
ngx_http_cx_subs_write(ngx_http_cx_redis_conn_t *rc,
    ngx_http_cx_nodes_cmd_t *cmd, ngx_http_cx_redis_reply_pt handler)
{
    ngx_http_cx_sub_t  *sub = cmd->data;

    u_char              *sha;
    ngx_http_cx_subs_t  *subs;

    subs = sub->subs;

    sha = ngx_http_cx_nodes_sha(subs->nodes, 0);

    if (sha == NULL) {
        return NGX_ERROR;
    }

    /* the part's keys and batch key are named in its shard */

    return ngx_http_cx_flush_send(subs->cmcf, rc, &sub->batch, sha,
                                  subs->batch_key, handler, cmd, subs->log);
}


static void
ngx_http_cx_subs_reply(ngx_http_cx_nodes_cmd_t *cmd,
    ngx_http_cx_redis_conn_t *rc, redisReply *r)
{
    ngx_http_cx_sub_t  *sub = cmd->data;

    ngx_uint_t                    level;
    ngx_http_cx_subs_t           *subs;
    ngx_http_cx_flush_e           frc;
    ngx_http_cx_flush_refused_t   refused;

    subs = sub->subs;

    sub->in_flight = 0;

    if (cmd->maybe_applied) {
        /* a send went unanswered: the sub-batch keeps its number */
        sub->maybe_applied = 1;
        cmd->maybe_applied = 0;
    }

    frc = ngx_http_cx_flush_reply(r, &refused);

    switch (frc) {

    case ngx_http_cx_flush_already:
        ngx_log_error(NGX_LOG_INFO, subs->log, 0,
                      "cx redis: batch %uL was already applied on %V",
                      sub->batch.seq, &rc->name);

        if (subs->cmcf->redis->wait) {
            sub->maybe_applied = 1;

            if (ngx_http_cx_subs_wait(sub, rc, 1) == NGX_OK) {
                return;
            }

            break;
        }

        ngx_http_cx_subs_done(sub);
        break;

    case ngx_http_cx_flush_applied:
        ngx_http_cx_subs_applied(sub, rc, &refused);

        if (subs->cmcf->redis->wait) {
            sub->maybe_applied = 1;

            if (ngx_http_cx_subs_wait(sub, rc, 0) == NGX_OK) {
                return;
            }

            break;
        }

        ngx_http_cx_subs_done(sub);
        break;

    case ngx_http_cx_flush_noscript:
    case ngx_http_cx_flush_refused:

        /* not applied: back into the table, unless an earlier send may be */

        ngx_log_error(NGX_LOG_ERR, subs->log, 0,
                      "cx redis: batch %uL refused by %V, will retry: %*s",
                      sub->batch.seq, &rc->name, (size_t) r->len, r->str);
        ngx_http_cx_stat_add_cycle(subs->cycle,
                                   ngx_http_cx_stat_redis_errors, 1);
        ngx_http_cx_stat_add_cycle(subs->cycle, ngx_http_cx_stat_retried, 1);

        if (!sub->maybe_applied) {
            ngx_http_cx_counters_merge(&sub->batch);
        }

        break;

    default: /* ngx_http_cx_flush_failed */

        /*
         * the script failed part-way (e.g. WRONGTYPE): never apply it
         * twice; keys of several slots (CROSSSLOT) are our bug
         */

        level = (r->type == REDIS_REPLY_ERROR && r->len >= 9
                 && ngx_strncmp(r->str, "CROSSSLOT", 9) == 0)
                ? NGX_LOG_ALERT : NGX_LOG_ERR;

        ngx_log_error(level, subs->log, 0,
                      "cx redis: batch %uL failed on %V, dropped: %*s",
                      sub->batch.seq, &rc->name,
                      (size_t) (r->type == REDIS_REPLY_ERROR ? r->len : 0),
                      r->str);
        ngx_http_cx_stat_add_cycle(subs->cycle,
                                   ngx_http_cx_stat_redis_errors, 1);
        ngx_http_cx_stat_add_cycle(subs->cycle, ngx_http_cx_stat_dropped,
                                   sub->batch.events);

        ngx_http_cx_batch_free(&sub->batch);
    }

    subs->answered(subs->data);
}


/* the records an applied sub-batch's script refused, by rule */

static void
ngx_http_cx_subs_applied(ngx_http_cx_sub_t *sub, ngx_http_cx_redis_conn_t *rc,
    ngx_http_cx_flush_refused_t *refused)
{
    static time_t    logged;
    static uint64_t  unlogged;

    ngx_cycle_t  *cycle;

    cycle = sub->subs->cycle;

    ngx_http_cx_stat_add_cycle(cycle, ngx_http_cx_stat_replayed,
                               refused->replayed);
    ngx_http_cx_stat_add_cycle(cycle, ngx_http_cx_stat_over_token_events,
                               refused->token_events);
    ngx_http_cx_stat_add_cycle(cycle, ngx_http_cx_stat_over_event_names,
                               refused->event_names);

    if (refused->lost == 0) {
        return;
    }

    ngx_http_cx_stat_add_cycle(cycle, ngx_http_cx_stat_lost, refused->lost);

    /* a poisoned key: a line a second at most */

    if (logged == ngx_time()) {
        unlogged += refused->lost;
        return;
    }

    logged = ngx_time();

    ngx_log_error(NGX_LOG_ERR, sub->subs->log, 0,
                  "cx redis: %uL count%s lost on %V in \"%V\": %V "
                  "(the rest of batch %uL applied; %uL more lost since "
                  "the last line)",
                  refused->lost, refused->lost == 1 ? "" : "s", &rc->name,
                  &refused->lost_key, &refused->lost_error, sub->batch.seq,
                  unlogged);

    unlogged = 0;
}


/*
 * cx_redis_wait on the primary that answered.  touch: the sub-batch was
 * recognised, not written, on this connection: a write first, so that
 * WAIT covers what the node holds.
 */

static ngx_int_t
ngx_http_cx_subs_wait(ngx_http_cx_sub_t *sub, ngx_http_cx_redis_conn_t *rc,
    ngx_uint_t touch)
{
    u_char                    n[NGX_INT_T_LEN], ms[NGX_INT_T_LEN];
    u_char                   *p, key[NGX_HTTP_CX_KEY_MAX];
    size_t                    lens[3];
    const char               *argv[3];
    ngx_http_cx_subs_t        *subs;
    ngx_http_cx_redis_conf_t  *conf;

    subs = sub->subs;
    conf = subs->cmcf->redis;

    if (touch) {
        argv[0] = "EXPIRE";
        lens[0] = 6;
        p = ngx_http_cx_flush_batch_key(subs->cmcf, &sub->batch,
                                        subs->batch_key, key);
        if (p == NULL) {
            return NGX_ERROR;
        }

        argv[1] = (const char *) key;
        lens[1] = p - key;
        argv[2] = NGX_HTTP_CX_SUBS_KEY_TTL;
        lens[2] = sizeof(NGX_HTTP_CX_SUBS_KEY_TTL) - 1;

        if (ngx_http_cx_redis_send(rc, 3, argv, lens,
                                   ngx_http_cx_subs_touched, sub)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    argv[0] = "WAIT";
    lens[0] = 4;
    argv[1] = (const char *) n;
    lens[1] = ngx_sprintf(n, "%ui", conf->wait) - n;
    argv[2] = (const char *) ms;
    lens[2] = ngx_sprintf(ms, "%M", conf->wait_timeout) - ms;

    if (ngx_http_cx_redis_send(rc, 3, argv, lens,
                               ngx_http_cx_subs_wait_reply, sub)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    sub->in_flight = 1;

    return NGX_OK;
}


static void
ngx_http_cx_subs_touched(ngx_http_cx_redis_conn_t *rc, redisReply *r,
    void *data)
{
    /* whatever it says, the WAIT after it tells */
}


static void
ngx_http_cx_subs_wait_reply(ngx_http_cx_redis_conn_t *rc, redisReply *r,
    void *data)
{
    ngx_http_cx_sub_t  *sub = data;

    ngx_uint_t           level;
    ngx_http_cx_subs_t  *subs;

    subs = sub->subs;

    sub->in_flight = 0;

    if (r == NULL) {
        /* the connection went: kept, sent again at the next flush */
        return;
    }

    if (r->type == REDIS_REPLY_INTEGER
        && r->integer >= (long long) subs->cmcf->redis->wait)
    {
        subs->wait_failures = 0;
        ngx_http_cx_subs_done(sub);
        subs->answered(subs->data);
        return;
    }

    /* kept: the next flush sends it again, and waits again */

    level = (subs->wait_failures++ == 0) ? NGX_LOG_WARN : NGX_LOG_INFO;

    if (r->type == REDIS_REPLY_INTEGER) {
        ngx_log_error(level, subs->log, 0,
                      "cx redis: batch %uL reached %uL of %ui replicas of "
                      "%V in %Mms (cx_redis_wait), kept to be sent again",
                      sub->batch.seq, (uint64_t) ngx_max(r->integer, 0),
                      subs->cmcf->redis->wait, &rc->name,
                      subs->cmcf->redis->wait_timeout);

    } else {
        ngx_log_error(NGX_LOG_ERR, subs->log, 0,
                      "cx redis: WAIT on %V failed, batch %uL kept to be "
                      "sent again: %*s", &rc->name, sub->batch.seq,
                      (size_t) (r->type == REDIS_REPLY_ERROR ? r->len : 0),
                      r->str);
    }

    ngx_http_cx_stat_add_cycle(subs->cycle,
                               ngx_http_cx_stat_redis_wait_timeouts, 1);

    subs->answered(subs->data);
}


static void
ngx_http_cx_subs_done(ngx_http_cx_sub_t *sub)
{
    ngx_cycle_t          *cycle;
    ngx_http_cx_batch_t  *b;

    cycle = sub->subs->cycle;
    b = &sub->batch;

    ngx_http_cx_stat_add_cycle(cycle, ngx_http_cx_stat_flushed, b->events);
    ngx_http_cx_stat_add_cycle(cycle, ngx_http_cx_stat_batches, 1);
    ngx_http_cx_stat_latency(cycle, ngx_current_msec - b->sent);

    ngx_http_cx_batch_free(b);
}
