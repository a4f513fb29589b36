
/*
 * ngx_http_cx_redis_sentinel.h: where the primary is, by Sentinel
 * (ngx_http_cx_redis_sentinel.c).  The worker (ngx_http_cx_redis.c) asks
 * when it needs an address; the answer comes to its found() callback, and
 * so does every failover the sentinels announce.  The worker connects,
 * checks the node's ROLE and counts; this unit knows only the sentinels.
 */


#ifndef _NGX_HTTP_CX_REDIS_SENTINEL_H_INCLUDED_
#define _NGX_HTTP_CX_REDIS_SENTINEL_H_INCLUDED_


#include "ngx_http_cx_module.h"
#include "ngx_http_cx_redis_conn.h"


typedef struct ngx_http_cx_sentinel_s  ngx_http_cx_sentinel_t;

/*
 * The primary as a sentinel names it (host and port, valid until the
 * callback returns), or host NULL: no sentinel answered this round.
 * switched: a failover the sentinels announced (+switch-master), else an
 * answer.  The callback must not call ngx_http_cx_sentinel_ask().
 */
typedef void (*ngx_http_cx_sentinel_found_pt)(void *data, ngx_str_t *host,
    ngx_str_t *port, ngx_uint_t switched);


ngx_http_cx_sentinel_t *ngx_http_cx_sentinel_create(
    ngx_http_cx_redis_conf_t *conf, ngx_msec_t timeout, ngx_log_t *log,
    ngx_http_cx_sentinel_found_pt found, void *data);
void ngx_http_cx_sentinel_ask(ngx_http_cx_sentinel_t *s);
void ngx_http_cx_sentinel_free(ngx_http_cx_sentinel_t *s);
/* a ROLE reply: the role's name ("master", "slave", ...), NGX_ERROR if not */
ngx_int_t ngx_http_cx_sentinel_role(redisReply *r, ngx_str_t *role);


#endif /* _NGX_HTTP_CX_REDIS_SENTINEL_H_INCLUDED_ */
