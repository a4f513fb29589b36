
/*
 * ngx_http_cx_redis.c: when the worker flushes, and what it does with
 * Redis' answers.
 *
 * One connection per worker (ngx_http_cx_redis_conn.c: nginx's own I/O,
 * TLS, names, AUTH and SELECT), connected again with capped exponential
 * backoff (with jitter) when it fails.  Where it goes: cx_redis' node,
 * or with cx_redis_sentinel the primary the sentinels name
 * (ngx_http_cx_redis_sentinel.c), asked again at every retry, followed at
 * once when they announce a failover, and checked with ROLE before
 * anything is written.  Once it is ready the flush script is loaded
 * (SCRIPT LOAD), and every cx_flush_interval the worker's counters
 * travel as one batch, in the protocol of ngx_http_cx_flush.c.  One batch
 * is in flight at a time; a batch whose outcome is unknown (a lost reply,
 * a reply that did not come within cx_redis_timeout, a primary that went
 * away) is retried unchanged, to whichever primary is current; one Redis
 * refused before running it goes back into the table, merged with newer
 * counts, unless an earlier attempt may have been applied.
 *
 * With cx_redis_wait, an applied batch is kept until WAIT says enough
 * replicas have it; short of that it is sent again (the script
 * recognises it) and waited for again.  A batch that was already applied
 * is recognised without a write, so its connection's WAIT would not cover
 * it: the worker first touches its batch key (EXPIRE), which makes the
 * WAIT that follows cover everything the node holds.
 *
 * With cx_redis_cluster the connections are a cluster's
 * (ngx_http_cx_redis_nodes.c: the slot map, a connection per primary,
 * the redirections): a batch goes to the primary of its slot, and the
 * rest is the same.
 *
 * On graceful shutdown the worker makes a last flush, bounded by
 * cx_redis_timeout.
 */


#include "ngx_http_cx_module.h"
#include "ngx_http_cx_counter.h"
#include "ngx_http_cx_redis_conn.h"
#include "ngx_http_cx_redis_sentinel.h"
#include "ngx_http_cx_redis_nodes.h"
#include "ngx_http_cx_redis_subs.h"
#include "ngx_http_cx_flush.h"
#include "ngx_http_cx_redis.h"
#include "ngx_http_cx_metrics.h"
#include "ngx_http_cx_token.h"
#include "ngx_http_cx_util.h"
#include "ngx_http_cx_keys.h"


#define NGX_HTTP_CX_BACKOFF_MIN     100
#define NGX_HTTP_CX_BACKOFF_MAX     10000
#define NGX_HTTP_CX_WAIT_LOG        10000   /* a WAIT warning at most */

/* the batch key's time to live, as the flush script sets it */
#define NGX_HTTP_CX_BATCH_KEY_TTL   "604800"


typedef enum {
    ngx_http_cx_redis_down = 0,
    ngx_http_cx_redis_discovering,      /* the sentinels asked */
    ngx_http_cx_redis_connecting,
    ngx_http_cx_redis_verifying,        /* ROLE sent */
    ngx_http_cx_redis_loading,          /* SCRIPT LOAD sent */
    ngx_http_cx_redis_up
} ngx_http_cx_redis_state_e;


typedef struct {
    ngx_http_cx_redis_conn_t     conn;
    ngx_http_cx_main_conf_t     *cmcf;
    ngx_cycle_t                 *cycle;
    ngx_log_t                   *log;

    ngx_event_t                  flush;     /* every cx_flush_interval */
    ngx_event_t                  retry;     /* backoff */
    ngx_event_t                  quit;      /* bounds the last flush */
    ngx_event_t                  late;      /* counts after it */

    ngx_msec_t                   backoff;
    ngx_uint_t                   failures;  /* in a row */
    ngx_http_cx_redis_state_e    state;
    ngx_msec_t                   down_since;    /* 0: up, or never was */

    /* cx_redis_sentinel: the primary named, and the one before */
    ngx_http_cx_sentinel_t      *sentinel;
    ngx_http_cx_redis_found_t    primary[2];
    ngx_uint_t                   current;   /* primary[current] */

    /* cx_redis_cluster: its nodes, and the batch in sub-batches */
    ngx_http_cx_nodes_t         *nodes;
    ngx_http_cx_subs_t          *subs;

    ngx_http_cx_batch_t          batch;
    uint64_t                     seq;

    ngx_uint_t                   wait_failures;     /* in a row */
    ngx_msec_t                   wait_logged;

    u_char                       sha[41];
    u_char                       batch_key[NGX_HTTP_CX_NAME_MAX + 64];

    unsigned                     in_flight:1;
    unsigned                     maybe_applied:1;   /* the batch */
    unsigned                     named:1;   /* a primary was named */
    unsigned                     exiting:1;
} ngx_http_cx_redis_t;


/* per worker: set up in ngx_http_cx_redis_init_worker() */
static ngx_http_cx_redis_t  ngx_http_cx_redis;

static ngx_str_t  ngx_http_cx_redis_cluster_name = ngx_string("the cluster");


static void ngx_http_cx_redis_connect_now(ngx_http_cx_redis_t *w);
static void ngx_http_cx_redis_found(void *data, ngx_str_t *host,
    ngx_str_t *port, ngx_uint_t switched);
static void ngx_http_cx_redis_ready(ngx_http_cx_redis_conn_t *rc);
static void ngx_http_cx_redis_role_reply(ngx_http_cx_redis_conn_t *rc,
    redisReply *r, void *data);
static void ngx_http_cx_redis_closed(ngx_http_cx_redis_conn_t *rc);
static void ngx_http_cx_redis_quit(ngx_http_cx_redis_conn_t *rc);
static void ngx_http_cx_redis_load_script(ngx_http_cx_redis_t *w);
static void ngx_http_cx_redis_script_reply(ngx_http_cx_redis_conn_t *rc,
    redisReply *reply, void *data);
static void ngx_http_cx_redis_flush_handler(ngx_event_t *ev);
static void ngx_http_cx_redis_late_handler(ngx_event_t *ev);
static void ngx_http_cx_redis_flush(ngx_http_cx_redis_t *w);
static ngx_int_t ngx_http_cx_redis_send_batch(ngx_http_cx_redis_t *w);
static void ngx_http_cx_redis_batch_reply(ngx_http_cx_redis_conn_t *rc,
    redisReply *reply, void *data);
static ngx_int_t ngx_http_cx_redis_send_wait(ngx_http_cx_redis_t *w,
    ngx_uint_t touch);
static ngx_int_t ngx_http_cx_redis_cluster_start(ngx_http_cx_redis_t *w);
static void ngx_http_cx_redis_cluster_answered(void *data);
static void ngx_http_cx_redis_cluster_quit(void *data);
static void ngx_http_cx_redis_touched(ngx_http_cx_redis_conn_t *rc,
    redisReply *r, void *data);
static void ngx_http_cx_redis_wait_reply(ngx_http_cx_redis_conn_t *rc,
    redisReply *r, void *data);
static void ngx_http_cx_redis_lost(ngx_http_cx_redis_t *w,
    ngx_http_cx_redis_conn_t *rc, ngx_http_cx_flush_refused_t *refused);
static void ngx_http_cx_redis_batch_done(ngx_http_cx_redis_t *w);
static void ngx_http_cx_redis_batch_drop(ngx_http_cx_redis_t *w);
static void ngx_http_cx_redis_retry_handler(ngx_event_t *ev);
static void ngx_http_cx_redis_quit_handler(ngx_event_t *ev);
static void ngx_http_cx_redis_schedule(ngx_http_cx_redis_t *w);
static void ngx_http_cx_redis_drop_connection(ngx_http_cx_redis_t *w);
static void ngx_http_cx_redis_went_down(ngx_http_cx_redis_t *w);
static void ngx_http_cx_redis_log_drops(ngx_http_cx_redis_t *w);
static ngx_uint_t ngx_http_cx_redis_failure(ngx_http_cx_redis_t *w);


ngx_int_t
ngx_http_cx_redis_init_worker(ngx_cycle_t *cycle)
{
    uint64_t                  id;
    ngx_http_cx_redis_t      *w;
    ngx_http_cx_main_conf_t  *cmcf;

    cmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_cx_module);

    if (cmcf == NULL || cmcf->redis == NULL) {
        return NGX_OK;
    }

    w = &ngx_http_cx_redis;
    ngx_memzero(w, sizeof(ngx_http_cx_redis_t));

    w->cmcf = cmcf;
    w->cycle = cycle;
    w->log = cycle->log;

    if (ngx_http_cx_counters_init(cycle, cmcf->buffer) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ngx_http_cx_redis_conn_init(&w->conn, cmcf->redis,
                                    cmcf->redis_timeout, w->log)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    w->conn.data = w;
    w->conn.ready = ngx_http_cx_redis_ready;
    w->conn.closed = ngx_http_cx_redis_closed;
    w->conn.quit = ngx_http_cx_redis_quit;

    /* this worker's batches are numbered under a key of its own */

    id = ngx_http_cx_random64();

    *ngx_http_cx_key_batch(w->batch_key, &cmcf->redis_prefix, id) = '\0';

    w->seq = 1;
    w->backoff = NGX_HTTP_CX_BACKOFF_MIN;

    w->flush.handler = ngx_http_cx_redis_flush_handler;
    w->flush.data = w;
    w->flush.log = w->log;
    w->flush.cancelable = 1;

    w->retry.handler = ngx_http_cx_redis_retry_handler;
    w->retry.data = w;
    w->retry.log = w->log;
    w->retry.cancelable = 1;

    /* not cancelable: it keeps an exiting worker alive for the last flush */
    w->quit.handler = ngx_http_cx_redis_quit_handler;
    w->quit.data = w;
    w->quit.log = w->log;

    w->late.handler = ngx_http_cx_redis_late_handler;
    w->late.data = w;
    w->late.log = w->log;

    ngx_http_cx_stat_worker(cycle, 0);

    ngx_add_timer(&w->flush, cmcf->flush_interval);

    if (cmcf->redis->seeds) {
        return ngx_http_cx_redis_cluster_start(w);
    }

    if (cmcf->redis->sentinels == NULL) {
        ngx_http_cx_redis_connect_now(w);
        return NGX_OK;
    }

    w->sentinel = ngx_http_cx_sentinel_create(cmcf->redis,
                                              cmcf->redis_timeout, w->log,
                                              ngx_http_cx_redis_found, w);
    if (w->sentinel == NULL) {
        return NGX_ERROR;
    }

    w->state = ngx_http_cx_redis_discovering;

    ngx_http_cx_sentinel_ask(w->sentinel);

    return NGX_OK;
}


void
ngx_http_cx_redis_exit_worker(ngx_cycle_t *cycle)
{
    uint64_t              events;
    ngx_http_cx_redis_t  *w;

    w = &ngx_http_cx_redis;

    if (w->cmcf == NULL) {
        return;
    }

    w->exiting = 1;

    /* runs the batch callback with no reply: the batch stays put */
    ngx_http_cx_redis_conn_free(&w->conn);

    if (w->sentinel) {
        ngx_http_cx_sentinel_free(w->sentinel);
        w->sentinel = NULL;
    }

    if (w->nodes) {
        ngx_http_cx_nodes_free(w->nodes);
        w->nodes = NULL;
    }

    ngx_http_cx_redis_log_drops(w);

    (void) ngx_http_cx_counters_pending(&events);
    events += w->batch.events;

    if (w->subs) {
        events += ngx_http_cx_subs_free(w->subs);
        w->subs = NULL;
    }

    if (events) {
        ngx_log_error(NGX_LOG_WARN, cycle->log, 0,
                      "cx redis: %uL counts not flushed at exit",
                      events);
        ngx_http_cx_stat_add_cycle(cycle, ngx_http_cx_stat_dropped, events);
    }

    ngx_http_cx_batch_free(&w->batch);
    ngx_http_cx_counters_done();

    ngx_http_cx_stat_worker(cycle, 0);

    w->cmcf = NULL;
}


static void
ngx_http_cx_redis_connect_now(ngx_http_cx_redis_t *w)
{
    w->state = ngx_http_cx_redis_connecting;

    /* ready() or closed() may be called before this returns */
    ngx_http_cx_redis_connect(&w->conn);
}


/*
 * cx_redis_cluster: the nodes are asked for the map; the worker is up at
 * once, a batch waits in the nodes' unit for the map and its primary.
 */

static ngx_int_t
ngx_http_cx_redis_cluster_start(ngx_http_cx_redis_t *w)
{
    ngx_str_t  script;

    ngx_http_cx_flush_script(&script);

    w->nodes = ngx_http_cx_nodes_create(w->cycle, w->cmcf->redis,
                                        w->cmcf->redis_timeout,
                                        w->cmcf->flush_interval, &script, 1);
    if (w->nodes == NULL) {
        return NGX_ERROR;
    }

    w->subs = ngx_http_cx_subs_create(w->cycle, w->cmcf, w->nodes,
                                      w->batch_key,
                                      ngx_http_cx_redis_cluster_answered, w);
    if (w->subs == NULL) {
        return NGX_ERROR;
    }

    w->state = ngx_http_cx_redis_up;

    ngx_http_cx_nodes_start(w->nodes, ngx_http_cx_redis_cluster_quit, w);

    return NGX_OK;
}


/* a sub-batch was answered: while exiting, the next goes at once */

static void
ngx_http_cx_redis_cluster_answered(void *data)
{
    ngx_http_cx_redis_t  *w = data;

    if (w->exiting) {
        ngx_http_cx_redis_flush(w);
    }
}


static void
ngx_http_cx_redis_cluster_quit(void *data)
{
    ngx_http_cx_redis_t  *w = data;

    ngx_http_cx_redis_quit(&w->conn);
}


/*
 * The sentinels named the primary (an answer, or a failover they
 * announce), or none answered (host NULL).  A new primary: the
 * connection to the old one goes (a batch in flight stays, to be sent
 * again) and the worker connects at once.
 */

static void
ngx_http_cx_redis_found(void *data, ngx_str_t *host, ngx_str_t *port,
    ngx_uint_t switched)
{
    ngx_http_cx_redis_t *w = data;

    ngx_int_t                   rc;
    ngx_uint_t                  level;
    ngx_http_cx_redis_found_t  *f, *old;

    if (w->exiting || ngx_exiting || ngx_terminate) {
        return;
    }

    if (host == NULL) {
        if (w->state == ngx_http_cx_redis_discovering) {
            level = ngx_http_cx_redis_failure(w);

            ngx_log_error(level, w->log, 0,
                          "cx redis: no sentinel named the primary \"%V\"",
                          &w->cmcf->redis->master);
            ngx_http_cx_stat_add_cycle(w->cycle,
                                       ngx_http_cx_stat_redis_errors, 1);

            w->state = ngx_http_cx_redis_down;
            ngx_http_cx_redis_schedule(w);
        }

        return;
    }

    old = &w->primary[w->current];
    f = &w->primary[w->current ^ 1];

    rc = ngx_http_cx_redis_node_found(f, w->cmcf->redis, host, port);

    if (rc != NGX_OK) {
        ngx_log_error(NGX_LOG_ERR, w->log, 0,
                      "cx redis: a sentinel named \"%V\" port \"%V\" as "
                      "the primary \"%V\": %s", host, port,
                      &w->cmcf->redis->master,
                      rc == NGX_ABORT ? "a name, and there is no resolver "
                                        "(cx_redis_resolver)"
                                      : "not an address");
        ngx_http_cx_stat_add_cycle(w->cycle, ngx_http_cx_stat_redis_errors,
                                   1);

        if (w->state == ngx_http_cx_redis_discovering) {
            w->state = ngx_http_cx_redis_down;
            ngx_http_cx_redis_schedule(w);
        }

        return;
    }

    if (w->named && f->node.addr.len == old->node.addr.len
        && ngx_strncmp(f->node.addr.data, old->node.addr.data,
                       f->node.addr.len)
           == 0)
    {
        /* the same: connect if asked to, else it is being taken care of */

        if (w->state == ngx_http_cx_redis_discovering) {
            ngx_http_cx_redis_connect_now(w);
        }

        return;
    }

    if (w->named) {
        level = switched ? NGX_LOG_WARN : NGX_LOG_NOTICE;

        ngx_log_error(level, w->log, 0,
                      "cx redis: the primary \"%V\" is now %V (was %V)%s",
                      &w->cmcf->redis->master, &f->node.addr,
                      &old->node.addr, switched ? ": a failover" : "");
        ngx_http_cx_stat_add_cycle(w->cycle,
                                   ngx_http_cx_stat_redis_primary_changes, 1);
    }

    if (w->state != ngx_http_cx_redis_down
        && w->state != ngx_http_cx_redis_discovering)
    {
        ngx_http_cx_redis_drop_connection(w);
    }

    w->current ^= 1;
    w->named = 1;
    w->conn.node = &f->node;

    if (w->retry.timer_set) {
        ngx_del_timer(&w->retry);
    }

    w->backoff = NGX_HTTP_CX_BACKOFF_MIN;

    ngx_http_cx_redis_connect_now(w);
}


/* connected, AUTH and SELECT done: ROLE (Sentinel), the flush script */

static void
ngx_http_cx_redis_ready(ngx_http_cx_redis_conn_t *rc)
{
    ngx_http_cx_redis_t  *w = rc->data;

    size_t       len;
    const char  *argv[1];

    ngx_log_debug1(NGX_LOG_DEBUG_EVENT, w->log, 0,
                   "cx redis: connected to %V", &rc->name);

    if (w->sentinel == NULL) {
        ngx_http_cx_redis_load_script(w);
        return;
    }

    /* what a sentinel names may have changed since: ask the node */

    argv[0] = "ROLE";
    len = 4;

    w->state = ngx_http_cx_redis_verifying;

    if (ngx_http_cx_redis_send(rc, 1, argv, &len,
                               ngx_http_cx_redis_role_reply, w)
        != NGX_OK)
    {
        ngx_log_error(NGX_LOG_ERR, w->log, 0,
                      "cx redis: cannot send ROLE to %V", &rc->name);
        ngx_http_cx_redis_drop_connection(w);
        ngx_http_cx_redis_schedule(w);
    }
}


static void
ngx_http_cx_redis_role_reply(ngx_http_cx_redis_conn_t *rc, redisReply *r,
    void *data)
{
    ngx_http_cx_redis_t *w = data;

    ngx_str_t  role;

    if (r == NULL) {
        return;
    }

    if (r->type == REDIS_REPLY_ERROR) {

        if (ngx_strncmp(r->str, "NOPERM", 6) == 0) {
            /* a replica would say READONLY to the batch: that is checked */
            ngx_log_error(NGX_LOG_WARN, w->log, 0,
                          "cx redis: cannot check the role of %V, going "
                          "by the sentinels: %*s", &rc->name,
                          (size_t) r->len, r->str);

            ngx_http_cx_redis_load_script(w);
            return;
        }

        ngx_log_error(NGX_LOG_ERR, w->log, 0,
                      "cx redis: ROLE on %V failed: %*s", &rc->name,
                      (size_t) r->len, r->str);
        goto again;
    }

    if (ngx_http_cx_sentinel_role(r, &role) != NGX_OK) {
        ngx_log_error(NGX_LOG_ERR, w->log, 0,
                      "cx redis: ROLE on %V: not a role", &rc->name);
        goto again;
    }

    if (role.len == 6 && ngx_strncmp(role.data, "master", 6) == 0) {
        ngx_http_cx_redis_load_script(w);
        return;
    }

    ngx_log_error(NGX_LOG_WARN, w->log, 0,
                  "cx redis: %V is a %V, not the primary: asking the "
                  "sentinels again", &rc->name, &role);

again:

    ngx_http_cx_stat_add_cycle(w->cycle, ngx_http_cx_stat_redis_errors, 1);

    ngx_http_cx_redis_drop_connection(w);
    ngx_http_cx_redis_schedule(w);
}


static void
ngx_http_cx_redis_load_script(ngx_http_cx_redis_t *w)
{
    size_t       lens[3];
    ngx_str_t    script;
    const char  *argv[3];

    ngx_http_cx_flush_script(&script);

    argv[0] = "SCRIPT";
    lens[0] = 6;
    argv[1] = "LOAD";
    lens[1] = 4;
    argv[2] = (const char *) script.data;
    lens[2] = script.len;

    w->state = ngx_http_cx_redis_loading;

    if (ngx_http_cx_redis_send(&w->conn, 3, argv, lens,
                               ngx_http_cx_redis_script_reply, w)
        != NGX_OK)
    {
        ngx_log_error(NGX_LOG_ERR, w->log, 0,
                      "cx redis: cannot send SCRIPT LOAD to %V",
                      &w->conn.name);
        ngx_http_cx_redis_drop_connection(w);
        ngx_http_cx_redis_schedule(w);
    }
}


/* the connection ended by itself: refused, timed out, lost */

static void
ngx_http_cx_redis_closed(ngx_http_cx_redis_conn_t *rc)
{
    ngx_http_cx_redis_t  *w = rc->data;

    ngx_uint_t  level;

    level = rc->lost ? NGX_LOG_ERR : ngx_http_cx_redis_failure(w);

    ngx_log_error(level, w->log, 0, "cx redis: %s", rc->error);
    ngx_http_cx_stat_add_cycle(w->cycle, ngx_http_cx_stat_redis_errors, 1);

    ngx_http_cx_redis_went_down(w);

    w->state = ngx_http_cx_redis_down;
    w->in_flight = 0;
    ngx_http_cx_stat_worker(w->cycle, 0);

    if (!w->exiting) {
        ngx_http_cx_redis_schedule(w);
    }
}


static void
ngx_http_cx_redis_script_reply(ngx_http_cx_redis_conn_t *rc,
    redisReply *r, void *data)
{
    ngx_http_cx_redis_t  *w = data;

    if (r == NULL) {
        return;
    }

    if (r->type != REDIS_REPLY_STRING || r->len != 40) {
        ngx_log_error(NGX_LOG_ERR, w->log, 0,
                      "cx redis: SCRIPT LOAD on %V failed: %*s",
                      &rc->name,
                      (size_t) (r->type == REDIS_REPLY_ERROR ? r->len : 0),
                      r->str);
        ngx_http_cx_stat_add_cycle(w->cycle, ngx_http_cx_stat_redis_errors,
                                   1);

        ngx_http_cx_redis_drop_connection(w);
        ngx_http_cx_redis_schedule(w);
        return;
    }

    ngx_memcpy(w->sha, r->str, 40);
    w->sha[40] = '\0';

    if (w->down_since) {
        ngx_log_error(NGX_LOG_NOTICE, w->log, 0,
                      "cx redis: connected to %V after %ui failed attempts, "
                      "%Mms without Redis", &rc->name, w->failures,
                      ngx_current_msec - w->down_since);

    } else if (w->failures) {
        ngx_log_error(NGX_LOG_NOTICE, w->log, 0,
                      "cx redis: connected to %V after %ui failed attempts",
                      &rc->name, w->failures);
    }

    w->down_since = 0;

    w->state = ngx_http_cx_redis_up;
    w->backoff = NGX_HTTP_CX_BACKOFF_MIN;
    w->failures = 0;

    ngx_http_cx_stat_add_cycle(w->cycle, ngx_http_cx_stat_redis_connects, 1);
    ngx_http_cx_stat_worker(w->cycle, 1);

    /* a batch left over from the last connection goes first */

    if (!ngx_http_cx_batch_empty(&w->batch) || w->exiting) {
        ngx_http_cx_redis_flush(w);
    }
}


static void
ngx_http_cx_redis_flush_handler(ngx_event_t *ev)
{
    ngx_http_cx_redis_t  *w = ev->data;

    if (w->exiting || ngx_exiting || ngx_terminate) {
        return;
    }

    ngx_add_timer(&w->flush, w->cmcf->flush_interval);

    ngx_http_cx_redis_log_drops(w);

    ngx_http_cx_redis_flush(w);
}


/*
 * A count made while the worker quits: a request that was still running
 * when the last flush went.  The flush after the event loop's turn sends
 * it (nginx keeps the worker alive for the quit timer meanwhile).
 */

void
ngx_http_cx_redis_counted(void)
{
    ngx_http_cx_redis_t  *w;

    w = &ngx_http_cx_redis;

    if (w->cmcf && !w->late.posted) {
        ngx_post_event(&w->late, &ngx_posted_events);
    }
}


static void
ngx_http_cx_redis_late_handler(ngx_event_t *ev)
{
    ngx_http_cx_redis_t  *w = ev->data;

    if (w->state != ngx_http_cx_redis_up || w->in_flight) {
        /* the reply to what is in flight flushes again */
        return;
    }

    w->exiting = 1;

    if (!w->quit.timer_set) {
        ngx_add_timer(&w->quit, w->cmcf->redis_timeout);
    }

    ngx_http_cx_redis_flush(w);
}


static void
ngx_http_cx_redis_flush(ngx_http_cx_redis_t *w)
{
    ngx_int_t  rc;

    if (w->state != ngx_http_cx_redis_up || w->in_flight) {
        return;
    }

    if (w->subs) {
        /* cx_redis_cluster: every (site, shard) not busy goes */
        if (ngx_http_cx_subs_flush(w->subs, w->seq++) == NGX_OK) {
            return;
        }

        goto nothing;
    }

    if (ngx_http_cx_batch_empty(&w->batch)) {
        rc = ngx_http_cx_counters_take(&w->batch);

        if (rc == NGX_ERROR) {
            return;
        }

        if (rc == NGX_DECLINED) {
            goto nothing;
        }

        w->batch.seq = w->seq++;
        w->batch.attempts = 0;
        w->maybe_applied = 0;

    } else {
        ngx_http_cx_stat_add_cycle(w->cycle, ngx_http_cx_stat_retried, 1);
    }

    if (ngx_http_cx_redis_send_batch(w) == NGX_OK) {
        return;
    }

nothing:

    if (w->exiting && w->quit.timer_set) {
        /*
         * The last flush is done; the connection stays for the counts of
         * requests still running (ngx_http_cx_redis_counted()), until the
         * worker exits
         */
        ngx_del_timer(&w->quit);
    }
}


/* the connection's reply timeout (cx_redis_timeout) bounds the wait */

static ngx_int_t
ngx_http_cx_redis_send_batch(ngx_http_cx_redis_t *w)
{
    ngx_http_cx_batch_t  *b;

    b = &w->batch;

    if (ngx_http_cx_flush_send(w->cmcf, &w->conn, b, w->sha, w->batch_key,
                               ngx_http_cx_redis_batch_reply, w, w->log)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    b->attempts++;
    b->sent = ngx_current_msec;
    w->in_flight = 1;

    return NGX_OK;
}


static void
ngx_http_cx_redis_batch_reply(ngx_http_cx_redis_conn_t *rc, redisReply *r,
    void *data)
{
    ngx_uint_t                    level;
    ngx_http_cx_flush_e           frc;
    ngx_http_cx_redis_t          *w = data;
    ngx_http_cx_flush_refused_t   refused;

    w->in_flight = 0;

    if (r == NULL) {
        /* the connection went away: the outcome is unknown, retry as is */
        w->maybe_applied = 1;
        return;
    }

    frc = ngx_http_cx_flush_reply(r, &refused);

    switch (frc) {

    case ngx_http_cx_flush_already:
        ngx_log_error(NGX_LOG_INFO, w->log, 0,
                      "cx redis: batch %uL was already applied",
                      w->batch.seq);

        if (w->cmcf->redis->wait) {
            w->maybe_applied = 1;

            if (ngx_http_cx_redis_send_wait(w, 1) == NGX_OK) {
                return;
            }

            break;
        }

        ngx_http_cx_redis_batch_done(w);
        break;

    case ngx_http_cx_flush_applied:
        ngx_http_cx_stat_add_cycle(w->cycle, ngx_http_cx_stat_replayed,
                                   refused.replayed);
        ngx_http_cx_stat_add_cycle(w->cycle,
                                   ngx_http_cx_stat_over_token_events,
                                   refused.token_events);
        ngx_http_cx_stat_add_cycle(w->cycle,
                                   ngx_http_cx_stat_over_event_names,
                                   refused.event_names);

        if (refused.lost) {
            ngx_http_cx_redis_lost(w, rc, &refused);
        }

        if (w->cmcf->redis->wait) {
            w->maybe_applied = 1;

            if (ngx_http_cx_redis_send_wait(w, 0) == NGX_OK) {
                return;
            }

            break;
        }

        ngx_http_cx_redis_batch_done(w);
        break;

    case ngx_http_cx_flush_noscript:
    case ngx_http_cx_flush_refused:

        /*
         * refused before the script ran, so certainly not applied: its
         * counts go back into the table and travel with newer ones
         */

        ngx_log_error(NGX_LOG_ERR, w->log, 0,
                      "cx redis: batch refused by %V, will retry: %*s",
                      &rc->name, (size_t) r->len, r->str);
        ngx_http_cx_stat_add_cycle(w->cycle, ngx_http_cx_stat_redis_errors,
                                   1);
        ngx_http_cx_stat_add_cycle(w->cycle, ngx_http_cx_stat_retried, 1);

        /*
         * an earlier attempt may have been applied, by this node or by
         * the primary this one replicates: only the same batch number
         * can tell, so it stays as it is
         */

        if (!w->maybe_applied) {
            ngx_http_cx_counters_merge(&w->batch);
        }

        if (frc == ngx_http_cx_flush_noscript) {
            /* the script cache was flushed: load it again */
            ngx_http_cx_redis_load_script(w);

        } else if (w->sentinel
                   && (ngx_strncmp(r->str, "READONLY", 8) == 0
                       || ngx_strncmp(r->str, "MASTERDOWN", 10) == 0))
        {
            /* not the primary any more: the sentinels are asked again */
            ngx_http_cx_redis_drop_connection(w);
            ngx_http_cx_redis_schedule(w);
        }

        return;

    default: /* ngx_http_cx_flush_failed */

        /*
         * the script failed part-way (e.g. WRONGTYPE): never apply it
         * twice; keys of several slots (CROSSSLOT) are our bug
         */

        level = (r->type == REDIS_REPLY_ERROR && r->len >= 9
                 && ngx_strncmp(r->str, "CROSSSLOT", 9) == 0)
                ? NGX_LOG_ALERT : NGX_LOG_ERR;

        ngx_log_error(level, w->log, 0,
                      "cx redis: batch %uL failed on %V, dropped: %*s",
                      w->batch.seq, &rc->name,
                      (size_t) (r->type == REDIS_REPLY_ERROR ? r->len : 0),
                      r->str);
        ngx_http_cx_stat_add_cycle(w->cycle, ngx_http_cx_stat_redis_errors,
                                   1);

        ngx_http_cx_redis_batch_drop(w);
    }

    if (w->exiting) {
        ngx_http_cx_redis_flush(w);
    }
}


/*
 * cx_redis_wait: the batch is kept until that many replicas have it.
 * touch: the batch was recognised, not written, on this connection: a
 * write first, so that WAIT covers what the node holds.
 */

static ngx_int_t
ngx_http_cx_redis_send_wait(ngx_http_cx_redis_t *w, ngx_uint_t touch)
{
    u_char       n[NGX_INT_T_LEN], ms[NGX_INT_T_LEN];
    size_t       lens[3];
    const char  *argv[3];

    if (touch) {
        argv[0] = "EXPIRE";
        lens[0] = 6;
        argv[1] = (const char *) w->batch_key;
        lens[1] = ngx_strlen(w->batch_key);
        argv[2] = NGX_HTTP_CX_BATCH_KEY_TTL;
        lens[2] = sizeof(NGX_HTTP_CX_BATCH_KEY_TTL) - 1;

        if (ngx_http_cx_redis_send(&w->conn, 3, argv, lens,
                                   ngx_http_cx_redis_touched, w)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    argv[0] = "WAIT";
    lens[0] = 4;
    argv[1] = (const char *) n;
    lens[1] = ngx_sprintf(n, "%ui", w->cmcf->redis->wait) - n;
    argv[2] = (const char *) ms;
    lens[2] = ngx_sprintf(ms, "%M", w->cmcf->redis->wait_timeout) - ms;

    if (ngx_http_cx_redis_send(&w->conn, 3, argv, lens,
                               ngx_http_cx_redis_wait_reply, w)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    w->in_flight = 1;

    return NGX_OK;
}


static void
ngx_http_cx_redis_touched(ngx_http_cx_redis_conn_t *rc, redisReply *r,
    void *data)
{
    /* whatever it says, the WAIT after it tells */
}


static void
ngx_http_cx_redis_wait_reply(ngx_http_cx_redis_conn_t *rc, redisReply *r,
    void *data)
{
    ngx_http_cx_redis_t *w = data;

    ngx_uint_t  level;

    w->in_flight = 0;

    if (r == NULL) {
        /* the connection went: the batch goes again, wherever is primary */
        return;
    }

    if (r->type == REDIS_REPLY_INTEGER
        && r->integer >= (long long) w->cmcf->redis->wait)
    {
        if (w->wait_failures) {
            ngx_log_error(NGX_LOG_NOTICE, w->log, 0,
                          "cx redis: %V has %uL replicas again",
                          &rc->name, (uint64_t) r->integer);
            w->wait_failures = 0;
        }

        ngx_http_cx_redis_batch_done(w);

        if (w->exiting) {
            ngx_http_cx_redis_flush(w);
        }

        return;
    }

    /* kept: the next flush sends it again, and waits again */

    level = NGX_LOG_INFO;

    if (w->wait_failures++ == 0
        || ngx_current_msec - w->wait_logged >= NGX_HTTP_CX_WAIT_LOG)
    {
        level = NGX_LOG_WARN;
        w->wait_logged = ngx_current_msec;
    }

    if (r->type == REDIS_REPLY_INTEGER) {
        ngx_log_error(level, w->log, 0,
                      "cx redis: batch %uL reached %uL of %ui replicas of "
                      "%V in %Mms (cx_redis_wait), kept to be sent again",
                      w->batch.seq, (uint64_t) ngx_max(r->integer, 0),
                      w->cmcf->redis->wait, &rc->name,
                      w->cmcf->redis->wait_timeout);

    } else {
        ngx_log_error(NGX_LOG_ERR, w->log, 0,
                      "cx redis: WAIT on %V failed, batch %uL kept to be "
                      "sent again: %*s", &rc->name, w->batch.seq,
                      (size_t) (r->type == REDIS_REPLY_ERROR ? r->len : 0),
                      r->str);
    }

    ngx_http_cx_stat_add_cycle(w->cycle, ngx_http_cx_stat_redis_wait_timeouts,
                               1);

    if (w->sentinel && level == NGX_LOG_WARN) {
        /* a primary without its replicas may be one no longer */
        ngx_http_cx_sentinel_ask(w->sentinel);
    }

    if (w->exiting) {
        ngx_http_cx_redis_flush(w);
    }
}


/*
 * Writes of an applied batch that Redis refused (a poisoned key): their
 * counts are lost, the rest was applied.  Logged with the first refused
 * key at most once a second per worker; the next line says how many
 * counts the lines left out lost.
 */

static void
ngx_http_cx_redis_lost(ngx_http_cx_redis_t *w, ngx_http_cx_redis_conn_t *rc,
    ngx_http_cx_flush_refused_t *refused)
{
    static time_t    logged;
    static uint64_t  unlogged;

    ngx_http_cx_stat_add_cycle(w->cycle, ngx_http_cx_stat_lost,
                               refused->lost);

    if (logged == ngx_time()) {
        unlogged += refused->lost;
        return;
    }

    logged = ngx_time();

    ngx_log_error(NGX_LOG_ERR, w->log, 0,
                  "cx redis: %uL count%s lost on %V in \"%V\": %V "
                  "(the rest of batch %uL applied; %uL more lost since "
                  "the last line)",
                  refused->lost, refused->lost == 1 ? "" : "s", &rc->name,
                  &refused->lost_key, &refused->lost_error, w->batch.seq,
                  unlogged);

    unlogged = 0;
}


static void
ngx_http_cx_redis_batch_done(ngx_http_cx_redis_t *w)
{
    ngx_http_cx_batch_t  *b;

    b = &w->batch;

    ngx_http_cx_stat_add_cycle(w->cycle, ngx_http_cx_stat_flushed, b->events);
    ngx_http_cx_stat_add_cycle(w->cycle, ngx_http_cx_stat_batches, 1);
    ngx_http_cx_stat_latency(w->cycle, ngx_current_msec - b->sent);

    ngx_http_cx_batch_free(b);
}


static void
ngx_http_cx_redis_batch_drop(ngx_http_cx_redis_t *w)
{
    ngx_http_cx_stat_add_cycle(w->cycle, ngx_http_cx_stat_dropped,
                               w->batch.events);
    ngx_http_cx_batch_free(&w->batch);
}


static void
ngx_http_cx_redis_retry_handler(ngx_event_t *ev)
{
    ngx_http_cx_redis_t  *w = ev->data;

    if (w->exiting || ngx_exiting || ngx_terminate) {
        return;
    }

    if (w->sentinel == NULL) {
        ngx_http_cx_redis_connect_now(w);
        return;
    }

    /* found() connects, to the primary they name */

    w->state = ngx_http_cx_redis_discovering;

    ngx_http_cx_sentinel_ask(w->sentinel);
}


static void
ngx_http_cx_redis_quit_handler(ngx_event_t *ev)
{
    ngx_http_cx_redis_t  *w = ev->data;

    ngx_log_error(NGX_LOG_WARN, w->log, 0,
                  "cx redis: last flush to %V not done in %Mms",
                  w->nodes ? &ngx_http_cx_redis_cluster_name : &w->conn.name,
                  w->cmcf->redis_timeout);

    if (w->nodes) {
        ngx_http_cx_nodes_free(w->nodes);
        w->nodes = NULL;
        w->state = ngx_http_cx_redis_down;
        return;
    }

    ngx_http_cx_redis_drop_connection(w);
}


/* nginx is quitting (graceful shutdown or reload): one last flush */

static void
ngx_http_cx_redis_quit(ngx_http_cx_redis_conn_t *rc)
{
    ngx_http_cx_redis_t  *w = rc->data;

    w->exiting = 1;

    if (w->flush.timer_set) {
        ngx_del_timer(&w->flush);
    }

    if (w->state != ngx_http_cx_redis_up) {
        ngx_http_cx_redis_drop_connection(w);
        return;
    }

    ngx_add_timer(&w->quit, w->cmcf->redis_timeout);

    ngx_http_cx_redis_flush(w);
}


static void
ngx_http_cx_redis_schedule(ngx_http_cx_redis_t *w)
{
    if (w->exiting || ngx_exiting || ngx_terminate) {
        return;
    }

    if (w->retry.timer_set) {
        ngx_del_timer(&w->retry);
    }

    ngx_add_timer(&w->retry, ngx_http_cx_redis_jitter(w->backoff));

    w->backoff = ngx_min(w->backoff * 2, NGX_HTTP_CX_BACKOFF_MAX);
}


/* the owner lets go: pending callbacks get NULL, closed() is not called */

static void
ngx_http_cx_redis_drop_connection(ngx_http_cx_redis_t *w)
{
    ngx_http_cx_redis_went_down(w);

    w->state = ngx_http_cx_redis_down;

    ngx_http_cx_redis_close(&w->conn);

    w->in_flight = 0;
    ngx_http_cx_stat_worker(w->cycle, 0);
}


/* the time without Redis is counted from the loss of a working one */

static void
ngx_http_cx_redis_went_down(ngx_http_cx_redis_t *w)
{
    if (w->state == ngx_http_cx_redis_up && w->down_since == 0) {
        w->down_since = ngx_current_msec;

        if (w->down_since == 0) {
            w->down_since = 1;
        }
    }
}


static void
ngx_http_cx_redis_log_drops(ngx_http_cx_redis_t *w)
{
    uint64_t  n;

    n = ngx_http_cx_counters_counted();

    if (n) {
        ngx_http_cx_stat_add_cycle(w->cycle, ngx_http_cx_stat_counted, n);
    }

    n = ngx_http_cx_counters_dropped();

    if (n == 0) {
        return;
    }

    ngx_log_error(NGX_LOG_WARN, w->log, 0,
                  "cx redis: %uL counts dropped: %ui distinct counters "
                  "are waiting for %V (cx_buffer)", n, w->cmcf->buffer,
                  w->nodes ? &ngx_http_cx_redis_cluster_name
                  : w->conn.node->addr.len ? &w->conn.node->addr
                                           : &w->cmcf->redis->master);

    ngx_http_cx_stat_add_cycle(w->cycle, ngx_http_cx_stat_dropped, n);
}


/*
 * While Redis stays down the worker retries with backoff; the first
 * failure and then one per NGX_HTTP_CX_BACKOFF_MAX is an error, the rest
 * are logged at info.  It counts the failure: call it once, not inside
 * ngx_log_error(), which evaluates its level twice.
 */

static ngx_uint_t
ngx_http_cx_redis_failure(ngx_http_cx_redis_t *w)
{
    if (w->failures++ == 0 || w->backoff >= NGX_HTTP_CX_BACKOFF_MAX) {
        return NGX_LOG_ERR;
    }

    return NGX_LOG_INFO;
}


ngx_int_t
ngx_http_cx_redis_state(void)
{
    return ngx_http_cx_redis.state == ngx_http_cx_redis_up;
}


ngx_uint_t
ngx_http_cx_redis_cluster(void)
{
    return ngx_http_cx_redis.nodes != NULL;
}


ngx_http_cx_nodes_t *
ngx_http_cx_redis_cluster_nodes(void)
{
    return ngx_http_cx_redis.exiting ? NULL : ngx_http_cx_redis.nodes;
}


/* the connection, for reads (ngx_http_cx_query.c), when it is usable */

ngx_http_cx_redis_conn_t *
ngx_http_cx_redis_context(void)
{
    ngx_http_cx_redis_t  *w;

    w = &ngx_http_cx_redis;

    if (w->state != ngx_http_cx_redis_up || w->exiting || w->nodes) {
        return NULL;
    }

    return &w->conn;
}
