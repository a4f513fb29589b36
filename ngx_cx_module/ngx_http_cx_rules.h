
/*
 * ngx_http_cx_rules.h: the Lua trigger rules as the rest of the module
 * sees them -- their directives (ngx_http_cx_lua_conf.c), the VM of each
 * worker and the two calls a page view makes into it, trigger(r) and
 * touchpoint(r) (ngx_http_cx_lua.c).  What the rules' own files share is
 * in ngx_http_cx_lua.h.
 */


#ifndef _NGX_HTTP_CX_RULES_H_INCLUDED_
#define _NGX_HTTP_CX_RULES_H_INCLUDED_


#include "ngx_http_cx_module.h"


/*
 * The page view's touchpoint as ngx_http_cx_pageview.c decides it: the
 * caller of a rule hands it in, for r.touchpoint, so that the rules never
 * call back up into the page view.
 */

typedef ngx_int_t (*ngx_http_cx_touchpoint_pt)(ngx_http_request_t *r,
    ngx_http_cx_ctx_t *ctx, ngx_str_t *tp);


/* ngx_http_cx_lua_conf.c */
char *ngx_http_cx_rules_lua(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_http_cx_rules_budget(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_cx_rules_memory(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_cx_rules_time_zone(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_cx_rules_check(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_cx_rules_try(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_http_cx_lua_init_conf(ngx_conf_t *cf);

/* ngx_http_cx_lua.c */
ngx_int_t ngx_http_cx_lua_init_worker(ngx_cycle_t *cycle);
void ngx_http_cx_lua_exit_worker(ngx_cycle_t *cycle);
ngx_int_t ngx_http_cx_rules_trigger(ngx_http_request_t *r,
    ngx_http_cx_ctx_t *ctx, ngx_http_cx_rules_t *rules,
    ngx_http_cx_touchpoint_pt touchpoint);
ngx_int_t ngx_http_cx_rules_touchpoint(ngx_http_request_t *r,
    ngx_http_cx_ctx_t *ctx, ngx_http_cx_rules_t *rules,
    ngx_http_cx_touchpoint_pt touchpoint, ngx_str_t *tp);

/* ngx_http_cx_lua_errors.c: the rule files' failures, for cx_metrics and
   report=rules */
size_t ngx_http_cx_rules_metrics_size(ngx_http_cx_main_conf_t *cmcf);
u_char *ngx_http_cx_rules_metrics(u_char *p, ngx_http_cx_main_conf_t *cmcf);
ngx_int_t ngx_http_cx_rules_report(ngx_http_request_t *r);


#endif /* _NGX_HTTP_CX_RULES_H_INCLUDED_ */
