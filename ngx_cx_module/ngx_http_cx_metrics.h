
/*
 * ngx_http_cx_metrics.h: the module's own health counters, shared by all
 * workers, and the cx_metrics handler that prints them.
 */


#ifndef _NGX_HTTP_CX_METRICS_H_INCLUDED_
#define _NGX_HTTP_CX_METRICS_H_INCLUDED_


#include "ngx_http_cx_module.h"


/* each has its Prometheus name in ngx_http_cx_stat_names[] */

typedef enum {
    ngx_http_cx_stat_injected = 0,
    ngx_http_cx_stat_appended,
    ngx_http_cx_stat_skip_encoded,
    ngx_http_cx_stat_skip_range,
    ngx_http_cx_stat_skip_not_sampled,
    ngx_http_cx_stat_skip_no_memory,
    ngx_http_cx_stat_skip_privacy,
    ngx_http_cx_stat_counted,
    ngx_http_cx_stat_flushed,
    ngx_http_cx_stat_retried,
    ngx_http_cx_stat_dropped,
    ngx_http_cx_stat_batches,
    ngx_http_cx_stat_redis_errors,
    ngx_http_cx_stat_redis_connects,
    ngx_http_cx_stat_collected,
    ngx_http_cx_stat_replayed,
    ngx_http_cx_stat_over_token_events,
    ngx_http_cx_stat_over_event_names,
    ngx_http_cx_stat_refused_replay,
    ngx_http_cx_stat_refused_token_events,
    ngx_http_cx_stat_refused_too_large,
    ngx_http_cx_stat_refused_token,
    ngx_http_cx_stat_refused_comment,
    ngx_http_cx_stat_refused_page,
    ngx_http_cx_stat_refused_other,
    ngx_http_cx_stat_rules_evaluated,
    ngx_http_cx_stat_rules_error,
    ngx_http_cx_stat_rules_result,
    ngx_http_cx_stat_rules_budget,
    ngx_http_cx_stat_rules_memory,
    ngx_http_cx_stat_rules_usec,
    ngx_http_cx_stat_rules_remembered,
    ngx_http_cx_stat_rules_log_suppressed,
    ngx_http_cx_stat_redis_primary_changes,
    ngx_http_cx_stat_redis_wait_timeouts,
    ngx_http_cx_stat_inflated,
    ngx_http_cx_stat_inflate_cut,
    ngx_http_cx_stat_inflate_broken,
    ngx_http_cx_stat_lost,
    ngx_http_cx_stat_cluster_moved,
    ngx_http_cx_stat_cluster_ask,
    ngx_http_cx_stat_cluster_tryagain,
    ngx_http_cx_stat_cluster_down,
    ngx_http_cx_stat_cluster_readonly,
    ngx_http_cx_stat_cluster_maps,
    ngx_http_cx_stat_last
} ngx_http_cx_stat_e;


char *ngx_http_cx_metrics(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
ngx_int_t ngx_http_cx_metrics_init_conf(ngx_conf_t *cf,
    ngx_http_cx_main_conf_t *cmcf);

void ngx_http_cx_stat_inc(ngx_http_request_t *r, ngx_http_cx_stat_e stat);
void ngx_http_cx_stat_add_cycle(ngx_cycle_t *cycle, ngx_http_cx_stat_e stat,
    uint64_t n);
void ngx_http_cx_stat_latency(ngx_cycle_t *cycle, ngx_msec_t ms);
void ngx_http_cx_stat_worker(ngx_cycle_t *cycle, ngx_uint_t connected);


#endif /* _NGX_HTTP_CX_METRICS_H_INCLUDED_ */
