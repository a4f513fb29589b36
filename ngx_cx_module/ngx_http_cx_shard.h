
/*
 * ngx_http_cx_shard.h: a site's shards in Redis Cluster (docs/cluster.md
 * "The key schema", ngx_http_cx_shard.c): the hash tag of each of its S
 * shards, chosen so that the S tags spread evenly over the slot space,
 * and the shard of a token's nonce.  Pure functions, no allocation: the
 * key schema (ngx_http_cx_keys.c) caches the tags per site, and
 * fuzz/cluster's shards check program tests them.
 */


#ifndef _NGX_HTTP_CX_SHARD_H_INCLUDED_
#define _NGX_HTTP_CX_SHARD_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


/* the most shards a site may have (cx_redis_cluster shards=) */
#define NGX_HTTP_CX_SHARDS_MAX     1024

/* a tag's bytes beyond its prefix and site: "{" ":" "1023" "." k "}" */
#define NGX_HTTP_CX_SHARD_TAG_LEN  (NGX_INT_T_LEN + 8)


u_char *ngx_http_cx_shard_tag(u_char *buf, ngx_str_t *prefix,
    ngx_str_t *site, ngx_uint_t s, ngx_uint_t n, ngx_uint_t *slot);
ngx_uint_t ngx_http_cx_shard_of(u_char *nonce, size_t len, ngx_uint_t n);


#endif /* _NGX_HTTP_CX_SHARD_H_INCLUDED_ */
