
/*
 * ngx_http_cx_lua.c: Lua trigger rules (placeholder until the rules VM
 * lands: no location has rules yet).
 */


#include "ngx_http_cx_module.h"


ngx_int_t
ngx_http_cx_rules_trigger(ngx_http_request_t *r, ngx_http_cx_ctx_t *ctx,
    ngx_http_cx_rules_t *rules)
{
    return NGX_DECLINED;
}
