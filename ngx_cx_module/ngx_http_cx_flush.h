
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


void ngx_http_cx_flush_script(ngx_str_t *script);
ngx_int_t ngx_http_cx_flush_send(ngx_http_cx_main_conf_t *cmcf,
    ngx_http_cx_redis_conn_t *rc, ngx_http_cx_batch_t *b, u_char *sha,
    u_char *batch_key, ngx_http_cx_redis_reply_pt cb, void *data,
    ngx_log_t *log);
ngx_http_cx_flush_e ngx_http_cx_flush_reply(redisReply *r,
    ngx_http_cx_flush_refused_t *refused);


#endif /* _NGX_HTTP_CX_FLUSH_H_INCLUDED_ */
