
/*
 * ngx_http_cx_log_phase.c: what is counted in the log phase, once per
 * request, after the response: a page view of a touchpoint, the survey
 * the filter put in it (triggered), and the backend's signals
 * (X-CX-Event), handed to the per-worker counters.
 */


#include "ngx_http_cx_module.h"
#include "ngx_http_cx_counter.h"
#include "ngx_http_cx_events.h"
#include "ngx_http_cx_log_phase.h"
#include "ngx_http_cx_pageview.h"


static ngx_int_t ngx_http_cx_log_phase_handler(ngx_http_request_t *r);


static ngx_str_t  ngx_http_cx_other = ngx_string(NGX_HTTP_CX_DEFAULT_TP);


ngx_int_t
ngx_http_cx_log_phase_init(ngx_conf_t *cf)
{
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_LOG_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_cx_log_phase_handler;

    return NGX_OK;
}


/* a page view: a 2xx or 304 answer to GET or POST */

static ngx_inline ngx_uint_t
ngx_http_cx_page_view(ngx_http_request_t *r)
{
    ngx_uint_t  status;

    status = r->headers_out.status;

    return (r->method & (NGX_HTTP_GET|NGX_HTTP_POST))
           && ((status >= NGX_HTTP_OK && status < NGX_HTTP_SPECIAL_RESPONSE)
               || status == NGX_HTTP_NOT_MODIFIED);
}


static ngx_int_t
ngx_http_cx_log_phase_handler(ngx_http_request_t *r)
{
    time_t                    now;
    ngx_str_t                 tp, *any, *ev, *events;
    ngx_int_t                 rc;
    ngx_uint_t                i;
    ngx_http_cx_ctx_t        *ctx;
    ngx_http_cx_srv_conf_t   *cscf;
    ngx_http_cx_loc_conf_t   *lcf;
    ngx_http_cx_main_conf_t  *cmcf;

    cmcf = ngx_http_get_module_main_conf(r, ngx_http_cx_module);

    if (cmcf->redis == NULL) {
        return NGX_OK;
    }

    events = ngx_http_cx_event_names;

    ctx = ngx_http_get_module_ctx(r, ngx_http_cx_module);
    lcf = ngx_http_get_module_loc_conf(r, ngx_http_cx_module);

    /* the common case: nothing to count here */

    if (lcf->endpoint
        || (ctx == NULL && lcf->touchpoint == NULL && lcf->rules == NULL))
    {
        return NGX_OK;
    }

    /*
     * The most common case: a page view of a location with a static
     * touchpoint, and nothing else to count (no survey was injected, no
     * signal came): no context, names from the configuration.
     */

    if (ctx == NULL && lcf->rules == NULL && lcf->touchpoint
        && lcf->touchpoint->lengths == NULL)
    {
        if (ngx_http_cx_page_view(r)) {
            cscf = ngx_http_get_module_srv_conf(r, ngx_http_cx_module);

            (void) ngx_http_cx_count_stable(cmcf, &cscf->site,
                                            &lcf->touchpoint->value,
                                            &events[ngx_http_cx_event_view],
                                            ngx_time());
        }

        return NGX_OK;
    }

    ctx = ngx_http_cx_get_ctx(r);
    if (ctx == NULL) {
        return NGX_OK;
    }

    rc = ngx_http_cx_pageview_touchpoint(r, ctx, &tp);

    if (rc == NGX_ERROR) {
        return NGX_OK;
    }

    if (rc != NGX_OK && !ctx->injected && ctx->signals == NULL) {
        return NGX_OK;
    }

    cscf = ngx_http_get_module_srv_conf(r, ngx_http_cx_module);
    now = ngx_time();

    any = (rc == NGX_OK) ? &tp : &ngx_http_cx_other;

    if (rc == NGX_OK && ngx_http_cx_page_view(r)) {
        (void) ngx_http_cx_count_event(cmcf, &cscf->site, NULL, &tp,
                                       &events[ngx_http_cx_event_view], now);
    }

    if (ctx->injected) {
        ev = &events[ngx_http_cx_event_triggered];

        (void) ngx_http_cx_count_event(cmcf, &cscf->site, NULL, any, ev,
                                       now);
        (void) ngx_http_cx_count_event(cmcf, &cscf->site, &ctx->survey->id,
                                       any, ev, now);
    }

    if (ctx->signals) {
        ev = ctx->signals->elts;

        for (i = 0; i < ctx->signals->nelts; i++) {
            (void) ngx_http_cx_count_event(cmcf, &cscf->site, NULL, any,
                                           &ev[i], now);
        }
    }

    return NGX_OK;
}
