
/*
 * ngx_http_cx_query.c: pipelined Redis reads for a request (see the
 * header).  Usage: create, add commands, run; the done callback answers.
 * The replies live in the connection's arena (ngx_http_cx_redis_conn.c)
 * until the reply callback returns: what it keeps, it copies.
 */


#include "ngx_http_cx_module.h"
#include "ngx_http_cx_query.h"
#include "ngx_http_cx_redis_conn.h"
#include "ngx_http_cx_redis.h"


static void ngx_http_cx_query_on_reply(ngx_http_cx_redis_conn_t *rc,
    redisReply *reply, void *data);
static void ngx_http_cx_query_finish(ngx_http_cx_query_t *q, ngx_int_t rc);
static void ngx_http_cx_query_timeout(ngx_event_t *ev);
static void ngx_http_cx_query_cleanup(void *data);
static void ngx_http_cx_query_free(ngx_http_cx_query_t *q);


ngx_http_cx_query_t *
ngx_http_cx_query_create(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t       *cln;
    ngx_http_cx_query_t      *q;
    ngx_http_cx_main_conf_t  *cmcf;

    cmcf = ngx_http_get_module_main_conf(r, ngx_http_cx_module);

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NULL;
    }

    q = ngx_calloc(sizeof(ngx_http_cx_query_t), r->connection->log);
    if (q == NULL) {
        return NULL;
    }

    q->request = r;
    q->rc = NGX_OK;

    q->timeout.handler = ngx_http_cx_query_timeout;
    q->timeout.data = q;
    q->timeout.log = ngx_cycle->log;
    q->timeout.cancelable = 1;

    ngx_add_timer(&q->timeout, cmcf->redis_timeout);

    cln->handler = ngx_http_cx_query_cleanup;
    cln->data = q;

    return q;
}


ngx_int_t
ngx_http_cx_query_add(ngx_http_cx_query_t *q, int argc, const char **argv,
    const size_t *argvlen)
{
    ngx_int_t                  rc;
    ngx_http_cx_redis_conn_t  *conn;

    conn = ngx_http_cx_redis_context();

    if (conn == NULL) {
        return NGX_DECLINED;
    }

    rc = ngx_http_cx_redis_send(conn, argc, argv, argvlen,
                                ngx_http_cx_query_on_reply, q);
    if (rc != NGX_OK) {
        return rc;
    }

    q->sent++;

    return NGX_OK;
}


/* with nothing sent, the query is done at once */

ngx_int_t
ngx_http_cx_query_run(ngx_http_cx_query_t *q)
{
    if (q->sent == 0) {
        ngx_http_cx_query_finish(q, NGX_OK);
        ngx_http_cx_query_free(q);
    }

    return NGX_OK;
}


static void
ngx_http_cx_query_on_reply(ngx_http_cx_redis_conn_t *rc, redisReply *reply,
    void *data)
{
    ngx_http_cx_query_t  *q = data;

    ngx_uint_t  i;

    i = q->received++;

    if (reply == NULL) {
        /* the connection went away */
        ngx_http_cx_query_finish(q, NGX_ERROR);

    } else if (!q->finished && q->request) {
        q->reply(q, i, reply);
    }

    if (q->received == q->sent) {
        ngx_http_cx_query_finish(q, NGX_OK);
        ngx_http_cx_query_free(q);
    }
}


static void
ngx_http_cx_query_finish(ngx_http_cx_query_t *q, ngx_int_t rc)
{
    if (q->finished) {
        return;
    }

    q->finished = 1;

    if (q->timeout.timer_set) {
        ngx_del_timer(&q->timeout);
    }

    if (q->request) {
        /* done() may finalize the request: its pool cleanup must not free q */
        q->in_done = 1;
        q->done(q, rc);
        q->in_done = 0;
    }
}


static void
ngx_http_cx_query_timeout(ngx_event_t *ev)
{
    ngx_http_cx_query_t  *q = ev->data;

    ngx_http_cx_query_finish(q, NGX_HTTP_GATEWAY_TIME_OUT);
}


/* the request pool goes: the query stays until its replies are in */

static void
ngx_http_cx_query_cleanup(void *data)
{
    ngx_http_cx_query_t  *q = data;

    q->request = NULL;

    if (q->timeout.timer_set) {
        ngx_del_timer(&q->timeout);
    }

    if (q->received == q->sent && !q->in_done) {
        ngx_free(q);
    }
}


static void
ngx_http_cx_query_free(ngx_http_cx_query_t *q)
{
    if (q->timeout.timer_set) {
        ngx_del_timer(&q->timeout);
    }

    if (q->request == NULL) {
        ngx_free(q);
    }

    /* else: the request's pool cleanup frees it */
}
