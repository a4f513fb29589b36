
/*
 * ngx_http_cx_filter.h: survey-trigger injection, the header and body
 * filters (ngx_http_cx_filter.c).
 */


#ifndef _NGX_HTTP_CX_FILTER_H_INCLUDED_
#define _NGX_HTTP_CX_FILTER_H_INCLUDED_


#include "ngx_http_cx_module.h"


ngx_int_t ngx_http_cx_filter_init(ngx_conf_t *cf);


#endif /* _NGX_HTTP_CX_FILTER_H_INCLUDED_ */
