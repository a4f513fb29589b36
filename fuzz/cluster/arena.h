
/*
 * fuzz/cluster/arena.h: the pool functions ngx_http_cx_redis_cluster.c
 * calls, over one arena the harness resets per input (arena.c).
 */


#ifndef _FUZZ_CLUSTER_ARENA_H_INCLUDED_
#define _FUZZ_CLUSTER_ARENA_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


void arena_reset(void);


#endif /* _FUZZ_CLUSTER_ARENA_H_INCLUDED_ */
