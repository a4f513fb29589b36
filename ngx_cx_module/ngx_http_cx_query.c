
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
#include "ngx_http_cx_redis_cluster.h"
#include "ngx_http_cx_redis_nodes.h"


#define NGX_HTTP_CX_QUERY_ARGS  16


/* a command in a cluster: its own copy of the arguments, for resends */

typedef struct {
    ngx_http_cx_nodes_cmd_t      cmd;
    ngx_queue_t                  queue;     /* the query's cmds */
    ngx_http_cx_query_t         *query;
    ngx_uint_t                   index;
    int                          argc;
    const char                  *argv[NGX_HTTP_CX_QUERY_ARGS];
    size_t                       lens[NGX_HTTP_CX_QUERY_ARGS];
    u_char                       data[1];
} ngx_http_cx_query_cmd_t;


static ngx_int_t ngx_http_cx_query_node(ngx_http_cx_query_t *q,
    ngx_http_cx_nodes_t *nodes, int key, int argc, const char **argv,
    const size_t *argvlen);
static ngx_int_t ngx_http_cx_query_write(ngx_http_cx_redis_conn_t *rc,
    ngx_http_cx_nodes_cmd_t *cmd, ngx_http_cx_redis_reply_pt handler);
static void ngx_http_cx_query_node_done(ngx_http_cx_nodes_cmd_t *cmd,
    ngx_http_cx_redis_conn_t *rc, redisReply *reply);
static ngx_uint_t ngx_http_cx_query_cancel(ngx_http_cx_query_t *q);
static void ngx_http_cx_query_on_reply(ngx_http_cx_redis_conn_t *rc,
    redisReply *reply, void *data);
static void ngx_http_cx_query_got(ngx_http_cx_query_t *q, ngx_uint_t i,
    redisReply *reply);
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
    ngx_queue_init(&q->cmds);

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
    return ngx_http_cx_query_send(q, 1, argc, argv, argvlen);
}


ngx_int_t
ngx_http_cx_query_send(ngx_http_cx_query_t *q, int key, int argc,
    const char **argv, const size_t *argvlen)
{
    ngx_int_t                  rc;
    ngx_http_cx_nodes_t       *nodes;
    ngx_http_cx_redis_conn_t  *conn;

    nodes = ngx_http_cx_redis_cluster_nodes();

    if (nodes) {
        return ngx_http_cx_query_node(q, nodes, key, argc, argv, argvlen);
    }

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


/* a command to the primary of argv[key]'s slot, answered in any order */

static ngx_int_t
ngx_http_cx_query_node(ngx_http_cx_query_t *q, ngx_http_cx_nodes_t *nodes,
    int key, int argc, const char **argv, const size_t *argvlen)
{
    int                       i;
    u_char                   *p;
    size_t                    size;
    ngx_http_cx_query_cmd_t  *qc;

    if (argc > NGX_HTTP_CX_QUERY_ARGS || key >= argc) {
        return NGX_ERROR;
    }

    size = 0;

    for (i = 0; i < argc; i++) {
        size += argvlen[i];
    }

    qc = ngx_alloc(offsetof(ngx_http_cx_query_cmd_t, data) + size,
                   ngx_cycle->log);
    if (qc == NULL) {
        return NGX_ERROR;
    }

    ngx_memzero(qc, offsetof(ngx_http_cx_query_cmd_t, data));

    p = qc->data;

    for (i = 0; i < argc; i++) {
        qc->argv[i] = (const char *) p;
        qc->lens[i] = argvlen[i];
        p = ngx_cpymem(p, argv[i], argvlen[i]);
    }

    qc->argc = argc;
    qc->query = q;
    qc->index = q->sent++;

    qc->cmd.slot = ngx_http_cx_cluster_slot((u_char *) qc->argv[key],
                                            qc->lens[key]);
    qc->cmd.write = ngx_http_cx_query_write;
    qc->cmd.done = ngx_http_cx_query_node_done;
    qc->cmd.data = qc;

    ngx_queue_insert_tail(&q->cmds, &qc->queue);

    ngx_http_cx_nodes_send(nodes, &qc->cmd);

    return NGX_OK;
}


static ngx_int_t
ngx_http_cx_query_write(ngx_http_cx_redis_conn_t *rc,
    ngx_http_cx_nodes_cmd_t *cmd, ngx_http_cx_redis_reply_pt handler)
{
    ngx_http_cx_query_cmd_t  *qc = cmd->data;

    return ngx_http_cx_redis_send(rc, qc->argc, qc->argv, qc->lens,
                                  handler, cmd);
}


static void
ngx_http_cx_query_node_done(ngx_http_cx_nodes_cmd_t *cmd,
    ngx_http_cx_redis_conn_t *rc, redisReply *reply)
{
    ngx_http_cx_query_cmd_t  *qc = cmd->data;

    ngx_uint_t            i;
    ngx_http_cx_query_t  *q;

    q = qc->query;
    i = qc->index;

    ngx_queue_remove(&qc->queue);
    ngx_free(qc);

    ngx_http_cx_query_got(q, i, reply);
}


/*
 * The query's commands still in the cluster's hands are given up: those
 * waiting (a slot nobody serves yet, TRYAGAIN, CLUSTERDOWN, a node
 * reconnecting) go now, those in flight when their reply comes.  Returns
 * whether one was waiting.
 */

static ngx_uint_t
ngx_http_cx_query_cancel(ngx_http_cx_query_t *q)
{
    ngx_uint_t                waiting;
    ngx_queue_t              *e, *next;
    ngx_http_cx_query_cmd_t  *qc;

    waiting = 0;

    for (e = ngx_queue_head(&q->cmds);
         e != ngx_queue_sentinel(&q->cmds);
         e = next)
    {
        next = ngx_queue_next(e);
        qc = ngx_queue_data(e, ngx_http_cx_query_cmd_t, queue);

        if (ngx_http_cx_nodes_cancel(&qc->cmd) != NGX_OK) {
            continue;
        }

        waiting = 1;

        ngx_queue_remove(e);
        ngx_free(qc);
        q->received++;
    }

    return waiting;
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

    /* one connection answers in order */

    ngx_http_cx_query_got(q, q->received, reply);
}


static void
ngx_http_cx_query_got(ngx_http_cx_query_t *q, ngx_uint_t i,
    redisReply *reply)
{
    q->received++;

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

    ngx_int_t  rc;

    rc = NGX_HTTP_GATEWAY_TIME_OUT;

    if (ngx_http_cx_query_cancel(q)) {
        rc = NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    ngx_http_cx_query_finish(q, rc);
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

    (void) ngx_http_cx_query_cancel(q);

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
