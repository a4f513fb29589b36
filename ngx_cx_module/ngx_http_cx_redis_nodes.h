
/*
 * ngx_http_cx_redis_nodes.h: a worker's Redis Cluster
 * (ngx_http_cx_redis_nodes.c): the slot map, loaded from the
 * cx_redis_cluster nodes and kept fresh, a connection per primary
 * opened on first use (each loads the scripts after AUTH), and commands
 * sent to the primary of their slot until a node answers them: MOVED,
 * ASK, TRYAGAIN, CLUSTERDOWN, READONLY, NOSCRIPT and lost connections
 * are dealt with here (docs/cluster.md, "Replies"); the owner sees the
 * answer, or an error that is not about where the slot is.
 */


#ifndef _NGX_HTTP_CX_REDIS_NODES_H_INCLUDED_
#define _NGX_HTTP_CX_REDIS_NODES_H_INCLUDED_


#include "ngx_http_cx_module.h"
#include "ngx_http_cx_redis_conn.h"


#define NGX_HTTP_CX_NODES_SCRIPTS  4


typedef struct ngx_http_cx_nodes_s      ngx_http_cx_nodes_t;
typedef struct ngx_http_cx_nodes_cmd_s  ngx_http_cx_nodes_cmd_t;

/*
 * Writes the command on rc (a node that is up), with handler and cmd as
 * its callback and data: ngx_http_cx_redis_send() or a protocol's own
 * sender (ngx_http_cx_flush_send()).  It runs again for every resend.
 */
typedef ngx_int_t (*ngx_http_cx_nodes_write_pt)(ngx_http_cx_redis_conn_t *rc,
    ngx_http_cx_nodes_cmd_t *cmd, ngx_http_cx_redis_reply_pt handler);

/* the answer, or an error reply that is not a redirection */
typedef void (*ngx_http_cx_nodes_done_pt)(ngx_http_cx_nodes_cmd_t *cmd,
    ngx_http_cx_redis_conn_t *rc, redisReply *r);

typedef void (*ngx_http_cx_nodes_quit_pt)(void *data);


/* the owner's, from ngx_http_cx_nodes_send() until done() */

struct ngx_http_cx_nodes_cmd_s {
    ngx_uint_t                   slot;
    ngx_http_cx_nodes_write_pt   write;
    ngx_http_cx_nodes_done_pt    done;
    void                        *data;

    /* the unit's */
    ngx_queue_t                  queue;     /* waiting: map, node, timer */
    ngx_http_cx_nodes_t         *nodes;
    void                        *asking;    /* ASK: the node, once */
    ngx_event_t                  timer;     /* TRYAGAIN, CLUSTERDOWN */
    ngx_msec_t                   backoff;
    ngx_uint_t                   redirects; /* in a row */
    ngx_msec_t                   sent;

    unsigned                     queued:1;
    unsigned                     in_flight:1;
    unsigned                     maybe_applied:1;   /* a send went unanswered */
    unsigned                     cancelled:1;   /* done() at its reply */
};


ngx_http_cx_nodes_t *ngx_http_cx_nodes_create(ngx_cycle_t *cycle,
    ngx_http_cx_redis_conf_t *conf, ngx_msec_t timeout, ngx_msec_t retry_max,
    ngx_str_t *scripts, ngx_uint_t nscripts);
/* asks the nodes for the map; quit() once when nginx quits */
void ngx_http_cx_nodes_start(ngx_http_cx_nodes_t *nodes,
    ngx_http_cx_nodes_quit_pt quit, void *data);
/* connections closed, timers gone; no command's done() is called */
void ngx_http_cx_nodes_free(ngx_http_cx_nodes_t *nodes);

void ngx_http_cx_nodes_send(ngx_http_cx_nodes_t *nodes,
    ngx_http_cx_nodes_cmd_t *cmd);
/*
 * The owner gives the command up (a read past its time): NGX_OK, it is
 * out of the unit now; NGX_AGAIN, it is in flight and its reply, or the
 * loss of its connection (r NULL), goes to done() as is, never resent.
 */
ngx_int_t ngx_http_cx_nodes_cancel(ngx_http_cx_nodes_cmd_t *cmd);
/* the script's SHA1 once a node loaded it, else NULL */
u_char *ngx_http_cx_nodes_sha(ngx_http_cx_nodes_t *nodes, ngx_uint_t script);
/* a map is loaded */
ngx_uint_t ngx_http_cx_nodes_mapped(ngx_http_cx_nodes_t *nodes);
/* the slot's primary's name, for logs */
ngx_str_t *ngx_http_cx_nodes_name(ngx_http_cx_nodes_t *nodes,
    ngx_uint_t slot);


#endif /* _NGX_HTTP_CX_REDIS_NODES_H_INCLUDED_ */
