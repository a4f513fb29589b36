
/*
 * ngx_http_cx_dashboard.h: the cx_dashboard handler, the marketers' page
 * (ngx_http_cx_dashboard.c).
 */


#ifndef _NGX_HTTP_CX_DASHBOARD_H_INCLUDED_
#define _NGX_HTTP_CX_DASHBOARD_H_INCLUDED_


#include "ngx_http_cx_module.h"


char *ngx_http_cx_dashboard(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);


#endif /* _NGX_HTTP_CX_DASHBOARD_H_INCLUDED_ */
