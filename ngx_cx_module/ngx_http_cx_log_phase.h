
/*
 * ngx_http_cx_log_phase.h: what is counted in the log phase
 * (ngx_http_cx_log_phase.c).
 */


#ifndef _NGX_HTTP_CX_LOG_PHASE_H_INCLUDED_
#define _NGX_HTTP_CX_LOG_PHASE_H_INCLUDED_


#include "ngx_http_cx_module.h"


ngx_int_t ngx_http_cx_log_phase_init(ngx_conf_t *cf);


#endif /* _NGX_HTTP_CX_LOG_PHASE_H_INCLUDED_ */
