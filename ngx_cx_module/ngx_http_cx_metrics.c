
/*
 * ngx_http_cx_metrics.c: the module's health.  Its counters live in a
 * small shared memory zone (all workers, kept across reloads) and are
 * updated with atomic adds, as stub_status does; the cx_metrics handler
 * prints them in Prometheus text format (exposition format 0.0.4), so
 * every worker answers the same.  Who may read them:
 * ngx_http_cx_access.c.
 */


#include "ngx_http_cx_module.h"
#include "ngx_http_cx_access.h"
#include "ngx_http_cx_metrics.h"
#include "ngx_http_cx_rules.h"
#include "ngx_http_cx_util.h"


#define NGX_HTTP_CX_METRIC_LINE      256
#define NGX_HTTP_CX_LATENCY_BUCKETS  12


typedef struct {
    ngx_atomic_t                 counter[ngx_http_cx_stat_last];
    ngx_atomic_t                 latency[NGX_HTTP_CX_LATENCY_BUCKETS + 1];
    ngx_atomic_t                 latency_ms_sum;
    ngx_atomic_t                 connected[NGX_MAX_PROCESSES];
} ngx_http_cx_stats_t;


typedef struct {
    ngx_str_t                    name;
    ngx_str_t                    labels;
    ngx_str_t                    help;      /* empty: as the line before */
} ngx_http_cx_metric_t;


#define NGX_HTTP_CX_SAME_HELP  ngx_null_string


static ngx_int_t ngx_http_cx_metrics_handler(ngx_http_request_t *r);
static u_char *ngx_http_cx_metrics_counters(u_char *p,
    ngx_http_cx_stats_t *stats);
static u_char *ngx_http_cx_metrics_latency(u_char *p,
    ngx_http_cx_stats_t *stats);
static ngx_int_t ngx_http_cx_metrics_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
static ngx_http_cx_stats_t *ngx_http_cx_stats(ngx_cycle_t *cycle);


/* flush latency histogram buckets, in milliseconds */

static ngx_msec_t  ngx_http_cx_latency_bounds[] = {
    1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000
};


/* indexed by ngx_http_cx_stat_e: entries may be added in any order */

static ngx_http_cx_metric_t  ngx_http_cx_stat_names[ngx_http_cx_stat_last] = {
    [ngx_http_cx_stat_injected] =
    { ngx_string("cx_injections_total"), ngx_string("placement=\"body\""),
      ngx_string("Survey tags injected into pages.") },
    [ngx_http_cx_stat_appended] =
    { ngx_string("cx_injections_total"), ngx_string("placement=\"end\""),
      NGX_HTTP_CX_SAME_HELP },
    [ngx_http_cx_stat_skip_encoded] =
    { ngx_string("cx_injection_skips_total"), ngx_string("reason=\"encoded\""),
      ngx_string("Pages a survey applied to but that were not injected.") },
    [ngx_http_cx_stat_skip_range] =
    { ngx_string("cx_injection_skips_total"), ngx_string("reason=\"range\""),
      NGX_HTTP_CX_SAME_HELP },
    [ngx_http_cx_stat_skip_not_sampled] =
    { ngx_string("cx_injection_skips_total"),
      ngx_string("reason=\"not_sampled\""), NGX_HTTP_CX_SAME_HELP },
    [ngx_http_cx_stat_skip_no_memory] =
    { ngx_string("cx_injection_skips_total"),
      ngx_string("reason=\"not_in_memory\""), NGX_HTTP_CX_SAME_HELP },
    [ngx_http_cx_stat_inflated] =
    { ngx_string("cx_inflated_total"), ngx_null_string,
      ngx_string("Gzip, deflate or brotli responses inflated to inject "
                 "a tag.") },
    [ngx_http_cx_stat_inflate_cut] =
    { ngx_string("cx_inflate_failures_total"), ngx_string("reason=\"limit\""),
      ngx_string("Inflated responses ended as failed: more than "
                 "cx_inflate_max bytes, or a broken compressed body.") },
    [ngx_http_cx_stat_inflate_broken] =
    { ngx_string("cx_inflate_failures_total"),
      ngx_string("reason=\"broken\""), NGX_HTTP_CX_SAME_HELP },
    [ngx_http_cx_stat_skip_privacy] =
    { ngx_string("cx_injection_skips_total"),
      ngx_string("reason=\"privacy\""), NGX_HTTP_CX_SAME_HELP },
    [ngx_http_cx_stat_counted] =
    { ngx_string("cx_counts_total"), ngx_null_string,
      ngx_string("Counter increments added in worker memory (an event "
                 "adds one to its daily and one to its hourly counter).") },
    [ngx_http_cx_stat_flushed] =
    { ngx_string("cx_counts_flushed_total"), ngx_null_string,
      ngx_string("Counter increments Redis acknowledged.") },
    [ngx_http_cx_stat_retried] =
    { ngx_string("cx_batches_retried_total"), ngx_null_string,
      ngx_string("Batches sent again after a failure.") },
    [ngx_http_cx_stat_dropped] =
    { ngx_string("cx_counts_dropped_total"), ngx_null_string,
      ngx_string("Counter increments dropped: cx_buffer full, failed "
                 "batches, unflushed at exit.") },
    [ngx_http_cx_stat_lost] =
    { ngx_string("cx_counts_lost_total"), ngx_null_string,
      ngx_string("Counter increments (and follow-up entries) of an applied "
                 "batch that Redis refused: a key of the wrong type, a "
                 "field that is not a number.  The rest of the batch "
                 "was applied.") },
    [ngx_http_cx_stat_batches] =
    { ngx_string("cx_batches_total"), ngx_null_string,
      ngx_string("Batches Redis acknowledged.") },
    [ngx_http_cx_stat_redis_errors] =
    { ngx_string("cx_redis_errors_total"), ngx_null_string,
      ngx_string("Redis connection failures, timeouts and error replies.") },
    [ngx_http_cx_stat_redis_connects] =
    { ngx_string("cx_redis_connects_total"), ngx_null_string,
      ngx_string("Redis connections established.") },
    [ngx_http_cx_stat_collected] =
    { ngx_string("cx_collected_total"), ngx_null_string,
      ngx_string("Widget events and answers accepted by cx_collect.") },
    [ngx_http_cx_stat_replayed] =
    { ngx_string("cx_collected_replayed_total"), ngx_null_string,
      ngx_string("Accepted events Redis refused: their token was "
                 "already used for that event.") },
    [ngx_http_cx_stat_over_token_events] =
    { ngx_string("cx_collected_over_limit_total"),
      ngx_string("limit=\"token_events\""),
      ngx_string("Accepted custom events the flush script did not count: "
                 "past the custom events of their token (token_events: "
                 "posts through several workers, or a reload), or past "
                 "cx_custom_event_names for their site and day "
                 "(event_names).") },
    [ngx_http_cx_stat_over_event_names] =
    { ngx_string("cx_collected_over_limit_total"),
      ngx_string("limit=\"event_names\""), NGX_HTTP_CX_SAME_HELP },
    [ngx_http_cx_stat_refused_replay] =
    { ngx_string("cx_collect_refused_total"), ngx_string("reason=\"replay\""),
      ngx_string("Posts cx_collect refused (4xx), by reason.") },
    [ngx_http_cx_stat_refused_token_events] =
    { ngx_string("cx_collect_refused_total"),
      ngx_string("reason=\"token_events\""), NGX_HTTP_CX_SAME_HELP },
    [ngx_http_cx_stat_refused_too_large] =
    { ngx_string("cx_collect_refused_total"),
      ngx_string("reason=\"too_large\""), NGX_HTTP_CX_SAME_HELP },
    [ngx_http_cx_stat_refused_token] =
    { ngx_string("cx_collect_refused_total"), ngx_string("reason=\"token\""),
      NGX_HTTP_CX_SAME_HELP },
    [ngx_http_cx_stat_refused_comment] =
    { ngx_string("cx_collect_refused_total"),
      ngx_string("reason=\"comment\""), NGX_HTTP_CX_SAME_HELP },
    [ngx_http_cx_stat_refused_page] =
    { ngx_string("cx_collect_refused_total"), ngx_string("reason=\"page\""),
      NGX_HTTP_CX_SAME_HELP },
    [ngx_http_cx_stat_refused_other] =
    { ngx_string("cx_collect_refused_total"), ngx_string("reason=\"other\""),
      NGX_HTTP_CX_SAME_HELP },
    [ngx_http_cx_stat_rules_evaluated] =
    { ngx_string("cx_rules_evaluations_total"), ngx_null_string,
      ngx_string("Calls of trigger() and touchpoint() in Lua rules.") },
    [ngx_http_cx_stat_rules_error] =
    { ngx_string("cx_rules_failures_total"), ngx_string("reason=\"error\""),
      ngx_string("Rule calls that failed (no survey, or no touchpoint "
                 "from Lua, for that request).") },
    [ngx_http_cx_stat_rules_result] =
    { ngx_string("cx_rules_failures_total"), ngx_string("reason=\"result\""),
      NGX_HTTP_CX_SAME_HELP },
    [ngx_http_cx_stat_rules_budget] =
    { ngx_string("cx_rules_failures_total"), ngx_string("reason=\"budget\""),
      NGX_HTTP_CX_SAME_HELP },
    [ngx_http_cx_stat_rules_memory] =
    { ngx_string("cx_rules_failures_total"), ngx_string("reason=\"memory\""),
      NGX_HTTP_CX_SAME_HELP },
    [ngx_http_cx_stat_rules_usec] =
    { ngx_string("cx_rules_time_microseconds_total"), ngx_null_string,
      ngx_string("Time spent in rule calls.") },
    [ngx_http_cx_stat_rules_remembered] =
    { ngx_string("cx_rules_touchpoints_remembered_total"), ngx_null_string,
      ngx_string("Touchpoints taken from the per-path memo of "
                 "touchpoint(r), without a call.") },
    [ngx_http_cx_stat_rules_log_suppressed] =
    { ngx_string("cx_rules_log_lines_suppressed_total"), ngx_null_string,
      ngx_string("Lines of rule failures and print() left out of the "
                 "error log: at most 10 a second per rule file and kind.") },
    [ngx_http_cx_stat_redis_primary_changes] =
    { ngx_string("cx_redis_primary_changes_total"), ngx_null_string,
      ngx_string("Times a worker process moved to another primary "
                 "(Sentinel: a failover, or a sentinel's new answer).") },
    [ngx_http_cx_stat_redis_wait_timeouts] =
    { ngx_string("cx_redis_wait_timeouts_total"), ngx_null_string,
      ngx_string("Batches applied but not acknowledged by cx_redis_wait's "
                 "replicas in time: kept and sent again.") },
    [ngx_http_cx_stat_cluster_moved] =
    { ngx_string("cx_redis_cluster_redirects_total"),
      ngx_string("reply=\"moved\""),
      ngx_string("Commands a Redis Cluster node did not run, by its reply: "
                 "sent again where the slot is (moved, ask), later "
                 "(tryagain, clusterdown), or after a new map "
                 "(readonly).") },
    [ngx_http_cx_stat_cluster_ask] =
    { ngx_string("cx_redis_cluster_redirects_total"),
      ngx_string("reply=\"ask\""), NGX_HTTP_CX_SAME_HELP },
    [ngx_http_cx_stat_cluster_tryagain] =
    { ngx_string("cx_redis_cluster_redirects_total"),
      ngx_string("reply=\"tryagain\""), NGX_HTTP_CX_SAME_HELP },
    [ngx_http_cx_stat_cluster_down] =
    { ngx_string("cx_redis_cluster_redirects_total"),
      ngx_string("reply=\"clusterdown\""), NGX_HTTP_CX_SAME_HELP },
    [ngx_http_cx_stat_cluster_readonly] =
    { ngx_string("cx_redis_cluster_redirects_total"),
      ngx_string("reply=\"readonly\""), NGX_HTTP_CX_SAME_HELP },
    [ngx_http_cx_stat_cluster_maps] =
    { ngx_string("cx_redis_cluster_maps_total"), ngx_null_string,
      ngx_string("Redis Cluster slot maps loaded (CLUSTER SLOTS): at "
                 "start, every 30 s, after redirections and failures.") },
};


char *
ngx_http_cx_metrics(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_cx_metrics_handler;

    /* the module's own endpoint: never a page view, never injected */
    ((ngx_http_cx_loc_conf_t *) conf)->endpoint = 1;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_cx_metrics_handler(ngx_http_request_t *r)
{
    size_t                    size;
    u_char                   *p;
    ngx_int_t                 rc;
    ngx_buf_t                *b;
    ngx_str_t                 nosniff;
    ngx_uint_t                i, connected;
    ngx_http_cx_stats_t      *stats;
    ngx_http_cx_main_conf_t  *cmcf;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    rc = ngx_http_cx_access(r, 0);
    if (rc != NGX_OK) {
        return ngx_http_cx_access_denied(r, rc);
    }

    stats = ngx_http_cx_stats((ngx_cycle_t *) ngx_cycle);

    cmcf = ngx_http_get_module_main_conf(r, ngx_http_cx_module);

    size = (ngx_http_cx_stat_last + NGX_HTTP_CX_LATENCY_BUCKETS + 8)
           * NGX_HTTP_CX_METRIC_LINE * 2
           + ngx_http_cx_rules_metrics_size(cmcf);

    b = ngx_create_temp_buf(r->pool, size);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_http_cx_metrics_counters(b->last, stats);

    connected = 0;

    for (i = 0; i < NGX_MAX_PROCESSES; i++) {
        connected += stats->connected[i] ? 1 : 0;
    }

    p = ngx_sprintf(p, "# HELP cx_redis_connected Worker processes "
                       "connected to Redis.\n"
                       "# TYPE cx_redis_connected gauge\n"
                       "cx_redis_connected %ui\n", connected);

    p = ngx_http_cx_metrics_latency(p, stats);

    /* per rule file (ngx_http_cx_lua_errors.c) */
    p = ngx_http_cx_rules_metrics(p, cmcf);

    b->last = p;

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = b->last - b->pos;
    ngx_str_set(&r->headers_out.content_type,
                "text/plain; version=0.0.4; charset=utf-8");
    r->headers_out.content_type_len = sizeof("text/plain") - 1;

    ngx_str_set(&nosniff, "nosniff");

    if (ngx_http_cx_header_add(&r->headers_out.headers,
                               "X-Content-Type-Options", &nosniff)
        == NULL)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_cx_send(r, b);
}


static u_char *
ngx_http_cx_metrics_counters(u_char *p, ngx_http_cx_stats_t *stats)
{
    ngx_uint_t             i;
    ngx_http_cx_metric_t  *n;

    for (i = 0; i < ngx_http_cx_stat_last; i++) {
        n = &ngx_http_cx_stat_names[i];

        if (n->name.len == 0) {
            continue;
        }

        if (n->help.len) {
            p = ngx_sprintf(p, "# HELP %V %V\n# TYPE %V counter\n",
                            &n->name, &n->help, &n->name);
        }

        if (n->labels.len) {
            p = ngx_sprintf(p, "%V{%V} %uA\n", &n->name, &n->labels,
                            stats->counter[i]);

        } else {
            p = ngx_sprintf(p, "%V %uA\n", &n->name, stats->counter[i]);
        }
    }

    return p;
}


static u_char *
ngx_http_cx_metrics_latency(u_char *p, ngx_http_cx_stats_t *stats)
{
    ngx_uint_t    i;
    ngx_atomic_t  sum;

    p = ngx_sprintf(p, "# HELP cx_flush_latency_seconds Time from sending a "
                       "batch to Redis' reply.\n"
                       "# TYPE cx_flush_latency_seconds histogram\n");

    sum = 0;

    for (i = 0; i < NGX_HTTP_CX_LATENCY_BUCKETS; i++) {
        sum += stats->latency[i];
        p = ngx_sprintf(p, "cx_flush_latency_seconds_bucket{le=\"%M.%03M\"} "
                           "%uA\n",
                        ngx_http_cx_latency_bounds[i] / 1000,
                        ngx_http_cx_latency_bounds[i] % 1000, sum);
    }

    sum += stats->latency[NGX_HTTP_CX_LATENCY_BUCKETS];

    p = ngx_sprintf(p, "cx_flush_latency_seconds_bucket{le=\"+Inf\"} %uA\n"
                       "cx_flush_latency_seconds_sum %uA.%03uA\n"
                       "cx_flush_latency_seconds_count %uA\n",
                    sum, stats->latency_ms_sum / 1000,
                    stats->latency_ms_sum % 1000, sum);

    return p;
}


ngx_int_t
ngx_http_cx_metrics_init_conf(ngx_conf_t *cf, ngx_http_cx_main_conf_t *cmcf)
{
    size_t     size;
    ngx_str_t  name = ngx_string("ngx_http_cx_stats");

    size = 8 * ngx_pagesize + sizeof(ngx_http_cx_stats_t);

    cmcf->stats_zone = ngx_shared_memory_add(cf, &name, size,
                                             &ngx_http_cx_module);
    if (cmcf->stats_zone == NULL) {
        return NGX_ERROR;
    }

    cmcf->stats_zone->init = ngx_http_cx_metrics_init_zone;

    return NGX_OK;
}


static ngx_int_t
ngx_http_cx_metrics_init_zone(ngx_shm_zone_t *shm_zone, void *data)
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


static ngx_http_cx_stats_t *
ngx_http_cx_stats(ngx_cycle_t *cycle)
{
    ngx_http_cx_main_conf_t  *cmcf;

    cmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_cx_module);

    return cmcf->stats_zone->data;
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


void
ngx_http_cx_stat_add_cycle(ngx_cycle_t *cycle, ngx_http_cx_stat_e stat,
    uint64_t n)
{
    ngx_http_cx_stats_t  *stats;

    stats = ngx_http_cx_stats(cycle);

    (void) ngx_atomic_fetch_add(&stats->counter[stat], (ngx_atomic_int_t) n);
}


void
ngx_http_cx_stat_latency(ngx_cycle_t *cycle, ngx_msec_t ms)
{
    ngx_uint_t            i;
    ngx_http_cx_stats_t  *stats;

    stats = ngx_http_cx_stats(cycle);

    for (i = 0; i < NGX_HTTP_CX_LATENCY_BUCKETS; i++) {
        if (ms <= ngx_http_cx_latency_bounds[i]) {
            break;
        }
    }

    (void) ngx_atomic_fetch_add(&stats->latency[i], 1);
    (void) ngx_atomic_fetch_add(&stats->latency_ms_sum, ms);
}


/* this worker's Redis connection state, by process slot */

void
ngx_http_cx_stat_worker(ngx_cycle_t *cycle, ngx_uint_t connected)
{
    ngx_http_cx_stats_t  *stats;

    if (ngx_process_slot < 0 || ngx_process_slot >= NGX_MAX_PROCESSES) {
        return;
    }

    stats = ngx_http_cx_stats(cycle);
    stats->connected[ngx_process_slot] = connected;
}
