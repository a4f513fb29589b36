
/*
 * ngx_http_cx_count.c: what is counted.  Backend signals (X-CX-Event and
 * X-CX-Touchpoint response headers, read and removed in the header
 * filter) and, in the log phase, page views of touchpoints, survey
 * impressions and the signals, handed to the per-worker counters.
 */


#include "ngx_http_cx_module.h"


#define NGX_HTTP_CX_SIGNALS_MAX  8


static ngx_int_t ngx_http_cx_log_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_cx_signal_events(ngx_http_request_t *r,
    ngx_http_cx_ctx_t *ctx, ngx_str_t *value);
static ngx_uint_t ngx_http_cx_reserved_event(ngx_str_t *name);


static ngx_str_t  ngx_http_cx_event_view = ngx_string("view");
static ngx_str_t  ngx_http_cx_event_triggered = ngx_string("triggered");
static ngx_str_t  ngx_http_cx_other = ngx_string(NGX_HTTP_CX_DEFAULT_TP);


/* events only the module itself may count */

static ngx_str_t  ngx_http_cx_reserved[] = {
    ngx_string("view"),
    ngx_string("triggered"),
    ngx_string("shown"),
    ngx_string("dismissed"),
    ngx_string("answered"),
    ngx_null_string
};


/*
 * Finds X-CX-Event and X-CX-Touchpoint among the response headers (an
 * upstream's, or add_header's), keeps their valid names and removes them:
 * they are for the module, not for the client.
 */

ngx_int_t
ngx_http_cx_signals(ngx_http_request_t *r)
{
    ngx_uint_t          i;
    ngx_list_part_t    *part;
    ngx_table_elt_t    *h;
    ngx_http_cx_ctx_t  *ctx;

    part = &r->headers_out.headers.part;
    h = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].hash == 0 || h[i].key.len < sizeof("X-CX-Event") - 1
            || ngx_strncasecmp(h[i].key.data, (u_char *) "X-CX-", 5) != 0)
        {
            continue;
        }

        ctx = ngx_http_cx_get_ctx(r);
        if (ctx == NULL) {
            return NGX_ERROR;
        }

        if (h[i].key.len == sizeof("X-CX-Event") - 1
            && ngx_strncasecmp(h[i].key.data + 5, (u_char *) "Event", 5) == 0)
        {
            h[i].hash = 0;

            if (ngx_http_cx_signal_events(r, ctx, &h[i].value) != NGX_OK) {
                return NGX_ERROR;
            }

            continue;
        }

        if (h[i].key.len == sizeof("X-CX-Touchpoint") - 1
            && ngx_strncasecmp(h[i].key.data + 5, (u_char *) "Touchpoint",
                               10) == 0)
        {
            h[i].hash = 0;

            if (!ngx_http_cx_name_valid(h[i].value.data, h[i].value.len)) {
                ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                              "cx: X-CX-Touchpoint \"%V\" is not a valid "
                              "name, ignored", &h[i].value);
                continue;
            }

            ctx->touchpoint = h[i].value;
            ctx->touchpoint_done = 1;
        }
    }

    return NGX_OK;
}


/* "name[, name...]": at most NGX_HTTP_CX_SIGNALS_MAX per response */

static ngx_int_t
ngx_http_cx_signal_events(ngx_http_request_t *r, ngx_http_cx_ctx_t *ctx,
    ngx_str_t *value)
{
    u_char     *p, *last, *start;
    ngx_str_t  *ev, name;

    p = value->data;
    last = p + value->len;

    while (p < last) {

        while (p < last && (*p == ' ' || *p == '\t' || *p == ',')) {
            p++;
        }

        start = p;

        while (p < last && *p != ',' && *p != ' ' && *p != '\t') {
            p++;
        }

        if (p == start) {
            break;
        }

        name.data = start;
        name.len = p - start;

        if (!ngx_http_cx_name_valid(name.data, name.len)
            || ngx_http_cx_reserved_event(&name))
        {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "cx: X-CX-Event \"%V\" is not a valid event "
                          "name, ignored", &name);
            continue;
        }

        if (ctx->signals == NULL) {
            ctx->signals = ngx_array_create(r->pool, 2, sizeof(ngx_str_t));
            if (ctx->signals == NULL) {
                return NGX_ERROR;
            }
        }

        if (ctx->signals->nelts == NGX_HTTP_CX_SIGNALS_MAX) {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "cx: more than %d X-CX-Event names, \"%V\" "
                          "ignored", NGX_HTTP_CX_SIGNALS_MAX, &name);
            continue;
        }

        ev = ngx_array_push(ctx->signals);
        if (ev == NULL) {
            return NGX_ERROR;
        }

        *ev = name;
    }

    return NGX_OK;
}


static ngx_uint_t
ngx_http_cx_reserved_event(ngx_str_t *name)
{
    ngx_str_t  *r;

    for (r = ngx_http_cx_reserved; r->len; r++) {
        if (r->len == name->len
            && ngx_strncmp(r->data, name->data, name->len) == 0)
        {
            return 1;
        }
    }

    return 0;
}


ngx_int_t
ngx_http_cx_count_init(ngx_conf_t *cf)
{
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_LOG_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_cx_log_handler;

    return NGX_OK;
}


/*
 * The log phase runs once per request, after the response: a page view
 * (a 2xx or 304 answer to GET or POST in a touchpoint), the survey the
 * filter injected, and the backend's signals.
 */

/* a 2xx or 304 answer to GET or POST */

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
ngx_http_cx_log_handler(ngx_http_request_t *r)
{
    time_t                    now;
    ngx_str_t                 tp, *any, *ev;
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
                                            &ngx_http_cx_event_view,
                                            ngx_time());
        }

        return NGX_OK;
    }

    ctx = ngx_http_cx_get_ctx(r);
    if (ctx == NULL) {
        return NGX_OK;
    }

    rc = ngx_http_cx_touchpoint(r, ctx, &tp);

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
                                       &ngx_http_cx_event_view, now);
    }

    if (ctx->injected) {
        (void) ngx_http_cx_count_event(cmcf, &cscf->site, NULL, any,
                                       &ngx_http_cx_event_triggered, now);
        (void) ngx_http_cx_count_event(cmcf, &cscf->site, &ctx->survey->id,
                                       any, &ngx_http_cx_event_triggered,
                                       now);
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
