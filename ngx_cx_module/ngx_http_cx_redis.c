
/*
 * ngx_http_cx_redis.c: the worker's Redis connection, when it flushes,
 * and the cx_redis directive.
 *
 * One hiredis async connection per worker, driven by nginx's event loop
 * (ngx_http_cx_hiredis.c), with timeouts on nginx timers, reconnection
 * with capped exponential backoff, AUTH and SELECT.  Every
 * cx_flush_interval the worker's counters travel as one batch, in the
 * protocol of ngx_http_cx_flush.c.  One batch is in flight at a time; a
 * batch whose outcome is unknown (a lost reply) is retried unchanged, one
 * Redis refused before running it goes back into the table, merged with
 * newer counts.  On graceful shutdown the worker makes a last flush,
 * bounded by cx_redis_timeout.
 */


#include "ngx_http_cx_module.h"
#include "ngx_http_cx_counter.h"
#include "ngx_http_cx_hiredis.h"
#include "ngx_http_cx_flush.h"


#define NGX_HTTP_CX_BACKOFF_MIN     100
#define NGX_HTTP_CX_BACKOFF_MAX     10000


typedef enum {
    ngx_http_cx_redis_down = 0,
    ngx_http_cx_redis_connecting,
    ngx_http_cx_redis_handshake,
    ngx_http_cx_redis_ready
} ngx_http_cx_redis_state_e;


typedef struct {
    redisAsyncContext           *ac;
    ngx_http_cx_main_conf_t     *cmcf;
    ngx_cycle_t                 *cycle;
    ngx_log_t                   *log;

    ngx_event_t                  flush;     /* every cx_flush_interval */
    ngx_event_t                  retry;     /* connect timeout, backoff */
    ngx_event_t                  reply;     /* a batch waiting too long */
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
    unsigned                     auth_failed:1;
} ngx_http_cx_redis_t;


/* per worker: set up in ngx_http_cx_redis_init_worker() */
static ngx_http_cx_redis_t  ngx_http_cx_redis;


static void ngx_http_cx_redis_connect(ngx_http_cx_redis_t *w);
static void ngx_http_cx_redis_connected(const redisAsyncContext *ac,
    int status);
static void ngx_http_cx_redis_disconnected(const redisAsyncContext *ac,
    int status);
static void ngx_http_cx_redis_handshake_reply(redisAsyncContext *ac,
    void *reply, void *data);
static void ngx_http_cx_redis_script_reply(redisAsyncContext *ac,
    void *reply, void *data);
static void ngx_http_cx_redis_flush_handler(ngx_event_t *ev);
static void ngx_http_cx_redis_late_handler(ngx_event_t *ev);
static void ngx_http_cx_redis_flush(ngx_http_cx_redis_t *w);
static ngx_int_t ngx_http_cx_redis_send(ngx_http_cx_redis_t *w);
static void ngx_http_cx_redis_batch_reply(redisAsyncContext *ac,
    void *reply, void *data);
static void ngx_http_cx_redis_batch_done(ngx_http_cx_redis_t *w);
static void ngx_http_cx_redis_batch_drop(ngx_http_cx_redis_t *w);
static void ngx_http_cx_redis_retry_handler(ngx_event_t *ev);
static void ngx_http_cx_redis_reply_handler(ngx_event_t *ev);
static void ngx_http_cx_redis_quit_handler(ngx_event_t *ev);
static void ngx_http_cx_redis_close(redisAsyncContext *ac);
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

    w->reply.handler = ngx_http_cx_redis_reply_handler;
    w->reply.data = w;
    w->reply.log = w->log;
    w->reply.cancelable = 1;

    /* not cancelable: it keeps an exiting worker alive for the last flush */
    w->quit.handler = ngx_http_cx_redis_quit_handler;
    w->quit.data = w;
    w->quit.log = w->log;

    w->late.handler = ngx_http_cx_redis_late_handler;
    w->late.data = w;
    w->late.log = w->log;

    ngx_http_cx_stat_worker(cycle, 0);

    ngx_http_cx_redis_connect(w);

    ngx_add_timer(&w->flush, cmcf->flush_interval);

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

    if (w->ac) {
        /* runs the batch callback with no reply: the batch stays put */
        redisAsyncFree(w->ac);
        w->ac = NULL;
    }

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
ngx_http_cx_redis_connect(ngx_http_cx_redis_t *w)
{
    ngx_uint_t                 level;
    redisAsyncContext         *ac;
    ngx_http_cx_redis_conf_t  *rc;

    rc = w->cmcf->redis;

    if (rc->path.len) {
        ac = redisAsyncConnectUnix((char *) rc->path.data);

    } else {
        ac = redisAsyncConnect((char *) rc->host.data, (int) rc->port);
    }

    if (ac == NULL) {
        ngx_log_error(NGX_LOG_ERR, w->log, 0,
                      "cx redis: cannot allocate a connection to %V",
                      &rc->addr);
        ngx_http_cx_redis_schedule(w);
        return;
    }

    if (ac->err) {
        level = ngx_http_cx_redis_failure(w);
        ngx_log_error(level, w->log, 0,
                      "cx redis: connect to %V failed: %s",
                      &rc->addr, ac->errstr);
        ngx_http_cx_stat_add_cycle(w->cycle, ngx_http_cx_stat_redis_errors,
                                   1);
        redisAsyncFree(ac);
        ngx_http_cx_redis_schedule(w);
        return;
    }

    if (ngx_http_cx_hiredis_attach(ac, w->log, ngx_http_cx_redis_close)
        != NGX_OK)
    {
        ngx_log_error(NGX_LOG_ERR, w->log, 0,
                      "cx redis: no free connection for %V", &rc->addr);
        redisAsyncFree(ac);
        ngx_http_cx_redis_schedule(w);
        return;
    }

    ac->data = w;
    w->ac = ac;
    w->state = ngx_http_cx_redis_connecting;

    redisAsyncSetConnectCallback(ac, ngx_http_cx_redis_connected);
    redisAsyncSetDisconnectCallback(ac, ngx_http_cx_redis_disconnected);

    /* queued now, written once connect() completes */

    if (rc->password.len) {
        redisAsyncCommand(ac, ngx_http_cx_redis_handshake_reply, "AUTH",
                          "AUTH %b", rc->password.data,
                          (size_t) rc->password.len);
    }

    if (rc->db) {
        redisAsyncCommand(ac, ngx_http_cx_redis_handshake_reply, "SELECT",
                          "SELECT %d", (int) rc->db);
    }

    redisAsyncCommand(ac, ngx_http_cx_redis_script_reply, NULL,
                      "SCRIPT LOAD %b", ngx_http_cx_flush_script.data,
                      (size_t) ngx_http_cx_flush_script.len);

    ngx_add_timer(&w->retry, w->cmcf->redis_timeout);
}


static void
ngx_http_cx_redis_connected(const redisAsyncContext *ac, int status)
{
    ngx_http_cx_redis_t  *w = ac->data;

    ngx_uint_t  level;

    if (status == REDIS_OK) {
        ngx_log_debug1(NGX_LOG_DEBUG_EVENT, w->log, 0,
                       "cx redis: connected to %V", &w->cmcf->redis->addr);
        w->state = ngx_http_cx_redis_handshake;
        return;
    }

    /* hiredis frees the context when this returns */

    level = ngx_http_cx_redis_failure(w);
    ngx_log_error(level, w->log, 0,
                  "cx redis: connect to %V failed: %s",
                  &w->cmcf->redis->addr, ac->errstr);
    ngx_http_cx_stat_add_cycle(w->cycle, ngx_http_cx_stat_redis_errors, 1);

    w->ac = NULL;
    w->state = ngx_http_cx_redis_down;

    ngx_http_cx_redis_schedule(w);
}


static void
ngx_http_cx_redis_disconnected(const redisAsyncContext *ac, int status)
{
    ngx_http_cx_redis_t  *w = ac->data;

    if (w->ac != ac) {
        return;
    }

    if (status != REDIS_OK) {
        ngx_log_error(NGX_LOG_ERR, w->log, 0,
                      "cx redis: connection to %V lost: %s",
                      &w->cmcf->redis->addr, ac->errstr);
        ngx_http_cx_stat_add_cycle(w->cycle, ngx_http_cx_stat_redis_errors,
                                   1);
    }

    w->ac = NULL;
    w->state = ngx_http_cx_redis_down;
    ngx_http_cx_stat_worker(w->cycle, 0);

    if (w->reply.timer_set) {
        ngx_del_timer(&w->reply);
    }

    if (!w->exiting) {
        ngx_http_cx_redis_schedule(w);
    }
}


static void
ngx_http_cx_redis_handshake_reply(redisAsyncContext *ac, void *reply,
    void *data)
{
    redisReply           *r = reply;
    ngx_http_cx_redis_t  *w = ac->data;

    if (r == NULL || r->type != REDIS_REPLY_ERROR) {
        return;
    }

    ngx_log_error(NGX_LOG_ERR, w->log, 0,
                  "cx redis: %s to %V failed: %*s", (char *) data,
                  &w->cmcf->redis->addr, (size_t) r->len, r->str);
    ngx_http_cx_stat_add_cycle(w->cycle, ngx_http_cx_stat_redis_errors, 1);

    w->auth_failed = 1;

    /* in a callback: hiredis frees the context when it returns */
    redisAsyncDisconnect(ac);
}


static void
ngx_http_cx_redis_script_reply(redisAsyncContext *ac, void *reply,
    void *data)
{
    redisReply           *r = reply;
    ngx_http_cx_redis_t  *w = ac->data;

    if (r == NULL || w->ac != ac) {
        return;
    }

    if (r->type != REDIS_REPLY_STRING || r->len != 40) {

        if (!w->auth_failed) {
            ngx_log_error(NGX_LOG_ERR, w->log, 0,
                          "cx redis: SCRIPT LOAD on %V failed: %*s",
                          &w->cmcf->redis->addr,
                          (size_t) (r->type == REDIS_REPLY_ERROR ? r->len : 0),
                          r->str);
            ngx_http_cx_stat_add_cycle(w->cycle,
                                       ngx_http_cx_stat_redis_errors, 1);
        }

        redisAsyncDisconnect(ac);
        return;
    }

    ngx_memcpy(w->sha, r->str, 40);
    w->sha[40] = '\0';

    if (w->retry.timer_set) {
        ngx_del_timer(&w->retry);
    }

    if (w->failures) {
        ngx_log_error(NGX_LOG_NOTICE, w->log, 0,
                      "cx redis: connected to %V after %ui failed attempts",
                      &w->cmcf->redis->addr, w->failures);
    }

    w->state = ngx_http_cx_redis_ready;
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

    if (w->state != ngx_http_cx_redis_ready || w->in_flight) {
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

    if (w->state != ngx_http_cx_redis_ready || w->in_flight) {
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

    if (ngx_http_cx_redis_send(w) == NGX_OK) {
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


static ngx_int_t
ngx_http_cx_redis_send(ngx_http_cx_redis_t *w)
{
    ngx_http_cx_batch_t  *b;

    b = &w->batch;

    if (ngx_http_cx_flush_send(w->cmcf, w->ac, b, w->sha, w->batch_key,
                               ngx_http_cx_redis_batch_reply, w->log)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    b->attempts++;
    b->sent = ngx_current_msec;
    w->in_flight = 1;

    ngx_add_timer(&w->reply, w->cmcf->redis_timeout);

    return NGX_OK;
}


static void
ngx_http_cx_redis_batch_reply(redisAsyncContext *ac, void *reply,
    void *data)
{
    redisReply                   *r = reply;
    ngx_http_cx_flush_e           rc;
    ngx_http_cx_redis_t          *w = ac->data;
    ngx_http_cx_flush_refused_t   refused;

    w->in_flight = 0;

    if (w->reply.timer_set) {
        ngx_del_timer(&w->reply);
    }

    if (r == NULL) {
        /* the connection went away: the outcome is unknown, retry as is */
        return;
    }

    rc = ngx_http_cx_flush_reply(r, &refused);

    switch (rc) {

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
                      &w->cmcf->redis->addr, (size_t) r->len, r->str);
        ngx_http_cx_stat_add_cycle(w->cycle, ngx_http_cx_stat_redis_errors,
                                   1);
        ngx_http_cx_stat_add_cycle(w->cycle, ngx_http_cx_stat_retried, 1);

        ngx_http_cx_counters_merge(&w->batch);

        if (rc == ngx_http_cx_flush_noscript) {
            /* the script cache was flushed: load it again */
            w->state = ngx_http_cx_redis_handshake;
            redisAsyncCommand(ac, ngx_http_cx_redis_script_reply, NULL,
                              "SCRIPT LOAD %b",
                              ngx_http_cx_flush_script.data,
                              (size_t) ngx_http_cx_flush_script.len);
        }

        return;

    default: /* ngx_http_cx_flush_failed */

        /* the script failed part-way (e.g. WRONGTYPE): never apply it twice */

        ngx_log_error(NGX_LOG_ERR, w->log, 0,
                      "cx redis: batch %uL failed on %V, dropped: %*s",
                      w->batch.seq, &w->cmcf->redis->addr,
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

    ngx_uint_t  level;

    if (w->ac) {
        /* still connecting, or handshaking, after cx_redis_timeout */

        level = ngx_http_cx_redis_failure(w);
        ngx_log_error(level, w->log, 0,
                      "cx redis: connect to %V timed out",
                      &w->cmcf->redis->addr);
        ngx_http_cx_stat_add_cycle(w->cycle, ngx_http_cx_stat_redis_errors,
                                   1);

        ngx_http_cx_redis_drop_connection(w);

        if (!w->exiting) {
            ngx_http_cx_redis_schedule(w);
        }

        return;
    }

    if (w->exiting || ngx_exiting || ngx_terminate) {
        return;
    }

    ngx_http_cx_redis_connect(w);
}


static void
ngx_http_cx_redis_reply_handler(ngx_event_t *ev)
{
    ngx_http_cx_redis_t  *w = ev->data;

    ngx_log_error(NGX_LOG_ERR, w->log, 0,
                  "cx redis: no reply from %V in %Mms, reconnecting",
                  &w->cmcf->redis->addr, w->cmcf->redis_timeout);
    ngx_http_cx_stat_add_cycle(w->cycle, ngx_http_cx_stat_redis_errors, 1);

    ngx_http_cx_redis_drop_connection(w);

    if (!w->exiting) {
        ngx_http_cx_redis_schedule(w);
    }
}


static void
ngx_http_cx_redis_quit_handler(ngx_event_t *ev)
{
    ngx_http_cx_redis_t  *w = ev->data;

    ngx_log_error(NGX_LOG_WARN, w->log, 0,
                  "cx redis: last flush to %V not done in %Mms",
                  &w->cmcf->redis->addr, w->cmcf->redis_timeout);

    ngx_http_cx_redis_drop_connection(w);
}


/* nginx is quitting (graceful shutdown or reload): one last flush */

static void
ngx_http_cx_redis_close(redisAsyncContext *ac)
{
    ngx_http_cx_redis_t  *w = ac->data;

    w->exiting = 1;

    if (w->flush.timer_set) {
        ngx_del_timer(&w->flush);
    }

    if (w->state != ngx_http_cx_redis_ready) {
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


/* outside hiredis callbacks only: frees the context now */

static void
ngx_http_cx_redis_drop_connection(ngx_http_cx_redis_t *w)
{
    redisAsyncContext  *ac;

    ac = w->ac;

    if (ac == NULL) {
        return;
    }

    w->ac = NULL;
    w->state = ngx_http_cx_redis_down;
    ngx_http_cx_stat_worker(w->cycle, 0);

    if (w->retry.timer_set) {
        ngx_del_timer(&w->retry);
    }

    redisAsyncFree(ac);

    w->in_flight = 0;

    if (w->reply.timer_set) {
        ngx_del_timer(&w->reply);
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
    return ngx_http_cx_redis.state == ngx_http_cx_redis_ready;
}


/* the connection, for reads (ngx_http_cx_query.c), when it is usable */

redisAsyncContext *
ngx_http_cx_redis_context(void)
{
    ngx_http_cx_redis_t  *w;

    w = &ngx_http_cx_redis;

    if (w->state != ngx_http_cx_redis_ready || w->exiting) {
        return NULL;
    }

    return w->ac;
}


/* cx_redis host:port | unix:/path [password=..] [db=N] [prefix=name] */

char *
ngx_http_cx_redis_conf(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_cx_main_conf_t *cmcf = conf;

    u_char                    *p;
    ngx_str_t                 *value, v;
    ngx_url_t                  u;
    ngx_uint_t                 i;
    ngx_http_cx_redis_conf_t  *rc;

    if (cmcf->redis) {
        return "is duplicate";
    }

    value = cf->args->elts;

    rc = ngx_pcalloc(cf->pool, sizeof(ngx_http_cx_redis_conf_t));
    if (rc == NULL) {
        return NGX_CONF_ERROR;
    }

    rc->addr = value[1];

    if (value[1].len > 5 && ngx_strncmp(value[1].data, "unix:", 5) == 0) {
        if (value[1].len - 5 >= sizeof(((struct sockaddr_un *) 0)->sun_path))
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "socket path \"%V\" in \"%V\" is too long",
                               &value[1], &cmd->name);
            return NGX_CONF_ERROR;
        }

        rc->path.len = value[1].len - 5;
        rc->path.data = ngx_pnalloc(cf->pool, rc->path.len + 1);
        if (rc->path.data == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_cpystrn(rc->path.data, value[1].data + 5, rc->path.len + 1);

    } else {
        ngx_memzero(&u, sizeof(ngx_url_t));

        u.url = value[1];
        u.default_port = 6379;

        /* resolved now: hiredis would resolve names with a blocking call */

        if (ngx_parse_url(cf->pool, &u) != NGX_OK || u.naddrs == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid address \"%V\" in \"%V\": %s",
                               &value[1], &cmd->name,
                               u.err ? u.err : "host not found");
            return NGX_CONF_ERROR;
        }

        rc->host.data = ngx_pnalloc(cf->pool, NGX_SOCKADDR_STRLEN + 1);
        if (rc->host.data == NULL) {
            return NGX_CONF_ERROR;
        }

        rc->host.len = ngx_sock_ntop(u.addrs[0].sockaddr, u.addrs[0].socklen,
                                     rc->host.data, NGX_SOCKADDR_STRLEN, 0);
        rc->host.data[rc->host.len] = '\0';
        rc->port = u.port ? u.port : 6379;
    }

    for (i = 2; i < cf->args->nelts; i++) {

        p = ngx_strlchr(value[i].data, value[i].data + value[i].len, '=');
        if (p == NULL) {
            goto invalid;
        }

        v.data = p + 1;
        v.len = value[i].data + value[i].len - v.data;

        if (p - value[i].data == 8
            && ngx_strncmp(value[i].data, "password", 8) == 0
            && v.len)
        {
            rc->password = v;
            continue;
        }

        if (p - value[i].data == 2
            && ngx_strncmp(value[i].data, "db", 2) == 0)
        {
            rc->db = ngx_atoi(v.data, v.len);
            if (rc->db == NGX_ERROR || rc->db > 65535) {
                goto invalid;
            }

            continue;
        }

        if (p - value[i].data == 6
            && ngx_strncmp(value[i].data, "prefix", 6) == 0
            && ngx_http_cx_name_valid(v.data, v.len))
        {
            cmcf->redis_prefix = v;
            continue;
        }

        goto invalid;
    }

    cmcf->redis = rc;

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid parameter \"%V\" in \"%V\": expected "
                       "password=..., db=0..65535 or prefix=name",
                       &value[i], &cmd->name);
    return NGX_CONF_ERROR;
}
