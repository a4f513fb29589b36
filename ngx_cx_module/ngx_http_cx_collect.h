
/*
 * ngx_http_cx_collect.h: the cx_collect handler, widget events and
 * survey answers in (ngx_http_cx_collect.c).
 */


#ifndef _NGX_HTTP_CX_COLLECT_H_INCLUDED_
#define _NGX_HTTP_CX_COLLECT_H_INCLUDED_


#include "ngx_http_cx_module.h"


char *ngx_http_cx_collect(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);


#endif /* _NGX_HTTP_CX_COLLECT_H_INCLUDED_ */
