
/*
 * ngx_http_cx_hiredis.c: the nginx adapter for hiredis' async API (see
 * the header).
 */


#include "ngx_http_cx_hiredis.h"


typedef struct {
    redisAsyncContext             *ac;
    ngx_http_cx_hiredis_close_pt   on_close;
} ngx_http_cx_hiredis_t;


static void ngx_http_cx_hiredis_read(ngx_event_t *ev);
static void ngx_http_cx_hiredis_write(ngx_event_t *ev);
static void ngx_http_cx_hiredis_add_read(void *data);
static void ngx_http_cx_hiredis_del_read(void *data);
static void ngx_http_cx_hiredis_add_write(void *data);
static void ngx_http_cx_hiredis_del_write(void *data);
static void ngx_http_cx_hiredis_cleanup(void *data);


ngx_int_t
ngx_http_cx_hiredis_attach(redisAsyncContext *ac, ngx_log_t *log,
    ngx_http_cx_hiredis_close_pt on_close)
{
    ngx_connection_t       *c;
    ngx_http_cx_hiredis_t  *h;

    if (ac->ev.data != NULL) {
        return NGX_ERROR;
    }

    h = ngx_alloc(sizeof(ngx_http_cx_hiredis_t), log);
    if (h == NULL) {
        return NGX_ERROR;
    }

    c = ngx_get_connection(ac->c.fd, log);
    if (c == NULL) {
        ngx_free(h);
        return NGX_ERROR;
    }

    h->ac = ac;
    h->on_close = on_close;

    c->data = h;
    c->log = log;
    c->read->log = log;
    c->write->log = log;
    c->read->handler = ngx_http_cx_hiredis_read;
    c->write->handler = ngx_http_cx_hiredis_write;

    /* nginx wakes idle connections with c->close set when it quits */
    c->idle = 1;

    ac->ev.data = c;
    ac->ev.addRead = ngx_http_cx_hiredis_add_read;
    ac->ev.delRead = ngx_http_cx_hiredis_del_read;
    ac->ev.addWrite = ngx_http_cx_hiredis_add_write;
    ac->ev.delWrite = ngx_http_cx_hiredis_del_write;
    ac->ev.cleanup = ngx_http_cx_hiredis_cleanup;

    return NGX_OK;
}


static void
ngx_http_cx_hiredis_read(ngx_event_t *ev)
{
    ngx_connection_t       *c;
    ngx_http_cx_hiredis_t  *h;

    c = ev->data;
    h = c->data;

    if (c->close) {
        c->close = 0;
        c->idle = 0;
        h->on_close(h->ac);
        return;
    }

    redisAsyncHandleRead(h->ac);
}


static void
ngx_http_cx_hiredis_write(ngx_event_t *ev)
{
    ngx_connection_t       *c;
    ngx_http_cx_hiredis_t  *h;

    c = ev->data;
    h = c->data;

    redisAsyncHandleWrite(h->ac);
}


static void
ngx_http_cx_hiredis_add_read(void *data)
{
    ngx_connection_t  *c = data;

    if (!c->read->active) {
        if (ngx_add_event(c->read, NGX_READ_EVENT, NGX_LEVEL_EVENT)
            != NGX_OK)
        {
            ngx_log_error(NGX_LOG_ALERT, c->log, 0,
                          "cx redis: adding a read event failed");
        }
    }
}


static void
ngx_http_cx_hiredis_del_read(void *data)
{
    ngx_connection_t  *c = data;

    if (c->read->active) {
        (void) ngx_del_event(c->read, NGX_READ_EVENT, 0);
    }
}


static void
ngx_http_cx_hiredis_add_write(void *data)
{
    ngx_connection_t  *c = data;

    if (!c->write->active) {
        if (ngx_add_event(c->write, NGX_WRITE_EVENT, NGX_LEVEL_EVENT)
            != NGX_OK)
        {
            ngx_log_error(NGX_LOG_ALERT, c->log, 0,
                          "cx redis: adding a write event failed");
        }
    }
}


static void
ngx_http_cx_hiredis_del_write(void *data)
{
    ngx_connection_t  *c = data;

    if (c->write->active) {
        (void) ngx_del_event(c->write, NGX_WRITE_EVENT, 0);
    }
}


/* hiredis closes the socket itself, right after this */

static void
ngx_http_cx_hiredis_cleanup(void *data)
{
    ngx_connection_t  *c = data;

    ngx_http_cx_hiredis_t  *h;

    ngx_http_cx_hiredis_del_read(c);
    ngx_http_cx_hiredis_del_write(c);

    if (c->read->posted) {
        ngx_delete_posted_event(c->read);
    }

    if (c->write->posted) {
        ngx_delete_posted_event(c->write);
    }

    h = c->data;
    h->ac->ev.data = NULL;
    ngx_free(h);

    c->fd = (ngx_socket_t) -1;
    ngx_free_connection(c);
}
