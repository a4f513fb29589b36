
/*
 * ngx_http_cx_hiredis.h: the nginx adapter for hiredis' async API.  It
 * wraps the context's socket in an ngx_connection_t and maps hiredis'
 * five event hooks onto nginx events (level-triggered: hiredis reads at
 * most 16 KiB per call, so an edge would leave the rest of a large reply
 * unread).  Nothing here knows what is sent through the connection.
 */


#ifndef _NGX_HTTP_CX_HIREDIS_H_INCLUDED_
#define _NGX_HTTP_CX_HIREDIS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>

#include <hiredis/hiredis.h>
#include <hiredis/async.h>


/*
 * Called instead of reading when nginx asks an idle connection to close
 * (graceful shutdown or reload): the owner decides when to let go.
 */
typedef void (*ngx_http_cx_hiredis_close_pt)(redisAsyncContext *ac);


ngx_int_t ngx_http_cx_hiredis_attach(redisAsyncContext *ac, ngx_log_t *log,
    ngx_http_cx_hiredis_close_pt on_close);


#endif /* _NGX_HTTP_CX_HIREDIS_H_INCLUDED_ */
