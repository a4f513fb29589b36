
/*
 * ngx_http_cx_redis_nodes.c: a worker's Redis Cluster, as
 * docs/cluster.md designs it.
 *
 * The map comes from CLUSTER SLOTS (ngx_http_cx_redis_cluster.c checks
 * it), asked of the nodes of the current map and then of the configured
 * ones, in order, until one answers with a sane map; it is loaded at
 * worker start, every 30 s (+-25%), and at most once a second after a
 * MOVED, a READONLY, a CLUSTERDOWN or a lost node.  A new map replaces
 * the old one whole (its own pool).
 *
 * A node is one ngx_http_cx_redis_conn_t, opened when a command or a map
 * request needs it; after AUTH it loads the scripts (SCRIPT LOAD) and is
 * up.  A node that fails is connected again with capped backoff (with
 * jitter); the commands that waited for it go back to the map (their
 * slot may have moved, the map is asked again).
 *
 * A command is the owner's (the flush's sub-batch); its write() puts it
 * on a node's connection, again for every resend, and done() gets what
 * the node answered once it is not a redirection.  A send whose reply
 * never came (the connection went) is sent again and flagged
 * maybe_applied: the owner's exactly-once protocol recognises it.
 */


#include "ngx_http_cx_module.h"
#include "ngx_http_cx_redis_conn.h"
#include "ngx_http_cx_redis_cluster.h"
#include "ngx_http_cx_redis_nodes.h"
#include "ngx_http_cx_metrics.h"


#define NGX_HTTP_CX_NODES_MAX          (NGX_HTTP_CX_CLUSTER_MAX_NODES + 16)
#define NGX_HTTP_CX_NODES_REFRESH      30000   /* the periodic map */
#define NGX_HTTP_CX_NODES_REFRESH_MIN  1000    /* after a redirection */
#define NGX_HTTP_CX_NODES_BACKOFF_MIN  100
#define NGX_HTTP_CX_NODES_BACKOFF_MAX  5000
#define NGX_HTTP_CX_NODES_DOWN_MAX     10000   /* CLUSTERDOWN */
#define NGX_HTTP_CX_NODES_TRYAGAIN     10
#define NGX_HTTP_CX_NODES_REDIRECTS    8       /* then a pause */


typedef struct {
    ngx_http_cx_redis_conn_t     conn;
    ngx_http_cx_redis_found_t    found;     /* announced by a map */
    ngx_http_cx_nodes_t         *nodes;

    ngx_queue_t                  waiting;   /* commands, until it is up */
    ngx_event_t                  retry;
    ngx_msec_t                   backoff;
    ngx_uint_t                   failures;  /* in a row */
    ngx_uint_t                   loading;   /* SCRIPT LOADs unanswered */

    unsigned                     up:1;      /* the scripts are loaded */
    unsigned                     slots:1;   /* asked, or to ask, the map */
} ngx_http_cx_nodes_node_t;


struct ngx_http_cx_nodes_s {
    ngx_http_cx_redis_conf_t    *conf;
    ngx_cycle_t                 *cycle;
    ngx_log_t                   *log;
    ngx_msec_t                   timeout;
    ngx_msec_t                   retry_max;     /* TRYAGAIN's longest */

    ngx_str_t                    scripts[NGX_HTTP_CX_NODES_SCRIPTS];
    u_char                       sha[NGX_HTTP_CX_NODES_SCRIPTS][41];
    ngx_uint_t                   nscripts;

    ngx_http_cx_nodes_node_t   **all;   /* every node met, seeds first */
    ngx_uint_t                   nall;
    ngx_uint_t                   nseeds;

    ngx_pool_t                  *pool;      /* the map's */
    ngx_http_cx_cluster_map_t   *map;
    ngx_http_cx_nodes_node_t   **route;     /* map->nodes[i]'s node */

    ngx_queue_t                  pending;   /* commands, until a map */
    ngx_queue_t                  sleeping;  /* commands on their timer */

    ngx_event_t                  refresh;
    ngx_msec_t                   refreshed; /* the last ask's start */
    ngx_msec_t                   map_backoff;
    ngx_http_cx_nodes_node_t    *asked;     /* for the map, now */
    ngx_uint_t                   candidate; /* the next to ask */
    ngx_uint_t                   map_failures;

    ngx_http_cx_nodes_quit_pt    quit;
    void                        *data;

    unsigned                     freeing:1;
    unsigned                     quitting:1;
};


static ngx_http_cx_nodes_node_t *ngx_http_cx_nodes_node(
    ngx_http_cx_nodes_t *nodes, ngx_str_t *host, in_port_t port);
static ngx_http_cx_nodes_node_t *ngx_http_cx_nodes_add(
    ngx_http_cx_nodes_t *nodes, ngx_http_cx_redis_node_t *seed);
static void ngx_http_cx_nodes_connect(ngx_http_cx_nodes_node_t *node);
static void ngx_http_cx_nodes_ready(ngx_http_cx_redis_conn_t *rc);
static void ngx_http_cx_nodes_closed(ngx_http_cx_redis_conn_t *rc);
static void ngx_http_cx_nodes_quit(ngx_http_cx_redis_conn_t *rc);
static ngx_int_t ngx_http_cx_nodes_load(ngx_http_cx_nodes_node_t *node);
static void ngx_http_cx_nodes_script_reply(ngx_http_cx_redis_conn_t *rc,
    redisReply *r, void *data);
static void ngx_http_cx_nodes_ignore(ngx_http_cx_redis_conn_t *rc,
    redisReply *r, void *data);
static void ngx_http_cx_nodes_retry_handler(ngx_event_t *ev);
static void ngx_http_cx_nodes_failed(ngx_http_cx_nodes_node_t *node);
static void ngx_http_cx_nodes_unqueue(ngx_queue_t *q);
static void ngx_http_cx_nodes_write(ngx_http_cx_nodes_node_t *node,
    ngx_http_cx_nodes_cmd_t *cmd);
static void ngx_http_cx_nodes_reply(ngx_http_cx_redis_conn_t *rc,
    redisReply *r, void *data);
static ngx_int_t ngx_http_cx_nodes_redirected(ngx_http_cx_nodes_node_t *node,
    ngx_http_cx_nodes_cmd_t *cmd, redisReply *r);
static void ngx_http_cx_nodes_sleep(ngx_http_cx_nodes_cmd_t *cmd,
    ngx_msec_t ms);
static void ngx_http_cx_nodes_wake(ngx_event_t *ev);
static void ngx_http_cx_nodes_queue(ngx_queue_t *q,
    ngx_http_cx_nodes_cmd_t *cmd);
static void ngx_http_cx_nodes_drain(ngx_http_cx_nodes_t *nodes,
    ngx_queue_t *q);
static void ngx_http_cx_nodes_soon(ngx_http_cx_nodes_t *nodes);
static void ngx_http_cx_nodes_refresh_handler(ngx_event_t *ev);
static void ngx_http_cx_nodes_ask_next(ngx_http_cx_nodes_t *nodes);
static void ngx_http_cx_nodes_ask(ngx_http_cx_nodes_node_t *node);
static void ngx_http_cx_nodes_slots_reply(ngx_http_cx_redis_conn_t *rc,
    redisReply *r, void *data);
static ngx_int_t ngx_http_cx_nodes_install(ngx_http_cx_nodes_t *nodes,
    ngx_http_cx_nodes_node_t *asked, ngx_pool_t *pool,
    ngx_http_cx_cluster_map_t *map);
static void ngx_http_cx_nodes_idle(ngx_http_cx_nodes_t *nodes,
    ngx_http_cx_nodes_node_t *asked);
static ngx_int_t ngx_http_cx_nodes_routes(ngx_http_cx_nodes_t *nodes,
    ngx_http_cx_nodes_node_t *asked, ngx_uint_t from);
static ngx_http_cx_nodes_node_t *ngx_http_cx_nodes_route(
    ngx_http_cx_nodes_t *nodes, ngx_uint_t slot);
static ngx_uint_t ngx_http_cx_nodes_stopping(ngx_http_cx_nodes_t *nodes);


ngx_http_cx_nodes_t *
ngx_http_cx_nodes_create(ngx_cycle_t *cycle, ngx_http_cx_redis_conf_t *conf,
    ngx_msec_t timeout, ngx_msec_t retry_max, ngx_str_t *scripts,
    ngx_uint_t nscripts)
{
    ngx_uint_t                 i;
    ngx_http_cx_nodes_t       *nodes;
    ngx_http_cx_redis_node_t  *seed;

    nodes = ngx_calloc(sizeof(ngx_http_cx_nodes_t), cycle->log);
    if (nodes == NULL) {
        return NULL;
    }

    nodes->conf = conf;
    nodes->cycle = cycle;
    nodes->log = cycle->log;
    nodes->timeout = timeout;
    nodes->retry_max = ngx_max(retry_max, NGX_HTTP_CX_NODES_TRYAGAIN);
    nodes->map_backoff = NGX_HTTP_CX_NODES_BACKOFF_MIN;

    nodes->nscripts = ngx_min(nscripts, NGX_HTTP_CX_NODES_SCRIPTS);

    for (i = 0; i < nodes->nscripts; i++) {
        nodes->scripts[i] = scripts[i];
    }

    ngx_queue_init(&nodes->pending);
    ngx_queue_init(&nodes->sleeping);

    nodes->refresh.handler = ngx_http_cx_nodes_refresh_handler;
    nodes->refresh.data = nodes;
    nodes->refresh.log = nodes->log;
    nodes->refresh.cancelable = 1;

    nodes->all = ngx_alloc(NGX_HTTP_CX_NODES_MAX * sizeof(void *),
                           nodes->log);
    nodes->route = ngx_alloc(NGX_HTTP_CX_CLUSTER_MAX_NODES * sizeof(void *),
                             nodes->log);

    if (nodes->all == NULL || nodes->route == NULL) {
        ngx_http_cx_nodes_free(nodes);
        return NULL;
    }

    seed = conf->seeds->elts;

    for (i = 0; i < conf->seeds->nelts; i++) {
        if (ngx_http_cx_nodes_add(nodes, &seed[i]) == NULL) {
            ngx_http_cx_nodes_free(nodes);
            return NULL;
        }
    }

    nodes->nseeds = nodes->nall;

    return nodes;
}


void
ngx_http_cx_nodes_start(ngx_http_cx_nodes_t *nodes,
    ngx_http_cx_nodes_quit_pt quit, void *data)
{
    nodes->quit = quit;
    nodes->data = data;

    nodes->candidate = 0;
    nodes->refreshed = ngx_current_msec;

    ngx_http_cx_nodes_ask_next(nodes);
}


void
ngx_http_cx_nodes_free(ngx_http_cx_nodes_t *nodes)
{
    ngx_uint_t                 i;
    ngx_http_cx_nodes_node_t  *node;

    nodes->freeing = 1;

    if (nodes->refresh.timer_set) {
        ngx_del_timer(&nodes->refresh);
    }

    ngx_http_cx_nodes_unqueue(&nodes->sleeping);
    ngx_http_cx_nodes_unqueue(&nodes->pending);

    if (nodes->all) {
        for (i = 0; i < nodes->nall; i++) {
            node = nodes->all[i];

            ngx_http_cx_nodes_unqueue(&node->waiting);

            if (node->retry.timer_set) {
                ngx_del_timer(&node->retry);
            }

            /* pending callbacks run with NULL: freeing, they do nothing */
            ngx_http_cx_redis_conn_free(&node->conn);
            ngx_free(node);
        }

        ngx_free(nodes->all);
    }

    if (nodes->route) {
        ngx_free(nodes->route);
    }

    if (nodes->pool) {
        ngx_destroy_pool(nodes->pool);
    }

    ngx_free(nodes);
}


u_char *
ngx_http_cx_nodes_sha(ngx_http_cx_nodes_t *nodes, ngx_uint_t script)
{
    return nodes->sha[script][0] ? nodes->sha[script] : NULL;
}


ngx_uint_t
ngx_http_cx_nodes_mapped(ngx_http_cx_nodes_t *nodes)
{
    return nodes->map != NULL;
}


ngx_str_t *
ngx_http_cx_nodes_name(ngx_http_cx_nodes_t *nodes, ngx_uint_t slot)
{
    static ngx_str_t  none = ngx_string("no node");

    ngx_http_cx_nodes_node_t  *node;

    node = ngx_http_cx_nodes_route(nodes, slot);

    return node ? &node->conn.node->addr : &none;
}


/* ---------------------------------------------------------- the nodes */


/* the node at host:port, made if new; NULL: not an address, or no memory */

static ngx_http_cx_nodes_node_t *
ngx_http_cx_nodes_node(ngx_http_cx_nodes_t *nodes, ngx_str_t *host,
    in_port_t port)
{
    u_char                     *p, text[NGX_HTTP_CX_REDIS_HOST_MAX + 9];
    ngx_int_t                   rc;
    ngx_str_t                   addr, ps;
    ngx_uint_t                  i;
    ngx_http_cx_nodes_node_t   *node;
    u_char                      pbuf[NGX_INT_T_LEN];

    if (host->len == 0 || host->len > NGX_HTTP_CX_REDIS_HOST_MAX) {
        return NULL;
    }

    p = ngx_sprintf(text, ngx_strlchr(host->data, host->data + host->len, ':')
                          ? "[%V]:%d" : "%V:%d", host, (int) port);
    addr.data = text;
    addr.len = p - text;

    for (i = 0; i < nodes->nall; i++) {
        node = nodes->all[i];

        if (node->conn.node->addr.len == addr.len
            && ngx_strncmp(node->conn.node->addr.data, addr.data, addr.len)
               == 0)
        {
            /* one with no address is kept to be named once */
            return node->failures == NGX_MAX_UINT32_VALUE ? NULL : node;
        }
    }

    node = ngx_http_cx_nodes_add(nodes, NULL);
    if (node == NULL) {
        return NULL;
    }

    ps.data = pbuf;
    ps.len = ngx_sprintf(pbuf, "%d", (int) port) - pbuf;

    rc = ngx_http_cx_redis_node_found(&node->found, nodes->conf, host, &ps);

    if (rc != NGX_OK) {
        ngx_log_error(NGX_LOG_ERR, nodes->log, 0,
                      "cx redis: the cluster names \"%V\": %s", &addr,
                      rc == NGX_ABORT ? "a name, and there is no resolver "
                                        "(cx_redis_resolver)"
                                      : "not an address");

        /* kept, never connected: the next lookup finds no address again */
        node->conn.node = &node->found.node;
        node->found.node.addr.data = node->found.text;
        node->found.node.addr.len = ngx_cpymem(node->found.text, addr.data,
                                               addr.len)
                                    - node->found.text;
        node->failures = NGX_MAX_UINT32_VALUE;
        return NULL;
    }

    node->conn.node = &node->found.node;

    return node;
}


/* a new node: a seed (configured), or announced by the cluster */

static ngx_http_cx_nodes_node_t *
ngx_http_cx_nodes_add(ngx_http_cx_nodes_t *nodes,
    ngx_http_cx_redis_node_t *seed)
{
    ngx_http_cx_nodes_node_t  *node;

    if (nodes->nall == NGX_HTTP_CX_NODES_MAX) {
        ngx_log_error(NGX_LOG_ERR, nodes->log, 0,
                      "cx redis: more than %d cluster nodes",
                      NGX_HTTP_CX_NODES_MAX);
        return NULL;
    }

    node = ngx_calloc(sizeof(ngx_http_cx_nodes_node_t), nodes->log);
    if (node == NULL) {
        return NULL;
    }

    if (ngx_http_cx_redis_conn_init(&node->conn, nodes->conf, nodes->timeout,
                                    nodes->log)
        != NGX_OK)
    {
        ngx_http_cx_redis_conn_free(&node->conn);
        ngx_free(node);
        return NULL;
    }

    if (seed) {
        node->conn.node = seed;
    }

    node->conn.data = node;
    node->conn.ready = ngx_http_cx_nodes_ready;
    node->conn.closed = ngx_http_cx_nodes_closed;
    node->conn.quit = ngx_http_cx_nodes_quit;

    node->nodes = nodes;
    node->backoff = NGX_HTTP_CX_NODES_BACKOFF_MIN;

    ngx_queue_init(&node->waiting);

    node->retry.handler = ngx_http_cx_nodes_retry_handler;
    node->retry.data = node;
    node->retry.log = nodes->log;
    node->retry.cancelable = 1;

    nodes->all[nodes->nall++] = node;

    return node;
}


/* connects unless connected, connecting, or waiting for its backoff */

static void
ngx_http_cx_nodes_connect(ngx_http_cx_nodes_node_t *node)
{
    if (node->conn.phase != ngx_http_cx_redis_phase_closed
        || node->retry.timer_set
        || ngx_http_cx_nodes_stopping(node->nodes))
    {
        return;
    }

    /* ready() or closed() may be called before this returns */
    ngx_http_cx_redis_connect(&node->conn);
}


/* after AUTH: the map if asked, the scripts */

static void
ngx_http_cx_nodes_ready(ngx_http_cx_redis_conn_t *rc)
{
    ngx_http_cx_nodes_node_t  *node = rc->data;

    ngx_http_cx_nodes_t  *nodes;

    nodes = node->nodes;

    if (node->slots) {
        ngx_http_cx_nodes_ask(node);

        if (rc->phase != ngx_http_cx_redis_phase_ready) {
            return;
        }
    }

    node->loading = nodes->nscripts;

    if (ngx_http_cx_nodes_load(node) != NGX_OK) {
        ngx_log_error(NGX_LOG_ERR, nodes->log, 0,
                      "cx redis: cannot send SCRIPT LOAD to %V", &rc->name);
        ngx_http_cx_redis_close(rc);
        ngx_http_cx_nodes_failed(node);
    }
}


/* SCRIPT LOAD of every script on the node's connection */

static ngx_int_t
ngx_http_cx_nodes_load(ngx_http_cx_nodes_node_t *node)
{
    size_t                lens[3];
    ngx_uint_t            i;
    const char           *argv[3];
    ngx_http_cx_nodes_t  *nodes;

    nodes = node->nodes;

    argv[0] = "SCRIPT";
    lens[0] = 6;
    argv[1] = "LOAD";
    lens[1] = 4;

    for (i = 0; i < nodes->nscripts; i++) {
        argv[2] = (const char *) nodes->scripts[i].data;
        lens[2] = nodes->scripts[i].len;

        if (ngx_http_cx_redis_send(&node->conn, 3, argv, lens,
                                   ngx_http_cx_nodes_script_reply,
                                   &nodes->sha[i])
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


static void
ngx_http_cx_nodes_script_reply(ngx_http_cx_redis_conn_t *rc, redisReply *r,
    void *data)
{
    u_char                    *sha = data;
    ngx_http_cx_nodes_t       *nodes;
    ngx_http_cx_nodes_node_t  *node;

    node = rc->data;
    nodes = node->nodes;

    if (r == NULL || nodes->freeing) {
        return;
    }

    if (r->type != REDIS_REPLY_STRING || r->len != 40) {
        ngx_log_error(NGX_LOG_ERR, nodes->log, 0,
                      "cx redis: SCRIPT LOAD on %V failed: %*s", &rc->name,
                      (size_t) (r->type == REDIS_REPLY_ERROR ? r->len : 0),
                      r->str);
        ngx_http_cx_stat_add_cycle(nodes->cycle,
                                   ngx_http_cx_stat_redis_errors, 1);

        ngx_http_cx_redis_close(rc);
        ngx_http_cx_nodes_failed(node);
        return;
    }

    ngx_memcpy(sha, r->str, 40);
    sha[40] = '\0';

    if (node->loading == 0 || --node->loading) {
        /* a reload after NOSCRIPT, or more to come */
        return;
    }

    if (node->failures) {
        ngx_log_error(NGX_LOG_NOTICE, nodes->log, 0,
                      "cx redis: connected to %V after %ui failed attempts",
                      &rc->name, node->failures);
    }

    node->up = 1;
    node->failures = 0;
    node->backoff = NGX_HTTP_CX_NODES_BACKOFF_MIN;

    ngx_http_cx_stat_add_cycle(nodes->cycle, ngx_http_cx_stat_redis_connects,
                               1);

    while (!ngx_queue_empty(&node->waiting) && node->up) {
        ngx_http_cx_nodes_drain(nodes, &node->waiting);
    }
}


/* the connection ended by itself: refused, timed out, lost */

static void
ngx_http_cx_nodes_closed(ngx_http_cx_redis_conn_t *rc)
{
    ngx_http_cx_nodes_node_t  *node = rc->data;

    ngx_uint_t            level;
    ngx_http_cx_nodes_t  *nodes;

    nodes = node->nodes;

    level = (rc->lost || node->failures == 0
             || node->backoff >= NGX_HTTP_CX_NODES_BACKOFF_MAX)
            ? NGX_LOG_ERR : NGX_LOG_INFO;

    ngx_log_error(level, nodes->log, 0, "cx redis: %s", rc->error);
    ngx_http_cx_stat_add_cycle(nodes->cycle, ngx_http_cx_stat_redis_errors,
                               1);

    ngx_http_cx_nodes_failed(node);
}


/*
 * A node failed (its connection is closed): it waits its backoff; the
 * commands that waited for it go back to the map, asked again soon (a
 * failover may have moved its slots); a map request goes to the next.
 */

static void
ngx_http_cx_nodes_failed(ngx_http_cx_nodes_node_t *node)
{
    ngx_http_cx_nodes_t  *nodes;

    nodes = node->nodes;

    node->up = 0;
    node->loading = 0;
    node->failures++;

    if (ngx_http_cx_nodes_stopping(nodes)) {
        return;
    }

    if (!node->retry.timer_set) {
        ngx_add_timer(&node->retry, ngx_http_cx_redis_jitter(node->backoff));
        node->backoff = ngx_min(node->backoff * 2,
                                NGX_HTTP_CX_NODES_BACKOFF_MAX);
    }

    while (!ngx_queue_empty(&node->waiting)) {
        ngx_http_cx_nodes_cmd_t  *cmd;
        ngx_queue_t              *q;

        q = ngx_queue_head(&node->waiting);
        ngx_queue_remove(q);

        cmd = ngx_queue_data(q, ngx_http_cx_nodes_cmd_t, queue);
        cmd->queued = 0;
        cmd->asking = NULL;

        ngx_http_cx_nodes_queue(&nodes->pending, cmd);
    }

    if (node->slots) {
        node->slots = 0;

        if (nodes->asked == node) {
            nodes->asked = NULL;
            ngx_http_cx_nodes_ask_next(nodes);
        }

        return;
    }

    ngx_http_cx_nodes_soon(nodes);
}


static void
ngx_http_cx_nodes_retry_handler(ngx_event_t *ev)
{
    ngx_http_cx_nodes_node_t  *node = ev->data;

    if (!ngx_queue_empty(&node->waiting)) {
        ngx_http_cx_nodes_connect(node);
    }
}


/* nginx is quitting (graceful shutdown or reload): the owner is told once */

static void
ngx_http_cx_nodes_quit(ngx_http_cx_redis_conn_t *rc)
{
    ngx_http_cx_nodes_node_t  *node = rc->data;

    ngx_http_cx_nodes_t  *nodes;

    nodes = node->nodes;

    if (nodes->quitting) {
        return;
    }

    nodes->quitting = 1;

    if (nodes->refresh.timer_set) {
        ngx_del_timer(&nodes->refresh);
    }

    if (nodes->quit) {
        nodes->quit(nodes->data);
    }
}


static void
ngx_http_cx_nodes_ignore(ngx_http_cx_redis_conn_t *rc, redisReply *r,
    void *data)
{
    /* ASKING's +OK; what it allowed shows in the next reply */
}


/* ------------------------------------------------------- the commands */


void
ngx_http_cx_nodes_send(ngx_http_cx_nodes_t *nodes,
    ngx_http_cx_nodes_cmd_t *cmd)
{
    ngx_http_cx_nodes_node_t  *node;

    cmd->nodes = nodes;

    if (cmd->timer.handler == NULL) {
        cmd->timer.handler = ngx_http_cx_nodes_wake;
        cmd->timer.data = cmd;
        cmd->timer.log = nodes->log;
        cmd->timer.cancelable = 1;
    }

    node = cmd->asking ? cmd->asking
                       : ngx_http_cx_nodes_route(nodes, cmd->slot);

    if (node == NULL) {
        /* no map yet, or nobody serves the slot: the map is asked again */
        ngx_http_cx_nodes_queue(&nodes->pending, cmd);

        if (nodes->map) {
            ngx_http_cx_nodes_soon(nodes);
        }

        return;
    }

    if (node->up) {
        ngx_http_cx_nodes_write(node, cmd);
        return;
    }

    ngx_http_cx_nodes_queue(&node->waiting, cmd);
    ngx_http_cx_nodes_connect(node);
}


/*
 * the commands of a queue out of it (the unit goes; a query's commands
 * are given up by their owner later, ngx_http_cx_nodes_cancel())
 */

static void
ngx_http_cx_nodes_unqueue(ngx_queue_t *q)
{
    ngx_queue_t              *e;
    ngx_http_cx_nodes_cmd_t  *cmd;

    while (!ngx_queue_empty(q)) {
        e = ngx_queue_head(q);
        cmd = ngx_queue_data(e, ngx_http_cx_nodes_cmd_t, queue);

        ngx_queue_remove(e);
        cmd->queued = 0;

        if (cmd->timer.timer_set) {
            ngx_del_timer(&cmd->timer);
        }
    }
}


ngx_int_t
ngx_http_cx_nodes_cancel(ngx_http_cx_nodes_cmd_t *cmd)
{
    if (cmd->queued) {
        ngx_queue_remove(&cmd->queue);
        cmd->queued = 0;
    }

    if (cmd->timer.timer_set) {
        ngx_del_timer(&cmd->timer);
    }

    cmd->asking = NULL;

    if (cmd->in_flight) {
        cmd->cancelled = 1;
        return NGX_AGAIN;
    }

    return NGX_OK;
}


static void
ngx_http_cx_nodes_write(ngx_http_cx_nodes_node_t *node,
    ngx_http_cx_nodes_cmd_t *cmd)
{
    size_t                len;
    const char           *argv[1];
    ngx_http_cx_nodes_t  *nodes;

    nodes = node->nodes;

    if (cmd->asking) {
        /* ASKING and the command go in one write */
        argv[0] = "ASKING";
        len = 6;

        if (ngx_http_cx_redis_send(&node->conn, 1, argv, &len,
                                   ngx_http_cx_nodes_ignore, NULL)
            != NGX_OK)
        {
            goto failed;
        }

        cmd->asking = NULL;
    }

    if (cmd->write(&node->conn, cmd, ngx_http_cx_nodes_reply) != NGX_OK) {
        goto failed;
    }

    cmd->in_flight = 1;
    cmd->sent = ngx_current_msec;

    return;

failed:

    ngx_log_error(NGX_LOG_ERR, nodes->log, 0,
                  "cx redis: cannot send to %V", &node->conn.name);

    cmd->asking = NULL;

    ngx_http_cx_nodes_sleep(cmd, NGX_HTTP_CX_NODES_BACKOFF_MIN);
}


static void
ngx_http_cx_nodes_reply(ngx_http_cx_redis_conn_t *rc, redisReply *r,
    void *data)
{
    ngx_http_cx_nodes_cmd_t  *cmd = data;

    ngx_http_cx_nodes_t       *nodes;
    ngx_http_cx_nodes_node_t  *node;

    node = rc->data;
    nodes = node->nodes;

    cmd->in_flight = 0;

    if (nodes->freeing) {
        return;
    }

    if (cmd->cancelled) {
        /* given up by its owner: whatever came, it is the last */
        cmd->done(cmd, rc, r);
        return;
    }

    if (r == NULL) {
        /* the connection went: sent again, wherever the slot is then */
        cmd->maybe_applied = 1;
        ngx_http_cx_nodes_queue(&nodes->pending, cmd);
        return;
    }

    if (r->type == REDIS_REPLY_ERROR
        && ngx_http_cx_nodes_redirected(node, cmd, r) == NGX_OK)
    {
        return;
    }

    cmd->backoff = 0;
    cmd->redirects = 0;

    cmd->done(cmd, rc, r);
}


/*
 * The reply table of docs/cluster.md for an error reply: NGX_OK when the
 * command is taken care of (to be sent again), NGX_DECLINED when the
 * error is the owner's.
 */

static ngx_int_t
ngx_http_cx_nodes_redirected(ngx_http_cx_nodes_node_t *node,
    ngx_http_cx_nodes_cmd_t *cmd, redisReply *r)
{
    size_t                           len;
    ngx_int_t                        rc;
    ngx_msec_t                       ms;
    const char                      *reason;
    ngx_http_cx_nodes_t             *nodes;
    ngx_http_cx_nodes_node_t        *to;
    ngx_http_cx_cluster_redirect_t   rd;

    nodes = node->nodes;
    len = r->len;

    rc = ngx_http_cx_cluster_redirect((u_char *) r->str, len, &rd, &reason);

    if (rc == NGX_ERROR) {
        ngx_log_error(NGX_LOG_ERR, nodes->log, 0,
                      "cx redis: %V answered %*s: %s", &node->conn.name,
                      len, r->str, reason);
        return NGX_DECLINED;
    }

    if (rc == NGX_DECLINED) {

        if (len >= 8 && ngx_strncmp(r->str, "NOSCRIPT", 8) == 0) {
            /* this node lost the scripts: loaded again before the resend */

            if (ngx_http_cx_nodes_load(node) != NGX_OK) {
                return NGX_DECLINED;
            }

            ngx_log_error(NGX_LOG_WARN, nodes->log, 0,
                          "cx redis: %V had lost the scripts: loaded again",
                          &node->conn.name);

            ngx_http_cx_nodes_write(node, cmd);
            return NGX_OK;
        }

        if (len >= 8 && ngx_strncmp(r->str, "READONLY", 8) == 0) {
            /* a replica now (a failover): the map is asked again */
            ngx_log_error(NGX_LOG_WARN, nodes->log, 0,
                          "cx redis: %V is not a primary any more",
                          &node->conn.name);
            ngx_http_cx_stat_add_cycle(nodes->cycle,
                                       ngx_http_cx_stat_cluster_readonly, 1);

            ngx_http_cx_nodes_queue(&nodes->pending, cmd);
            ngx_http_cx_nodes_soon(nodes);
            return NGX_OK;
        }

        return NGX_DECLINED;
    }

    if (rd.host.len == 0) {
        /* the host we are talking to */
        rd.host = node->conn.node->host;
    }

    switch (rd.type) {

    case NGX_HTTP_CX_CLUSTER_MOVED:
    case NGX_HTTP_CX_CLUSTER_ASK:

        ngx_http_cx_stat_add_cycle(nodes->cycle,
                                   rd.type == NGX_HTTP_CX_CLUSTER_MOVED
                                   ? ngx_http_cx_stat_cluster_moved
                                   : ngx_http_cx_stat_cluster_ask, 1);

        ngx_log_error(NGX_LOG_INFO, nodes->log, 0,
                      "cx redis: %V answered %*s", &node->conn.name,
                      len, r->str);

        to = ngx_http_cx_nodes_node(nodes, &rd.host, rd.port);

        if (to == NULL) {
            return NGX_DECLINED;
        }

        if (rd.type == NGX_HTTP_CX_CLUSTER_MOVED) {
            if (nodes->map == NULL
                || ngx_http_cx_cluster_moved(nodes->map, &rd, nodes->pool)
                   != NGX_OK
                || ngx_http_cx_nodes_routes(nodes, node, 0) != NGX_OK)
            {
                return NGX_DECLINED;
            }

            ngx_http_cx_nodes_soon(nodes);

        } else {
            cmd->asking = to;
        }

        if (++cmd->redirects > NGX_HTTP_CX_NODES_REDIRECTS) {
            /* the map changes faster than we follow: a pause */
            ngx_http_cx_nodes_sleep(cmd, NGX_HTTP_CX_NODES_REFRESH_MIN);
            return NGX_OK;
        }

        ngx_http_cx_nodes_send(nodes, cmd);
        return NGX_OK;

    case NGX_HTTP_CX_CLUSTER_TRYAGAIN:

        ngx_http_cx_stat_add_cycle(nodes->cycle,
                                   ngx_http_cx_stat_cluster_tryagain, 1);

        ms = cmd->backoff ? ngx_min(cmd->backoff * 2, nodes->retry_max)
                          : NGX_HTTP_CX_NODES_TRYAGAIN;
        cmd->backoff = ms;

        ngx_http_cx_nodes_sleep(cmd, ms);
        return NGX_OK;

    default: /* NGX_HTTP_CX_CLUSTER_CLUSTERDOWN */

        ngx_http_cx_stat_add_cycle(nodes->cycle,
                                   ngx_http_cx_stat_cluster_down, 1);

        ngx_log_error(NGX_LOG_WARN, nodes->log, 0,
                      "cx redis: %V answered %*s", &node->conn.name,
                      len, r->str);

        ms = cmd->backoff ? ngx_min(cmd->backoff * 2,
                                    NGX_HTTP_CX_NODES_DOWN_MAX)
                          : NGX_HTTP_CX_NODES_BACKOFF_MIN;
        cmd->backoff = ms;

        ngx_http_cx_nodes_sleep(cmd, ngx_http_cx_redis_jitter(ms));
        ngx_http_cx_nodes_soon(nodes);
        return NGX_OK;
    }
}


static void
ngx_http_cx_nodes_sleep(ngx_http_cx_nodes_cmd_t *cmd, ngx_msec_t ms)
{
    ngx_http_cx_nodes_queue(&cmd->nodes->sleeping, cmd);

    ngx_add_timer(&cmd->timer, ms);
}


static void
ngx_http_cx_nodes_wake(ngx_event_t *ev)
{
    ngx_http_cx_nodes_cmd_t  *cmd = ev->data;

    if (cmd->queued) {
        ngx_queue_remove(&cmd->queue);
        cmd->queued = 0;
    }

    ngx_http_cx_nodes_send(cmd->nodes, cmd);
}


static void
ngx_http_cx_nodes_queue(ngx_queue_t *q, ngx_http_cx_nodes_cmd_t *cmd)
{
    if (cmd->queued) {
        ngx_queue_remove(&cmd->queue);
    }

    ngx_queue_insert_tail(q, &cmd->queue);
    cmd->queued = 1;
}


/* every command of q sent again (each may come back to q: taken first) */

static void
ngx_http_cx_nodes_drain(ngx_http_cx_nodes_t *nodes, ngx_queue_t *q)
{
    ngx_queue_t               all, *e;
    ngx_http_cx_nodes_cmd_t  *cmd;

    if (ngx_queue_empty(q)) {
        return;
    }

    /* ngx_queue_add() links q's items after all's head; q left empty */
    ngx_queue_init(&all);
    ngx_queue_add(&all, q);
    ngx_queue_init(q);

    while (!ngx_queue_empty(&all)) {
        e = ngx_queue_head(&all);
        ngx_queue_remove(e);

        cmd = ngx_queue_data(e, ngx_http_cx_nodes_cmd_t, queue);
        cmd->queued = 0;

        ngx_http_cx_nodes_send(nodes, cmd);
    }
}


/* ------------------------------------------------------------ the map */


/* the map asked again, at most once a second */

static void
ngx_http_cx_nodes_soon(ngx_http_cx_nodes_t *nodes)
{
    ngx_msec_t  since, ms;

    if (ngx_http_cx_nodes_stopping(nodes) || nodes->asked) {
        return;
    }

    since = ngx_current_msec - nodes->refreshed;
    ms = since >= NGX_HTTP_CX_NODES_REFRESH_MIN
         ? 1 : NGX_HTTP_CX_NODES_REFRESH_MIN - since;

    if (nodes->refresh.timer_set) {
        if (nodes->refresh.timer.key <= ngx_current_msec + ms) {
            return;
        }

        ngx_del_timer(&nodes->refresh);
    }

    ngx_add_timer(&nodes->refresh, ms);
}


static void
ngx_http_cx_nodes_refresh_handler(ngx_event_t *ev)
{
    ngx_http_cx_nodes_t  *nodes = ev->data;

    if (ngx_http_cx_nodes_stopping(nodes) || nodes->asked) {
        return;
    }

    nodes->candidate = 0;
    nodes->refreshed = ngx_current_msec;

    ngx_http_cx_nodes_ask_next(nodes);
}


/*
 * The next node to ask for the map: the current map's primaries, then
 * the configured nodes.  None left: asked again after a backoff.
 */

static void
ngx_http_cx_nodes_ask_next(ngx_http_cx_nodes_t *nodes)
{
    ngx_uint_t                 i, nmap;
    ngx_http_cx_nodes_node_t  *node;

    if (ngx_http_cx_nodes_stopping(nodes)) {
        return;
    }

    nmap = nodes->map ? nodes->map->nnodes : 0;

    while (nodes->candidate < nmap + nodes->nseeds) {
        i = nodes->candidate++;

        node = (i < nmap) ? nodes->route[i] : nodes->all[i - nmap];

        if (node == NULL || node->retry.timer_set
            || node->failures == NGX_MAX_UINT32_VALUE)
        {
            continue;
        }

        nodes->asked = node;
        node->slots = 1;

        if (node->conn.phase == ngx_http_cx_redis_phase_ready) {
            ngx_http_cx_nodes_ask(node);

        } else {
            /* ready() asks; closed() comes back here */
            ngx_http_cx_redis_connect(&node->conn);
        }

        return;
    }

    nodes->map_failures++;

    if (nodes->map_failures == 1
        || nodes->map_backoff >= NGX_HTTP_CX_NODES_DOWN_MAX)
    {
        ngx_log_error(NGX_LOG_ERR, nodes->log, 0,
                      "cx redis: no cluster node gave the slot map "
                      "(cx_redis_cluster in %s:%ui)",
                      nodes->conf->file, nodes->conf->line);
    }

    ngx_add_timer(&nodes->refresh,
                  ngx_http_cx_redis_jitter(nodes->map_backoff));

    nodes->map_backoff = ngx_min(nodes->map_backoff * 2,
                                 NGX_HTTP_CX_NODES_DOWN_MAX);
}


static void
ngx_http_cx_nodes_ask(ngx_http_cx_nodes_node_t *node)
{
    size_t       lens[2];
    const char  *argv[2];

    argv[0] = "CLUSTER";
    lens[0] = 7;
    argv[1] = "SLOTS";
    lens[1] = 5;

    if (ngx_http_cx_redis_send(&node->conn, 2, argv, lens,
                               ngx_http_cx_nodes_slots_reply, node)
        != NGX_OK)
    {
        ngx_http_cx_redis_close(&node->conn);
        ngx_http_cx_nodes_failed(node);
    }
}


static void
ngx_http_cx_nodes_slots_reply(ngx_http_cx_redis_conn_t *rc, redisReply *r,
    void *data)
{
    ngx_http_cx_nodes_node_t  *node = data;

    const char                 *reason;
    ngx_pool_t                 *pool;
    ngx_http_cx_nodes_t        *nodes;
    ngx_http_cx_cluster_map_t  *map;

    nodes = node->nodes;

    if (nodes->freeing || r == NULL) {
        /* closed() asks the next */
        return;
    }

    node->slots = 0;
    nodes->asked = NULL;

    if (r->type == REDIS_REPLY_ERROR) {
        ngx_log_error(NGX_LOG_ERR, nodes->log, 0,
                      "cx redis: CLUSTER SLOTS on %V failed: %*s",
                      &rc->name, (size_t) r->len, r->str);
        ngx_http_cx_nodes_ask_next(nodes);
        return;
    }

    pool = ngx_create_pool(4096, nodes->log);
    if (pool == NULL) {
        ngx_http_cx_nodes_ask_next(nodes);
        return;
    }

    if (ngx_http_cx_cluster_map(r, pool, &map, &reason) != NGX_OK) {
        ngx_log_error(NGX_LOG_ERR, nodes->log, 0,
                      "cx redis: CLUSTER SLOTS on %V: not a slot map: %s",
                      &rc->name, reason);
        ngx_destroy_pool(pool);
        ngx_http_cx_nodes_ask_next(nodes);
        return;
    }

    if (ngx_http_cx_nodes_install(nodes, node, pool, map) != NGX_OK) {
        ngx_destroy_pool(pool);
        ngx_http_cx_nodes_ask_next(nodes);
        return;
    }

    if (!nodes->refresh.timer_set && !ngx_http_cx_nodes_stopping(nodes)) {
        ngx_add_timer(&nodes->refresh,
                      ngx_http_cx_redis_jitter(NGX_HTTP_CX_NODES_REFRESH));
    }

    ngx_http_cx_nodes_drain(nodes, &nodes->pending);
}


/* a new map replaces the old one whole */

static ngx_int_t
ngx_http_cx_nodes_install(ngx_http_cx_nodes_t *nodes,
    ngx_http_cx_nodes_node_t *asked, ngx_pool_t *pool,
    ngx_http_cx_cluster_map_t *map)
{
    ngx_pool_t                 *old_pool;
    ngx_http_cx_cluster_map_t  *old;

    old = nodes->map;
    old_pool = nodes->pool;

    nodes->map = map;
    nodes->pool = pool;

    if (ngx_http_cx_nodes_routes(nodes, asked, 0) != NGX_OK) {
        nodes->map = old;
        nodes->pool = old_pool;

        if (old) {
            (void) ngx_http_cx_nodes_routes(nodes, asked, 0);
        }

        return NGX_ERROR;
    }

    if (old_pool) {
        ngx_destroy_pool(old_pool);
    }

    ngx_http_cx_nodes_idle(nodes, asked);

    if (nodes->map_failures || old == NULL) {
        ngx_log_error(NGX_LOG_NOTICE, nodes->log, 0,
                      "cx redis: the cluster's slot map from %V: "
                      "%ui primaries, %ui slots served",
                      &asked->conn.name, map->nnodes, map->covered);
    }

    nodes->map_failures = 0;
    nodes->map_backoff = NGX_HTTP_CX_NODES_BACKOFF_MIN;

    ngx_http_cx_stat_add_cycle(nodes->cycle,
                               ngx_http_cx_stat_cluster_maps, 1);
    ngx_http_cx_stat_worker(nodes->cycle, 1);

    return NGX_OK;
}


/*
 * Connections to nodes that are no primaries of the map any more (a
 * replica now, out of the cluster) close once nothing waits on them
 */

static void
ngx_http_cx_nodes_idle(ngx_http_cx_nodes_t *nodes,
    ngx_http_cx_nodes_node_t *asked)
{
    ngx_uint_t                 i, j;
    ngx_http_cx_nodes_node_t  *node;

    for (i = 0; i < nodes->nall; i++) {
        node = nodes->all[i];

        if (node == asked
            || node->conn.phase == ngx_http_cx_redis_phase_closed
            || node->conn.pending
            || !ngx_queue_empty(&node->waiting))
        {
            continue;
        }

        for (j = 0; j < nodes->map->nnodes; j++) {
            if (nodes->route[j] == node) {
                break;
            }
        }

        if (j < nodes->map->nnodes) {
            continue;
        }

        ngx_log_error(NGX_LOG_INFO, nodes->log, 0,
                      "cx redis: %V is no primary of the map: closed",
                      &node->conn.name);

        node->up = 0;
        ngx_http_cx_redis_close(&node->conn);
    }
}


/* the node of each of the map's primaries, from index from on */

static ngx_int_t
ngx_http_cx_nodes_routes(ngx_http_cx_nodes_t *nodes,
    ngx_http_cx_nodes_node_t *asked, ngx_uint_t from)
{
    ngx_str_t                    host;
    ngx_uint_t                   i;
    ngx_http_cx_cluster_node_t  *cn;

    if (nodes->map->nnodes > NGX_HTTP_CX_CLUSTER_MAX_NODES) {
        return NGX_ERROR;
    }

    for (i = from; i < nodes->map->nnodes; i++) {
        cn = &nodes->map->nodes[i];

        /* no endpoint named: the host that was asked */
        host = cn->host.len ? cn->host : asked->conn.node->host;

        nodes->route[i] = ngx_http_cx_nodes_node(nodes, &host, cn->port);
    }

    return NGX_OK;
}


static ngx_http_cx_nodes_node_t *
ngx_http_cx_nodes_route(ngx_http_cx_nodes_t *nodes, ngx_uint_t slot)
{
    ngx_uint_t  i;

    if (nodes->map == NULL || slot >= NGX_HTTP_CX_CLUSTER_SLOTS) {
        return NULL;
    }

    i = nodes->map->slot[slot];

    if (i == NGX_HTTP_CX_CLUSTER_NONE || i >= nodes->map->nnodes) {
        return NULL;
    }

    return nodes->route[i];
}


static ngx_uint_t
ngx_http_cx_nodes_stopping(ngx_http_cx_nodes_t *nodes)
{
    return nodes->freeing || ngx_terminate || ngx_exiting;
}
