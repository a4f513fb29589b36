
/*
 * ngx_http_cx_redis.c: when the worker flushes, and what it does with
 * Redis' answers.
 *
 * One connection per worker (ngx_http_cx_redis_conn.c: nginx's own I/O,
 * TLS, names, AUTH and SELECT), connected again with capped exponential
 * backoff when it fails.  Once it is ready the flush script is loaded
 * (SCRIPT LOAD), and every cx_flush_interval the worker's counters
 * travel as one batch, in the protocol of ngx_http_cx_flush.c.  One batch
 * is in flight at a time; a batch whose outcome is unknown (a lost reply,
 * a reply that did not come within cx_redis_timeout) is retried
 * unchanged, one Redis refused before running it goes back into the
 * table, merged with newer counts.  On graceful shutdown the worker makes
 * a last flush, bounded by cx_redis_timeout.
 */


#include "ngx_http_cx_module.h"
#include "ngx_http_cx_counter.h"
#include "ngx_http_cx_redis_conn.h"
#include "ngx_http_cx_flush.h"


#define NGX_HTTP_CX_BACKOFF_MIN     100
#define NGX_HTTP_CX_BACKOFF_MAX     10000


typedef enum {
    ngx_http_cx_redis_down = 0,
    ngx_http_cx_redis_connecting,
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

    ngx_http_cx_batch_t          batch;
    uint64_t                     seq;

    u_char                       sha[41];
    u_char                       batch_key[NGX_HTTP_CX_NAME_MAX + 64];

    unsigned                     in_flight:1;
    unsigned                     exiting:1;
} ngx_http_cx_redis_t;


/* per worker: set up in ngx_http_cx_redis_init_worker() */
static ngx_http_cx_redis_t  ngx_http_cx_redis;


static void ngx_http_cx_redis_connect_now(ngx_http_cx_redis_t *w);
static void ngx_http_cx_redis_ready(ngx_http_cx_redis_conn_t *rc);
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
static void ngx_http_cx_redis_batch_done(ngx_http_cx_redis_t *w);
static void ngx_http_cx_redis_batch_drop(ngx_http_cx_redis_t *w);
static void ngx_http_cx_redis_retry_handler(ngx_event_t *ev);
static void ngx_http_cx_redis_quit_handler(ngx_event_t *ev);
static void ngx_http_cx_redis_schedule(ngx_http_cx_redis_t *w);
static void ngx_http_cx_redis_drop_connection(ngx_http_cx_redis_t *w);
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

    ngx_sprintf(w->batch_key, "%V:batch:%016xL%Z", &cmcf->redis_prefix, id);

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

    ngx_http_cx_redis_connect_now(w);

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

    ngx_http_cx_redis_log_drops(w);

    (void) ngx_http_cx_counters_pending(&events);
    events += w->batch.events;

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


/* connected, AUTH and SELECT done: the flush script next */

static void
ngx_http_cx_redis_ready(ngx_http_cx_redis_conn_t *rc)
{
    ngx_http_cx_redis_t  *w = rc->data;

    ngx_log_debug1(NGX_LOG_DEBUG_EVENT, w->log, 0,
                   "cx redis: connected to %V", &rc->name);

    ngx_http_cx_redis_load_script(w);
}


static void
ngx_http_cx_redis_load_script(ngx_http_cx_redis_t *w)
{
    size_t       lens[3];
    const char  *argv[3];

    argv[0] = "SCRIPT";
    lens[0] = 6;
    argv[1] = "LOAD";
    lens[1] = 4;
    argv[2] = (const char *) ngx_http_cx_flush_script.data;
    lens[2] = ngx_http_cx_flush_script.len;

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

    if (w->failures) {
        ngx_log_error(NGX_LOG_NOTICE, w->log, 0,
                      "cx redis: connected to %V after %ui failed attempts",
                      &rc->name, w->failures);
    }

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
    ngx_http_cx_flush_e           frc;
    ngx_http_cx_redis_t          *w = data;
    ngx_http_cx_flush_refused_t   refused;

    w->in_flight = 0;

    if (r == NULL) {
        /* the connection went away: the outcome is unknown, retry as is */
        return;
    }

    frc = ngx_http_cx_flush_reply(r, &refused);

    switch (frc) {

    case ngx_http_cx_flush_already:
        ngx_log_error(NGX_LOG_INFO, w->log, 0,
                      "cx redis: batch %uL was already applied",
                      w->batch.seq);

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

        ngx_http_cx_counters_merge(&w->batch);

        if (frc == ngx_http_cx_flush_noscript) {
            /* the script cache was flushed: load it again */
            ngx_http_cx_redis_load_script(w);
        }

        return;

    default: /* ngx_http_cx_flush_failed */

        /* the script failed part-way (e.g. WRONGTYPE): never apply it twice */

        ngx_log_error(NGX_LOG_ERR, w->log, 0,
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

    ngx_http_cx_redis_connect_now(w);
}


static void
ngx_http_cx_redis_quit_handler(ngx_event_t *ev)
{
    ngx_http_cx_redis_t  *w = ev->data;

    ngx_log_error(NGX_LOG_WARN, w->log, 0,
                  "cx redis: last flush to %V not done in %Mms",
                  &w->conn.name, w->cmcf->redis_timeout);

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

    ngx_add_timer(&w->retry, w->backoff);

    w->backoff = ngx_min(w->backoff * 2, NGX_HTTP_CX_BACKOFF_MAX);
}


/* the owner lets go: pending callbacks get NULL, closed() is not called */

static void
ngx_http_cx_redis_drop_connection(ngx_http_cx_redis_t *w)
{
    w->state = ngx_http_cx_redis_down;

    ngx_http_cx_redis_close(&w->conn);

    w->in_flight = 0;
    ngx_http_cx_stat_worker(w->cycle, 0);
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
                  "are waiting for %V (cx_buffer)", n,
                  w->cmcf->buffer, &w->cmcf->redis->addr);

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


/* the connection, for reads (ngx_http_cx_query.c), when it is usable */

ngx_http_cx_redis_conn_t *
ngx_http_cx_redis_context(void)
{
    ngx_http_cx_redis_t  *w;

    w = &ngx_http_cx_redis;

    if (w->state != ngx_http_cx_redis_up || w->exiting) {
        return NULL;
    }

    return &w->conn;
}
