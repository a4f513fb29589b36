
/*
 * ngx_http_cx_stats.c: the module's own health counters, shared by all
 * workers in a small shared memory zone (kept across reloads), updated
 * with atomic adds as stub_status does.
 */


#include "ngx_http_cx_module.h"


static ngx_int_t ngx_http_cx_stats_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);


ngx_int_t
ngx_http_cx_stats_init_conf(ngx_conf_t *cf, ngx_http_cx_main_conf_t *cmcf)
{
    ngx_str_t  name = ngx_string("ngx_http_cx_stats");

    cmcf->stats_zone = ngx_shared_memory_add(cf, &name, 8 * ngx_pagesize,
                                             &ngx_http_cx_module);
    if (cmcf->stats_zone == NULL) {
        return NGX_ERROR;
    }

    cmcf->stats_zone->init = ngx_http_cx_stats_init_zone;

    return NGX_OK;
}


static ngx_int_t
ngx_http_cx_stats_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_slab_pool_t      *shpool;
    ngx_http_cx_stats_t  *stats;

    if (data) {
        shm_zone->data = data;
        return NGX_OK;
    }

    shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        shm_zone->data = shpool->data;
        return NGX_OK;
    }

    stats = ngx_slab_calloc(shpool, sizeof(ngx_http_cx_stats_t));
    if (stats == NULL) {
        return NGX_ERROR;
    }

    shpool->data = stats;
    shm_zone->data = stats;

    return NGX_OK;
}


void
ngx_http_cx_stat_inc(ngx_http_request_t *r, ngx_http_cx_stat_e stat)
{
    ngx_http_cx_stats_t      *stats;
    ngx_http_cx_main_conf_t  *cmcf;

    cmcf = ngx_http_get_module_main_conf(r, ngx_http_cx_module);
    stats = cmcf->stats_zone->data;

    (void) ngx_atomic_fetch_add(&stats->counter[stat], 1);
}
