
/*
 * ngx_http_cx_token.h: survey tokens -- signed with every survey tag,
 * checked by cx_collect, each event of one taken once
 * (ngx_http_cx_token.c) -- and the worker's random numbers.
 */


#ifndef _NGX_HTTP_CX_TOKEN_H_INCLUDED_
#define _NGX_HTTP_CX_TOKEN_H_INCLUDED_


#include "ngx_http_cx_module.h"
#include "ngx_http_cx_events.h"


#define NGX_HTTP_CX_TOKEN_LEN       48     /* without a variant */
#define NGX_HTTP_CX_VARIANT_MAX     32     /* a question variant's name */
#define NGX_HTTP_CX_TOKEN_MAX       (NGX_HTTP_CX_TOKEN_LEN + 1              \
                                     + NGX_HTTP_CX_VARIANT_MAX)
#define NGX_HTTP_CX_TOKEN_CUSTOM    4       /* custom events per token */


ngx_int_t ngx_http_cx_token_init(ngx_conf_t *cf,
    ngx_http_cx_main_conf_t *cmcf);
ngx_int_t ngx_http_cx_token_init_worker(ngx_cycle_t *cycle);
uint64_t ngx_http_cx_random64(void);
ngx_int_t ngx_http_cx_token_verify(ngx_http_request_t *r, ngx_str_t *token,
    ngx_str_t *survey, ngx_str_t *touchpoint, u_char *nonce,
    ngx_str_t *variant, const char **err);
size_t ngx_http_cx_token_sign(ngx_http_request_t *r, ngx_str_t *survey,
    ngx_str_t *touchpoint, ngx_str_t *variant, u_char *token);
ngx_uint_t ngx_http_cx_variant_valid(u_char *p, size_t len);
ngx_int_t ngx_http_cx_token_use(u_char *nonce, ngx_http_cx_event_e event,
    ngx_str_t *custom);


#endif /* _NGX_HTTP_CX_TOKEN_H_INCLUDED_ */
