
/*
 * ngx_http_cx_widget.h: the cx_widget handler, GET /cx/widget.js, and
 * the nginx -t check that each server serves the widget its tags load
 * (ngx_http_cx_widget.c).
 */


#ifndef _NGX_HTTP_CX_WIDGET_H_INCLUDED_
#define _NGX_HTTP_CX_WIDGET_H_INCLUDED_


#include "ngx_http_cx_module.h"


char *ngx_http_cx_widget(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
ngx_int_t ngx_http_cx_widget_check(ngx_conf_t *cf);


#endif /* _NGX_HTTP_CX_WIDGET_H_INCLUDED_ */
