
/*
 * ngx_http_cx_count.c: what is counted.  Backend signals (X-CX-Event and
 * X-CX-Touchpoint response headers, read and removed in the header
 * filter) and, in the log phase, page views of touchpoints, survey
 * impressions and the signals, handed to the per-worker counters.
 */


#include "ngx_http_cx_module.h"


#define NGX_HTTP_CX_SIGNALS_MAX  8


static ngx_int_t ngx_http_cx_signal_events(ngx_http_request_t *r,
    ngx_http_cx_ctx_t *ctx, ngx_str_t *value);
static ngx_uint_t ngx_http_cx_reserved_event(ngx_str_t *name);


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
