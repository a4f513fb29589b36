
/*
 * ngx_http_cx_redis.h: Redis as the rest of the module sees it -- the
 * worker's connection and its state (ngx_http_cx_redis.c) and the
 * cx_redis* directives (ngx_http_cx_redis_conf.c).  The connection
 * itself: ngx_http_cx_redis_conn.h.
 */


#ifndef _NGX_HTTP_CX_REDIS_H_INCLUDED_
#define _NGX_HTTP_CX_REDIS_H_INCLUDED_


#include "ngx_http_cx_module.h"


/* ngx_http_cx_redis.c */
ngx_int_t ngx_http_cx_redis_init_worker(ngx_cycle_t *cycle);
void ngx_http_cx_redis_exit_worker(ngx_cycle_t *cycle);
void ngx_http_cx_redis_counted(void);
ngx_int_t ngx_http_cx_redis_state(void);
ngx_uint_t ngx_http_cx_redis_cluster(void);
/* cx_redis_cluster: the worker's nodes, for reads (ngx_http_cx_query.c) */
struct ngx_http_cx_nodes_s *ngx_http_cx_redis_cluster_nodes(void);
struct ngx_http_cx_redis_conn_s *ngx_http_cx_redis_context(void);

/* ngx_http_cx_redis_conf.c */
char *ngx_http_cx_redis_conf(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_http_cx_redis_sentinel_conf(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_cx_redis_cluster_conf(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_cx_redis_wait(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_http_cx_redis_str_slot(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_cx_redis_flag_slot(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_cx_redis_protocols_slot(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_cx_redis_msec_slot(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_cx_redis_resolver(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_http_cx_redis_init_conf(ngx_conf_t *cf,
    ngx_http_cx_main_conf_t *cmcf);


#endif /* _NGX_HTTP_CX_REDIS_H_INCLUDED_ */
