
/*
 * ngx_http_cx_redis_subs.h: a worker's flush to a Redis Cluster
 * (ngx_http_cx_redis_subs.c): each flush's batch split into sub-batches,
 * one per (site, shard), each sent to the primary of its slot through
 * the cluster's nodes (ngx_http_cx_redis_nodes.h), at most one in
 * flight per (site, shard); what the replies mean for the counts.
 */


#ifndef _NGX_HTTP_CX_REDIS_SUBS_H_INCLUDED_
#define _NGX_HTTP_CX_REDIS_SUBS_H_INCLUDED_


#include "ngx_http_cx_module.h"
#include "ngx_http_cx_redis_nodes.h"


typedef struct ngx_http_cx_subs_s  ngx_http_cx_subs_t;

/* a sub-batch was answered: the owner may flush again (exiting) */
typedef void (*ngx_http_cx_subs_answered_pt)(void *data);


ngx_http_cx_subs_t *ngx_http_cx_subs_create(ngx_cycle_t *cycle,
    ngx_http_cx_main_conf_t *cmcf, ngx_http_cx_nodes_t *nodes,
    u_char *batch_key, ngx_http_cx_subs_answered_pt answered, void *data);
/*
 * The counts of the table as sub-batches numbered seq, and the ones kept
 * from before: NGX_OK when something is in flight, NGX_DECLINED when
 * nothing is, NGX_ERROR (no memory).
 */
ngx_int_t ngx_http_cx_subs_flush(ngx_http_cx_subs_t *subs, uint64_t seq);
/* sub-batches in flight or kept to be sent again */
ngx_uint_t ngx_http_cx_subs_busy(ngx_http_cx_subs_t *subs);
/* what they still hold (events), freed; the nodes must be freed first */
uint64_t ngx_http_cx_subs_free(ngx_http_cx_subs_t *subs);


#endif /* _NGX_HTTP_CX_REDIS_SUBS_H_INCLUDED_ */
