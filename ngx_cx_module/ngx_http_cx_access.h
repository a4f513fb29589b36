
/*
 * ngx_http_cx_access.h: who may read what the module knows -- the
 * scores, the dashboard, the metrics -- and which sites site= may read
 * (ngx_http_cx_access.c).
 */


#ifndef _NGX_HTTP_CX_ACCESS_H_INCLUDED_
#define _NGX_HTTP_CX_ACCESS_H_INCLUDED_


#include "ngx_http_cx_module.h"


ngx_int_t ngx_http_cx_access(ngx_http_request_t *r, ngx_uint_t page);
ngx_int_t ngx_http_cx_access_denied(ngx_http_request_t *r, ngx_int_t rc);
ngx_int_t ngx_http_cx_access_site(ngx_http_request_t *r, ngx_str_t *site);
ngx_int_t ngx_http_cx_access_init(ngx_conf_t *cf);
char *ngx_http_cx_score_token(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_cx_score_sites(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);


#endif /* _NGX_HTTP_CX_ACCESS_H_INCLUDED_ */
