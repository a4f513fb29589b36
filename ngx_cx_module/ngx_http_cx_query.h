
/*
 * ngx_http_cx_query.h: reads from Redis for a request (cx_score), over
 * the worker's connection, pipelined, never blocking.  The query lives
 * on the heap, not in the request pool: the connection may call back
 * after the request is gone (a client that closed, a connection lost),
 * and then only the query is touched.
 *
 * With cx_redis_cluster each command goes to the primary of its key's
 * slot (ngx_http_cx_redis_nodes.c: MOVED and ASK followed, TRYAGAIN and
 * CLUSTERDOWN retried); a command still waiting when cx_redis_timeout
 * passes is given up, and the query fails with 503 (the cluster could
 * not serve a slot in time) rather than 504 (a node was slow).
 */


#ifndef _NGX_HTTP_CX_QUERY_H_INCLUDED_
#define _NGX_HTTP_CX_QUERY_H_INCLUDED_


#include "ngx_http_cx_module.h"
#include <hiredis/hiredis.h>


typedef struct ngx_http_cx_query_s  ngx_http_cx_query_t;

/*
 * one reply, in the order the commands were added; never NULL; valid
 * until the callback returns
 */
typedef void (*ngx_http_cx_query_reply_pt)(ngx_http_cx_query_t *q,
    ngx_uint_t i, redisReply *reply);

/*
 * All replies arrived (rc NGX_OK), or the query failed: NGX_ERROR (Redis
 * went away), NGX_HTTP_GATEWAY_TIME_OUT (cx_redis_timeout passed).  Called
 * once, only while the request exists; it answers and finalizes it.
 */
typedef void (*ngx_http_cx_query_done_pt)(ngx_http_cx_query_t *q,
    ngx_int_t rc);


struct ngx_http_cx_query_s {
    ngx_http_request_t          *request;   /* NULL once it is gone */
    void                        *data;      /* the caller's */
    ngx_http_cx_query_reply_pt   reply;
    ngx_http_cx_query_done_pt    done;

    ngx_uint_t                   sent;
    ngx_uint_t                   received;
    ngx_int_t                    rc;

    ngx_event_t                  timeout;
    ngx_queue_t                  cmds;      /* cluster: not answered yet */

    unsigned                     finished:1;
    unsigned                     in_done:1;
};


ngx_http_cx_query_t *ngx_http_cx_query_create(ngx_http_request_t *r);
ngx_int_t ngx_http_cx_query_add(ngx_http_cx_query_t *q, int argc,
    const char **argv, const size_t *argvlen);
/* the same, in a cluster routed by argv[key] (the key's slot) */
ngx_int_t ngx_http_cx_query_send(ngx_http_cx_query_t *q, int key, int argc,
    const char **argv, const size_t *argvlen);
ngx_int_t ngx_http_cx_query_run(ngx_http_cx_query_t *q);


#endif /* _NGX_HTTP_CX_QUERY_H_INCLUDED_ */
