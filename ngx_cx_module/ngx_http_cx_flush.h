
/*
 * ngx_http_cx_flush.h: the batch protocol (ngx_http_cx_flush.c): the
 * flush script, the EVALSHA that carries a batch, and what its reply
 * means.  It knows nothing of the connection it is sent on.
 */


#ifndef _NGX_HTTP_CX_FLUSH_H_INCLUDED_
#define _NGX_HTTP_CX_FLUSH_H_INCLUDED_


#include "ngx_http_cx_module.h"
#include "ngx_http_cx_counter.h"
#include "ngx_http_cx_redis_conn.h"


/* what a batch's reply means */

typedef enum {
    ngx_http_cx_flush_applied = 0,
    ngx_http_cx_flush_already,          /* a retry of an applied batch */
    ngx_http_cx_flush_noscript,         /* refused: the script is gone */
    ngx_http_cx_flush_refused,          /* refused before the script ran */
    ngx_http_cx_flush_failed            /* the script failed part-way */
} ngx_http_cx_flush_e;


/* the records of an applied batch the script refused, by rule */

typedef struct {
    uint64_t                     replayed;      /* token used for the event */
    uint64_t                     token_events;  /* the token's custom ones */
    uint64_t                     event_names;   /* the site's names a day */
    uint64_t                     lost;      /* counts of refused writes */
    ngx_str_t                    lost_key;  /* the first refused write's, */
    ngx_str_t                    lost_error;    /* in the reply */
} ngx_http_cx_flush_refused_t;


/*
 * cx_redis_cluster (docs/cluster.md "The flush, split per shard and
 * node"), the worker's side:
 *
 *   ngx_http_cx_counters_take(&b);            the table, as for one node
 *   ngx_http_cx_flush_split(cmcf, &b, busy, data, parts, log);
 *
 * appends to parts (an ngx_array_t of ngx_http_cx_batch_t, the caller's)
 * one part per (site, shard) with something to write, each carrying b's
 * number (seq), its site, shard and slot: every key its EVALSHA touches
 * is of that slot.  busy(data, site, shard) (NULL: never) says a shard
 * still has a part unanswered: what would go there goes back into the
 * table instead, for a later flush (at most one part per shard in
 * flight).  b is left empty.  Then for each part p:
 *
 *   node = the primary of p->slot;
 *   ngx_http_cx_flush_send(cmcf, node, p, sha, batch_key, cb, data, log);
 *
 * batch_key being the worker's ({prefix}:batch:{id}, as for one node: the
 * part's own, {prefix:site:s.k}:batch:{id}, is made from it), or the
 * part's own (a name that starts with "{" is taken as it is), which
 * ngx_http_cx_flush_batch_key() writes (for EXPIRE before a WAIT).  The reply
 * means what it means for one node (ngx_http_cx_flush_reply()): applied
 * or already -> ngx_http_cx_batch_free(p); refused before the script ran
 * -> ngx_http_cx_counters_merge(p) (or send p again, unchanged: it is
 * recognised if it was applied).  Without cx_redis_cluster
 * (cmcf->shards NULL) there is no split: b goes whole, as it always did.
 */

typedef ngx_uint_t (*ngx_http_cx_flush_busy_pt)(void *data, ngx_str_t *site,
    ngx_uint_t shard);


void ngx_http_cx_flush_script(ngx_str_t *script);
ngx_int_t ngx_http_cx_flush_send(ngx_http_cx_main_conf_t *cmcf,
    ngx_http_cx_redis_conn_t *rc, ngx_http_cx_batch_t *b, u_char *sha,
    u_char *batch_key, ngx_http_cx_redis_reply_pt cb, void *data,
    ngx_log_t *log);
u_char *ngx_http_cx_flush_batch_key(ngx_http_cx_main_conf_t *cmcf,
    ngx_http_cx_batch_t *b, u_char *batch_key, u_char *buf);
ngx_http_cx_flush_e ngx_http_cx_flush_reply(redisReply *r,
    ngx_http_cx_flush_refused_t *refused);

/* ngx_http_cx_flush_split.c */
ngx_int_t ngx_http_cx_flush_split(ngx_http_cx_main_conf_t *cmcf,
    ngx_http_cx_batch_t *b, ngx_http_cx_flush_busy_pt busy, void *data,
    ngx_array_t *parts, ngx_log_t *log);


#endif /* _NGX_HTTP_CX_FLUSH_H_INCLUDED_ */
