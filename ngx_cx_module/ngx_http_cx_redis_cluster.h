
/*
 * ngx_http_cx_redis_cluster.h: what Redis Cluster asks of a client
 * (ngx_http_cx_redis_cluster.c): the slot of a key, the slot map read
 * from a CLUSTER SLOTS reply, and the redirections a node answers with
 * (MOVED, ASK, TRYAGAIN, CLUSTERDOWN).  No I/O and no logging here: the
 * caller owns the connections and logs the reasons this unit gives.
 */


#ifndef _NGX_HTTP_CX_REDIS_CLUSTER_H_INCLUDED_
#define _NGX_HTTP_CX_REDIS_CLUSTER_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <hiredis/hiredis.h>


#define NGX_HTTP_CX_CLUSTER_SLOTS      16384
/* a slot no node serves (the cluster lacks full coverage) */
#define NGX_HTTP_CX_CLUSTER_NONE       0xffff
/* more primaries than this in one map is taken as a hostile reply */
#define NGX_HTTP_CX_CLUSTER_MAX_NODES  1024
#define NGX_HTTP_CX_CLUSTER_MAX_HOST   255


/* the error replies a cluster node can give instead of an answer */
#define NGX_HTTP_CX_CLUSTER_MOVED        1
#define NGX_HTTP_CX_CLUSTER_ASK          2
#define NGX_HTTP_CX_CLUSTER_TRYAGAIN     3
#define NGX_HTTP_CX_CLUSTER_CLUSTERDOWN  4


/*
 * A primary: host empty when the node named no endpoint (NULL or ""):
 * the client then uses the host it sent CLUSTER SLOTS to.
 */
typedef struct {
    ngx_str_t                   host;
    in_port_t                   port;
    ngx_uint_t                  replicas;
} ngx_http_cx_cluster_node_t;


typedef struct {
    uint16_t                    slot[NGX_HTTP_CX_CLUSTER_SLOTS];
    ngx_http_cx_cluster_node_t *nodes;
    ngx_uint_t                  nnodes;
    /* slots some node serves: NGX_HTTP_CX_CLUSTER_SLOTS when covered */
    ngx_uint_t                  covered;
} ngx_http_cx_cluster_map_t;


/* MOVED and ASK name a slot and where it is now; host may be empty */
typedef struct {
    ngx_uint_t                  type;
    ngx_uint_t                  slot;
    ngx_str_t                   host;
    in_port_t                   port;
} ngx_http_cx_cluster_redirect_t;


uint16_t ngx_http_cx_cluster_crc16(u_char *p, size_t len);
/* the slot of a key: CRC16 of its {hash tag} if it has one, mod 16384 */
ngx_uint_t ngx_http_cx_cluster_slot(u_char *key, size_t len);

/*
 * A map from a CLUSTER SLOTS reply, in pool (hosts are copied: the reply
 * may go).  NGX_ERROR with *reason set for a reply that is not a sane
 * map, or no memory.
 */
ngx_int_t ngx_http_cx_cluster_map(redisReply *r, ngx_pool_t *pool,
    ngx_http_cx_cluster_map_t **map, const char **reason);
/*
 * MOVED: rd's slot is served by rd's node from now on (added to the map
 * if new; an empty host must have been replaced by the one that said
 * MOVED).  NGX_ERROR: no memory, or too many primaries.
 */
ngx_int_t ngx_http_cx_cluster_moved(ngx_http_cx_cluster_map_t *map,
    ngx_http_cx_cluster_redirect_t *rd, ngx_pool_t *pool);
/* the primary serving slot, NULL if none does */
ngx_http_cx_cluster_node_t *ngx_http_cx_cluster_node(
    ngx_http_cx_cluster_map_t *map, ngx_uint_t slot);

/*
 * An error reply's text (without the '-'): NGX_OK with rd filled for
 * MOVED, ASK, TRYAGAIN and CLUSTERDOWN; NGX_DECLINED for any other
 * error; NGX_ERROR with *reason for a MOVED or ASK that does not parse
 * (rd->host points into p).
 */
ngx_int_t ngx_http_cx_cluster_redirect(u_char *p, size_t len,
    ngx_http_cx_cluster_redirect_t *rd, const char **reason);


#endif /* _NGX_HTTP_CX_REDIS_CLUSTER_H_INCLUDED_ */
