
/*
 * ngx_http_cx_redis_sentinel.c: the primary's address, by Sentinel (see
 * the header).
 *
 * A worker keeps one connection to one sentinel at a time.  At every
 * connect it sends, pipelined, SENTINEL get-master-addr-by-name and
 * SUBSCRIBE +switch-master: a sentinel runs both before anything else
 * happens on it, so the answer and the failovers announced after it
 * leave no gap.  The answer goes to the worker, and so does every
 * +switch-master of our master name.
 *
 * To ask again (the primary refused, went away, said READONLY, or is not
 * a master), the worker calls ngx_http_cx_sentinel_ask(): the connection
 * moves to the next sentinel in turn, so a sentinel with a stale view is
 * not asked twice in a row.  A sentinel that does not answer (refused,
 * timed out, does not know the name) is skipped; when none answered in a
 * round the worker is told, and retries with its backoff.  A subscribed
 * connection is pinged every few seconds: a sentinel that stopped
 * answering is left for the next.
 */


#include "ngx_http_cx_module.h"
#include "ngx_http_cx_redis_conn.h"
#include "ngx_http_cx_redis_sentinel.h"


#define NGX_HTTP_CX_SENTINEL_PING         5000
#define NGX_HTTP_CX_SENTINEL_BACKOFF_MIN  100
#define NGX_HTTP_CX_SENTINEL_BACKOFF_MAX  5000


struct ngx_http_cx_sentinel_s {
    ngx_http_cx_redis_conn_t       conn;
    ngx_http_cx_redis_conf_t      *conf;    /* the data nodes' */
    ngx_log_t                     *log;

    ngx_http_cx_sentinel_found_pt  found;
    void                          *data;

    ngx_event_t                    retry;   /* backoff */
    ngx_event_t                    ping;
    ngx_msec_t                     backoff;

    ngx_uint_t                     current; /* the sentinel connected */
    ngx_uint_t                     tried;   /* this round, no answer */
    ngx_uint_t                     failures;    /* in a row, for logs */

    unsigned                       asking:1;    /* the worker waits */
    unsigned                       quit:1;
};


static void ngx_http_cx_sentinel_connect(ngx_http_cx_sentinel_t *s);
static void ngx_http_cx_sentinel_ready(ngx_http_cx_redis_conn_t *rc);
static void ngx_http_cx_sentinel_answer(ngx_http_cx_redis_conn_t *rc,
    redisReply *r, void *data);
static void ngx_http_cx_sentinel_subscribed(ngx_http_cx_redis_conn_t *rc,
    redisReply *r, void *data);
static void ngx_http_cx_sentinel_message(ngx_http_cx_redis_conn_t *rc,
    redisReply *r, void *data);
static void ngx_http_cx_sentinel_pong(ngx_http_cx_redis_conn_t *rc,
    redisReply *r, void *data);
static void ngx_http_cx_sentinel_closed(ngx_http_cx_redis_conn_t *rc);
static void ngx_http_cx_sentinel_quit(ngx_http_cx_redis_conn_t *rc);
static void ngx_http_cx_sentinel_next(ngx_http_cx_sentinel_t *s);
static void ngx_http_cx_sentinel_retry_handler(ngx_event_t *ev);
static void ngx_http_cx_sentinel_ping_handler(ngx_event_t *ev);


ngx_http_cx_sentinel_t *
ngx_http_cx_sentinel_create(ngx_http_cx_redis_conf_t *conf,
    ngx_msec_t timeout, ngx_log_t *log, ngx_http_cx_sentinel_found_pt found,
    void *data)
{
    ngx_http_cx_sentinel_t  *s;

    s = ngx_calloc(sizeof(ngx_http_cx_sentinel_t), log);
    if (s == NULL) {
        return NULL;
    }

    if (ngx_http_cx_redis_conn_init(&s->conn, conf->sentinel_conf, timeout,
                                    log)
        != NGX_OK)
    {
        ngx_http_cx_redis_conn_free(&s->conn);
        ngx_free(s);
        return NULL;
    }

    s->conf = conf;
    s->log = log;
    s->found = found;
    s->data = data;
    s->backoff = NGX_HTTP_CX_SENTINEL_BACKOFF_MIN;

    s->conn.data = s;
    s->conn.ready = ngx_http_cx_sentinel_ready;
    s->conn.closed = ngx_http_cx_sentinel_closed;
    s->conn.quit = ngx_http_cx_sentinel_quit;
    s->conn.push = ngx_http_cx_sentinel_message;

    s->retry.handler = ngx_http_cx_sentinel_retry_handler;
    s->retry.data = s;
    s->retry.log = log;
    s->retry.cancelable = 1;

    s->ping.handler = ngx_http_cx_sentinel_ping_handler;
    s->ping.data = s;
    s->ping.log = log;
    s->ping.cancelable = 1;

    return s;
}


void
ngx_http_cx_sentinel_free(ngx_http_cx_sentinel_t *s)
{
    s->quit = 1;

    if (s->retry.timer_set) {
        ngx_del_timer(&s->retry);
    }

    if (s->ping.timer_set) {
        ngx_del_timer(&s->ping);
    }

    ngx_http_cx_redis_conn_free(&s->conn);

    ngx_free(s);
}


/*
 * The worker wants an answer: the next sentinel is asked (a connection
 * on its way brings one anyway); found() says what it is.
 */

void
ngx_http_cx_sentinel_ask(ngx_http_cx_sentinel_t *s)
{
    if (s->quit || s->asking) {
        /* asking: an answer is on its way */
        return;
    }

    s->asking = 1;
    s->tried = 0;

    switch (s->conn.phase) {

    case ngx_http_cx_redis_phase_closed:
        if (s->retry.timer_set) {
            ngx_del_timer(&s->retry);
        }

        ngx_http_cx_sentinel_connect(s);
        return;

    case ngx_http_cx_redis_phase_ready:
        /* pending callbacks get NULL; closed() is not called */
        ngx_http_cx_redis_close(&s->conn);

        if (s->ping.timer_set) {
            ngx_del_timer(&s->ping);
        }

        s->current = (s->current + 1) % s->conf->sentinels->nelts;

        ngx_http_cx_sentinel_connect(s);
        return;

    default:
        /* connecting: it asks once connected */
        return;
    }
}


static void
ngx_http_cx_sentinel_connect(ngx_http_cx_sentinel_t *s)
{
    ngx_http_cx_redis_node_t  *node;

    node = s->conf->sentinels->elts;

    s->conn.node = &node[s->current];

    /* ready() or closed() may be called before this returns */
    ngx_http_cx_redis_connect(&s->conn);
}


/* connected: the question and the subscription, in one send */

static void
ngx_http_cx_sentinel_ready(ngx_http_cx_redis_conn_t *rc)
{
    ngx_http_cx_sentinel_t *s = rc->data;

    size_t       lens[3];
    const char  *argv[3];

    argv[0] = "SENTINEL";
    lens[0] = 8;
    argv[1] = "get-master-addr-by-name";
    lens[1] = 23;
    argv[2] = (const char *) s->conf->master.data;
    lens[2] = s->conf->master.len;

    if (ngx_http_cx_redis_send(rc, 3, argv, lens,
                               ngx_http_cx_sentinel_answer, s)
        != NGX_OK)
    {
        goto failed;
    }

    argv[0] = "SUBSCRIBE";
    lens[0] = 9;
    argv[1] = "+switch-master";
    lens[1] = 14;

    if (ngx_http_cx_redis_send(rc, 2, argv, lens,
                               ngx_http_cx_sentinel_subscribed, s)
        != NGX_OK)
    {
        goto failed;
    }

    return;

failed:

    ngx_log_error(NGX_LOG_ERR, s->log, 0,
                  "cx redis: cannot send to sentinel %V", &rc->name);

    ngx_http_cx_redis_close(rc);
    ngx_http_cx_sentinel_next(s);
}


static void
ngx_http_cx_sentinel_answer(ngx_http_cx_redis_conn_t *rc, redisReply *r,
    void *data)
{
    ngx_http_cx_sentinel_t *s = data;

    ngx_str_t    host, port;
    redisReply  *h, *p;

    if (r == NULL) {
        /* the connection went: closed() goes on */
        return;
    }

    if (r->type == REDIS_REPLY_ARRAY && r->elements == 2
        && r->element[0]->type == REDIS_REPLY_STRING
        && r->element[1]->type == REDIS_REPLY_STRING)
    {
        h = r->element[0];
        p = r->element[1];

        host.data = (u_char *) h->str;
        host.len = h->len;
        port.data = (u_char *) p->str;
        port.len = p->len;

        if (s->failures) {
            ngx_log_error(NGX_LOG_NOTICE, s->log, 0,
                          "cx redis: sentinel %V answers again",
                          &rc->name);
        }

        s->asking = 0;
        s->tried = 0;
        s->failures = 0;
        s->backoff = NGX_HTTP_CX_SENTINEL_BACKOFF_MIN;

        s->found(s->data, &host, &port, 0);
        return;
    }

    if (r->type == REDIS_REPLY_NIL) {
        ngx_log_error(NGX_LOG_ERR, s->log, 0,
                      "cx redis: sentinel %V does not know the primary "
                      "\"%V\"", &rc->name, &s->conf->master);

    } else {
        ngx_log_error(NGX_LOG_ERR, s->log, 0,
                      "cx redis: sentinel %V did not name the primary "
                      "\"%V\": %*s", &rc->name, &s->conf->master,
                      (size_t) (r->type == REDIS_REPLY_ERROR ? r->len : 0),
                      r->str);
    }

    /* this one cannot say: the next */

    s->failures++;

    ngx_http_cx_redis_close(rc);
    ngx_http_cx_sentinel_next(s);
}


static void
ngx_http_cx_sentinel_subscribed(ngx_http_cx_redis_conn_t *rc,
    redisReply *r, void *data)
{
    ngx_http_cx_sentinel_t *s = data;

    if (r == NULL) {
        return;
    }

    if (r->type == REDIS_REPLY_ERROR) {
        /* e.g. an ACL user without the channel: answers still work */
        ngx_log_error(NGX_LOG_WARN, s->log, 0,
                      "cx redis: sentinel %V: SUBSCRIBE +switch-master "
                      "failed, failovers are noticed later: %*s",
                      &rc->name, (size_t) r->len, r->str);
    }

    if (!s->ping.timer_set && !ngx_exiting) {
        ngx_add_timer(&s->ping, NGX_HTTP_CX_SENTINEL_PING);
    }
}


/* "+switch-master": "name old-host old-port new-host new-port" */

static void
ngx_http_cx_sentinel_message(ngx_http_cx_redis_conn_t *rc, redisReply *r,
    void *data)
{
    ngx_http_cx_sentinel_t *s = rc->data;

    u_char      *p, *last;
    ngx_str_t    word[5];
    ngx_uint_t   n;
    redisReply  *channel, *payload;

    channel = r->element[1];
    payload = r->element[2];

    if (channel->type != REDIS_REPLY_STRING
        || payload->type != REDIS_REPLY_STRING
        || channel->len != 14
        || ngx_strncmp(channel->str, "+switch-master", 14) != 0)
    {
        return;
    }

    p = (u_char *) payload->str;
    last = p + payload->len;

    for (n = 0; n < 5 && p < last; n++) {
        word[n].data = p;

        while (p < last && *p != ' ') {
            p++;
        }

        word[n].len = p - word[n].data;

        if (p < last) {
            p++;
        }
    }

    if (n < 5 || p < last) {
        ngx_log_error(NGX_LOG_WARN, s->log, 0,
                      "cx redis: sentinel %V: a +switch-master message "
                      "not understood", &rc->name);
        return;
    }

    if (word[0].len != s->conf->master.len
        || ngx_strncmp(word[0].data, s->conf->master.data, word[0].len)
           != 0)
    {
        /* another primary this sentinel watches */
        return;
    }

    ngx_log_error(NGX_LOG_NOTICE, s->log, 0,
                  "cx redis: sentinel %V: the primary \"%V\" failed over "
                  "from %V:%V to %V:%V", &rc->name, &s->conf->master,
                  &word[1], &word[2], &word[3], &word[4]);

    s->found(s->data, &word[3], &word[4], 1);
}


static void
ngx_http_cx_sentinel_ping_handler(ngx_event_t *ev)
{
    ngx_http_cx_sentinel_t *s = ev->data;

    size_t       len;
    const char  *argv[1];

    if (s->quit || ngx_exiting || ngx_terminate
        || !ngx_http_cx_redis_is_ready(&s->conn))
    {
        return;
    }

    argv[0] = "PING";
    len = 4;

    /* no answer in cx_redis_timeout closes the connection: the next */

    if (ngx_http_cx_redis_send(&s->conn, 1, argv, &len,
                               ngx_http_cx_sentinel_pong, s)
        != NGX_OK)
    {
        ngx_http_cx_redis_close(&s->conn);
        ngx_http_cx_sentinel_next(s);
        return;
    }

    ngx_add_timer(&s->ping, NGX_HTTP_CX_SENTINEL_PING);
}


static void
ngx_http_cx_sentinel_pong(ngx_http_cx_redis_conn_t *rc, redisReply *r,
    void *data)
{
    /* any reply will do: the sentinel is there */
}


/* the connection ended by itself: refused, timed out, lost */

static void
ngx_http_cx_sentinel_closed(ngx_http_cx_redis_conn_t *rc)
{
    ngx_http_cx_sentinel_t *s = rc->data;

    ngx_uint_t  level;

    level = s->failures++ ? NGX_LOG_INFO : NGX_LOG_WARN;

    ngx_log_error(level, s->log, 0, "cx redis: sentinel: %s", rc->error);

    ngx_http_cx_sentinel_next(s);
}


/*
 * The connected sentinel could not answer: the next one now, while the
 * worker waits and some are left in this round; else later, with backoff.
 */

static void
ngx_http_cx_sentinel_next(ngx_http_cx_sentinel_t *s)
{
    ngx_msec_t  delay;

    if (s->ping.timer_set) {
        ngx_del_timer(&s->ping);
    }

    s->current = (s->current + 1) % s->conf->sentinels->nelts;

    if (s->quit || ngx_exiting || ngx_terminate) {
        return;
    }

    if (s->asking) {
        if (++s->tried < s->conf->sentinels->nelts) {
            ngx_http_cx_sentinel_connect(s);
            return;
        }

        /* no sentinel answered: the worker retries with its backoff */

        s->asking = 0;
        s->tried = 0;

        s->found(s->data, NULL, NULL, 0);
    }

    if (s->conn.phase != ngx_http_cx_redis_phase_closed
        || s->retry.timer_set)
    {
        return;
    }

    delay = ngx_http_cx_redis_jitter(s->backoff);
    ngx_add_timer(&s->retry, delay);

    s->backoff = ngx_min(s->backoff * 2, NGX_HTTP_CX_SENTINEL_BACKOFF_MAX);
}


static void
ngx_http_cx_sentinel_retry_handler(ngx_event_t *ev)
{
    ngx_http_cx_sentinel_t *s = ev->data;

    if (s->quit || ngx_exiting || ngx_terminate) {
        return;
    }

    ngx_http_cx_sentinel_connect(s);
}


/* nginx is quitting: the subscription goes at once */

static void
ngx_http_cx_sentinel_quit(ngx_http_cx_redis_conn_t *rc)
{
    ngx_http_cx_sentinel_t *s = rc->data;

    s->quit = 1;

    if (s->retry.timer_set) {
        ngx_del_timer(&s->retry);
    }

    if (s->ping.timer_set) {
        ngx_del_timer(&s->ping);
    }

    ngx_http_cx_redis_close(rc);
}


ngx_int_t
ngx_http_cx_sentinel_role(redisReply *r, ngx_str_t *role)
{
    redisReply  *e;

    if (r->type != REDIS_REPLY_ARRAY || r->elements == 0) {
        return NGX_ERROR;
    }

    e = r->element[0];

    if (e->type != REDIS_REPLY_STRING && e->type != REDIS_REPLY_STATUS) {
        return NGX_ERROR;
    }

    role->data = (u_char *) e->str;
    role->len = e->len;

    return NGX_OK;
}
