
/*
 * ngx_http_cx_metrics.c: the cx_metrics handler -- the module's health in
 * Prometheus text format (exposition format 0.0.4), read from the shared
 * counters of ngx_http_cx_stats.c, so every worker answers the same.
 * Who may read it: ngx_http_cx_access.c.
 */


#include "ngx_http_cx_module.h"


#define NGX_HTTP_CX_METRIC_LINE  256


static ngx_int_t ngx_http_cx_metrics_handler(ngx_http_request_t *r);
static u_char *ngx_http_cx_metrics_counters(u_char *p,
    ngx_http_cx_stats_t *stats);
static u_char *ngx_http_cx_metrics_latency(u_char *p,
    ngx_http_cx_stats_t *stats);


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
    size_t                size;
    u_char               *p;
    ngx_int_t             rc;
    ngx_buf_t            *b;
    ngx_uint_t            i, connected;
    ngx_chain_t           out;
    ngx_table_elt_t      *h;
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
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = b->last - b->pos;
    ngx_str_set(&r->headers_out.content_type,
                "text/plain; version=0.0.4; charset=utf-8");
    r->headers_out.content_type_len = sizeof("text/plain") - 1;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "X-Content-Type-Options");
    ngx_str_set(&h->value, "nosniff");

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


static u_char *
ngx_http_cx_metrics_counters(u_char *p, ngx_http_cx_stats_t *stats)
{
    ngx_uint_t                i;
    ngx_http_cx_stat_name_t  *n;

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
