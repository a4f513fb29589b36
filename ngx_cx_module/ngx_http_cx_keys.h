
/*
 * ngx_http_cx_keys.h: the Redis key schema -- every key the module
 * writes or reads is built here (docs/redis.md lists them, with their
 * types, lifetimes, writers and readers; t/026 checks the list against
 * what the module writes).  Every part is a validated name, so ":"
 * separates unambiguously.  Each builder writes at buf, without a NUL,
 * and returns the end; NGX_HTTP_CX_KEY_MAX bytes are always enough.
 */


#ifndef _NGX_HTTP_CX_KEYS_H_INCLUDED_
#define _NGX_HTTP_CX_KEYS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


#define NGX_HTTP_CX_KEY_MAX      512


/*
 * Redis Cluster (docs/cluster.md): a site's keys are spread over S
 * shards, shard s's keys tagged {prefix:site:s.k} (ngx_http_cx_shard.c),
 * all of one slot.  The names built below are the untagged ones
 * ({prefix}:{site}:...); ngx_http_cx_key_tagged() makes one shard's.
 */

typedef struct {
    ngx_str_t                    tag;       /* {prefix:site:s.k} */
    ngx_uint_t                   slot;
} ngx_http_cx_key_shard_t;


/* every configured site's tags, made once (a cluster's S shards) */

typedef struct {
    ngx_str_t                    prefix;
    ngx_uint_t                   n;         /* S */
    ngx_array_t                  sites;     /* ngx_http_cx_key_site_t */
} ngx_http_cx_key_shards_t;


typedef struct {
    ngx_str_t                    site;
    ngx_http_cx_key_shard_t     *shard;     /* [n] */
} ngx_http_cx_key_site_t;


/* how much of a month a counter hash holds */

typedef enum {
    ngx_http_cx_key_of_day = 0,     /* {YYYYMMDD} */
    ngx_http_cx_key_of_month,       /* {YYYYMM}: a month's rollup */
    ngx_http_cx_key_of_month_all,   /* {YYYYMM}:all: touchpoints added up */
    ngx_http_cx_key_of_day_all      /* {YYYYMMDD}:all: the same, a day */
} ngx_http_cx_key_span_e;


u_char *ngx_http_cx_key(u_char *buf, ngx_str_t *prefix, ngx_str_t *site,
    const char *kind, ngx_str_t *survey, u_char *day);
u_char *ngx_http_cx_key_span(u_char *buf, ngx_str_t *prefix,
    ngx_str_t *site, const char *kind, ngx_str_t *survey, u_char *day,
    ngx_http_cx_key_span_e span);
u_char *ngx_http_cx_key_rollup(u_char *buf, ngx_str_t *day_key,
    ngx_http_cx_key_span_e span);
u_char *ngx_http_cx_key_month_day(u_char *buf, ngx_str_t *day_key,
    ngx_uint_t dd);
ngx_uint_t ngx_http_cx_key_of_survey(ngx_str_t *day_key);
u_char *ngx_http_cx_key_token(u_char *buf, ngx_str_t *prefix,
    ngx_str_t *site, u_char *nonce, ngx_uint_t custom);
u_char *ngx_http_cx_key_names(u_char *buf, ngx_str_t *prefix,
    ngx_str_t *site, u_char *day);
u_char *ngx_http_cx_key_followup(u_char *buf, ngx_str_t *prefix,
    ngx_str_t *site);
u_char *ngx_http_cx_key_batch(u_char *buf, ngx_str_t *prefix, uint64_t id);

ngx_http_cx_key_shards_t *ngx_http_cx_key_shards(ngx_pool_t *pool,
    ngx_log_t *log, ngx_str_t *prefix, ngx_array_t *sites, ngx_uint_t n);
ngx_int_t ngx_http_cx_key_shard(ngx_http_cx_key_shards_t *shards,
    ngx_str_t *site, ngx_uint_t s, u_char *buf,
    ngx_http_cx_key_shard_t *shard);
u_char *ngx_http_cx_key_tagged(u_char *buf, ngx_http_cx_key_shard_t *shard,
    ngx_str_t *key, size_t skip);
ngx_int_t ngx_http_cx_key_site(ngx_str_t *prefix, ngx_str_t *key,
    ngx_str_t *site);


#endif /* _NGX_HTTP_CX_KEYS_H_INCLUDED_ */
