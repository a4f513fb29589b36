
/*
 * ngx_http_cx_module.c: the map of the module -- its directives, the
 * configuration they build (create, merge, init), its variables, and the
 * hooks it registers.  The work itself lives in one file per concern.
 */


#include "ngx_http_cx_module.h"
#include "ngx_http_cx_access.h"
#include "ngx_http_cx_collect.h"
#include "ngx_http_cx_dashboard.h"
#include "ngx_http_cx_filter.h"
#include "ngx_http_cx_keys.h"
#include "ngx_http_cx_log_phase.h"
#include "ngx_http_cx_metrics.h"
#include "ngx_http_cx_pageview.h"
#include "ngx_http_cx_redis_conn.h"
#include "ngx_http_cx_rules.h"
#include "ngx_http_cx_survey.h"
#include "ngx_http_cx_token.h"
#include "ngx_http_cx_util.h"
#include "ngx_http_cx_redis.h"
#include "ngx_http_cx_widget.h"
#include "ngx_http_cx_score.h"


#define NGX_HTTP_CX_SECRET_MIN      16


static ngx_int_t ngx_http_cx_add_variables(ngx_conf_t *cf);
static ngx_int_t ngx_http_cx_init(ngx_conf_t *cf);
static void ngx_http_cx_init_warnings(ngx_conf_t *cf,
    ngx_http_cx_main_conf_t *cmcf);
static ngx_int_t ngx_http_cx_init_process(ngx_cycle_t *cycle);
static void ngx_http_cx_exit_process(ngx_cycle_t *cycle);
static void *ngx_http_cx_create_srv_conf(ngx_conf_t *cf);
static char *ngx_http_cx_merge_srv_conf(ngx_conf_t *cf, void *parent,
    void *child);
static char *ngx_http_cx_site(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_cx_retention(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static void *ngx_http_cx_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_cx_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_http_cx_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_cx_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);

static char *ngx_http_cx_survey(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_cx_touchpoint_conf(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_cx_widget_src(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_cx_secret(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

static ngx_int_t ngx_http_cx_survey_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_cx_touchpoint_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_cx_variant_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);


static ngx_conf_num_bounds_t  ngx_http_cx_custom_names_bounds = {
    ngx_conf_check_num_bounds, 0, 100000
};


static ngx_command_t  ngx_http_cx_commands[] = {

    { ngx_string("cx_secret"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_cx_secret,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("cx_survey"),
      NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_2MORE,
      ngx_http_cx_survey,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("cx_touchpoint"),
      NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_cx_touchpoint_conf,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("cx_inject"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_cx_loc_conf_t, inject),
      NULL },

    { ngx_string("cx_inject_types"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_types_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_cx_loc_conf_t, types_keys),
      &ngx_http_html_default_types[0] },

    { ngx_string("cx_inject_memo"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_cx_loc_conf_t, memo),
      NULL },

    { ngx_string("cx_inflate_max"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_off_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_cx_loc_conf_t, inflate_max),
      NULL },

    { ngx_string("cx_inject_upstream_identity"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_cx_loc_conf_t, upstream_identity),
      NULL },

    { ngx_string("cx_last_modified"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_cx_loc_conf_t, last_modified),
      NULL },

    { ngx_string("cx_respect_gpc"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_cx_loc_conf_t, respect_gpc),
      NULL },

    { ngx_string("cx_visitor_cookie"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_cx_loc_conf_t, visitor_cookie),
      NULL },

    { ngx_string("cx_widget"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_cx_widget,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("cx_widget_src"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_cx_widget_src,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("cx_redis"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_http_cx_redis_conf,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("cx_redis_sentinel"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_2MORE,
      ngx_http_cx_redis_sentinel_conf,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("cx_redis_cluster"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_http_cx_redis_cluster_conf,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("cx_redis_wait"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE12,
      ngx_http_cx_redis_wait,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("cx_redis_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_cx_main_conf_t, redis_timeout),
      NULL },

    /* the cx_redis_* below: ngx_http_cx_redis_conf.c */

    { ngx_string("cx_redis_ssl_verify"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_FLAG,
      ngx_http_cx_redis_flag_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_cx_redis_conf_t, ssl_verify),
      NULL },

    { ngx_string("cx_redis_ssl_trusted_certificate"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_cx_redis_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_cx_redis_conf_t, ssl_trusted_certificate),
      NULL },

    { ngx_string("cx_redis_ssl_server_name"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_cx_redis_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_cx_redis_conf_t, ssl_server_name),
      NULL },

    { ngx_string("cx_redis_ssl_certificate"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_cx_redis_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_cx_redis_conf_t, ssl_certificate),
      NULL },

    { ngx_string("cx_redis_ssl_certificate_key"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_cx_redis_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_cx_redis_conf_t, ssl_certificate_key),
      NULL },

    { ngx_string("cx_redis_ssl_protocols"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_http_cx_redis_protocols_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_cx_redis_conf_t, ssl_protocols),
      NULL },

    { ngx_string("cx_redis_resolver"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_http_cx_redis_resolver,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("cx_redis_resolver_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_cx_redis_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_cx_redis_conf_t, resolver_timeout),
      NULL },

    { ngx_string("cx_flush_interval"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_cx_main_conf_t, flush_interval),
      NULL },

    { ngx_string("cx_buffer"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_cx_main_conf_t, buffer),
      NULL },

    { ngx_string("cx_retention"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_cx_retention,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_cx_main_conf_t, retention),
      NULL },

    { ngx_string("cx_site"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_CONF_TAKE1,
      ngx_http_cx_site,
      NGX_HTTP_SRV_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("cx_collect"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_cx_collect,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("cx_custom_event_names"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_cx_main_conf_t, custom_names),
      &ngx_http_cx_custom_names_bounds },

    { ngx_string("cx_followup_threshold"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_http_cx_followup_conf,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("cx_survey_gap"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_cx_survey_gap,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("cx_followup_maxlen"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_cx_main_conf_t, followup_maxlen),
      NULL },

    { ngx_string("cx_followup_retention"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_cx_retention,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_cx_main_conf_t, followup_retention),
      NULL },

    { ngx_string("cx_metrics"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_cx_metrics,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("cx_score"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_cx_score,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("cx_dashboard"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS|NGX_CONF_TAKE1,
      ngx_http_cx_dashboard,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("cx_score_token"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_cx_score_token,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("cx_score_open"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_cx_loc_conf_t, score_open),
      NULL },

    { ngx_string("cx_score_sites"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_cx_score_sites,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("cx_score_time_zone"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_cx_score_time_zone,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("cx_csp_nonce"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_set_complex_value_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_cx_loc_conf_t, csp_nonce),
      NULL },

    { ngx_string("cx_rules_lua"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_cx_rules_lua,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("cx_rules_budget"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_cx_rules_budget,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("cx_rules_memory"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_cx_rules_memory,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("cx_rules_time_zone"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_cx_rules_time_zone,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("cx_rules_check"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_FLAG,
      ngx_http_cx_rules_check,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("cx_rules_try"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_FLAG,
      ngx_http_cx_rules_try,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_cx_module_ctx = {
    ngx_http_cx_add_variables,             /* preconfiguration */
    ngx_http_cx_init,                      /* postconfiguration */

    ngx_http_cx_create_main_conf,          /* create main configuration */
    ngx_http_cx_init_main_conf,            /* init main configuration */

    ngx_http_cx_create_srv_conf,           /* create server configuration */
    ngx_http_cx_merge_srv_conf,            /* merge server configuration */

    ngx_http_cx_create_loc_conf,           /* create location configuration */
    ngx_http_cx_merge_loc_conf             /* merge location configuration */
};


ngx_module_t  ngx_http_cx_module = {
    NGX_MODULE_V1,
    &ngx_http_cx_module_ctx,               /* module context */
    ngx_http_cx_commands,                  /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_http_cx_init_process,              /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_cx_exit_process,              /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_http_variable_t  ngx_http_cx_vars[] = {

    { ngx_string("cx_survey"), NULL, ngx_http_cx_survey_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("cx_touchpoint"), NULL, ngx_http_cx_touchpoint_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("cx_variant"), NULL, ngx_http_cx_variant_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


static ngx_int_t
ngx_http_cx_survey_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_http_cx_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r->main, ngx_http_cx_module);

    if (ctx == NULL || ctx->survey == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    v->len = ctx->survey->id.len;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;
    v->data = ctx->survey->id.data;

    return NGX_OK;
}


/* the variant of the question of the survey injected, if any */

static ngx_int_t
ngx_http_cx_variant_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_http_cx_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r->main, ngx_http_cx_module);

    if (ctx == NULL || ctx->survey == NULL || ctx->variant.len == 0) {
        v->not_found = 1;
        return NGX_OK;
    }

    v->len = ctx->variant.len;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;
    v->data = ctx->variant.data;

    return NGX_OK;
}


static ngx_int_t
ngx_http_cx_touchpoint_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t           tp;
    ngx_int_t           rc;
    ngx_http_cx_ctx_t  *ctx;

    ctx = ngx_http_cx_get_ctx(r);
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    rc = ngx_http_cx_pageview_touchpoint(r, ctx, &tp);

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (rc != NGX_OK) {
        v->not_found = 1;
        return NGX_OK;
    }

    v->len = tp.len;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;
    v->data = tp.data;

    return NGX_OK;
}


static char *
ngx_http_cx_survey(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_cx_loc_conf_t *lcf = conf;

    char                      *rv;
    ngx_uint_t                 i;
    ngx_http_cx_survey_t      *s, *other, **reg;
    ngx_http_cx_main_conf_t   *cmcf;

    if (lcf->surveys == NULL) {
        lcf->surveys = ngx_array_create(cf->pool, 2,
                                        sizeof(ngx_http_cx_survey_t));
        if (lcf->surveys == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    s = ngx_array_push(lcf->surveys);
    if (s == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(s, sizeof(ngx_http_cx_survey_t));

    rv = ngx_http_cx_survey_parse(cf, s);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    other = lcf->surveys->elts;

    for (i = 0; i < lcf->surveys->nelts - 1; i++) {
        if (other[i].id.len == s->id.len
            && ngx_strncmp(other[i].id.data, s->id.data, s->id.len) == 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "duplicate survey id \"%V\" in \"%V\", "
                               "first defined in %s:%ui",
                               &s->id, &cmd->name, other[i].file,
                               other[i].line);
            return NGX_CONF_ERROR;
        }
    }

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_cx_module);

    other = ngx_http_cx_survey_find(cmcf, &s->id);

    if (other) {
        if (other->type != s->type) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "survey id \"%V\" in \"%V\" is already "
                               "defined with type=%V in %s:%ui",
                               &s->id, &cmd->name, &other->type->name,
                               other->file, other->line);
            return NGX_CONF_ERROR;
        }

        return NGX_CONF_OK;
    }

    reg = ngx_array_push(&cmcf->surveys);
    if (reg == NULL) {
        return NGX_CONF_ERROR;
    }

    *reg = s;

    return NGX_CONF_OK;
}


static char *
ngx_http_cx_touchpoint_conf(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_cx_loc_conf_t *lcf = conf;

    ngx_str_t                         *value;
    ngx_http_cx_main_conf_t           *cmcf;
    ngx_http_compile_complex_value_t   ccv;

    if (lcf->touchpoint != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_cx_module);

    if (cmcf->touchpoint_file == NULL) {
        cmcf->touchpoint_file = cf->conf_file->file.name.data;
        cmcf->touchpoint_line = cf->conf_file->line;
    }

    value = cf->args->elts;

    lcf->touchpoint = ngx_palloc(cf->pool, sizeof(ngx_http_complex_value_t));
    if (lcf->touchpoint == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));

    ccv.cf = cf;
    ccv.value = &value[1];
    ccv.complex_value = lcf->touchpoint;

    if (ngx_http_compile_complex_value(&ccv) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    if (lcf->touchpoint->lengths == NULL
        && !ngx_http_cx_name_valid(value[1].data, value[1].len))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid touchpoint \"%V\" in \"%V\": "
                           "a name is 1-64 of [a-z0-9_.-]",
                           &value[1], &cmd->name);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_cx_widget_src(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_cx_loc_conf_t *lcf = conf;

    u_char     *p;
    ngx_str_t  *value;

    if (lcf->widget_src.data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    for (p = value[1].data; p < value[1].data + value[1].len; p++) {
        if (*p <= ' ' || *p >= 0x7f) {
            break;
        }
    }

    if (value[1].len == 0 || value[1].len > 1024
        || p != value[1].data + value[1].len)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid URL \"%V\" in \"%V\": printable ASCII "
                           "without spaces, at most 1024 bytes",
                           &value[1], &cmd->name);
        return NGX_CONF_ERROR;
    }

    lcf->widget_src.len = ngx_http_cx_escape_html_len(value[1].data,
                                                      value[1].len);
    lcf->widget_src.data = ngx_pnalloc(cf->pool, lcf->widget_src.len);
    if (lcf->widget_src.data == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_http_cx_escape_html(lcf->widget_src.data, value[1].data,
                            value[1].len);

    return NGX_CONF_OK;
}


static char *
ngx_http_cx_secret(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_cx_main_conf_t *cmcf = conf;

    ngx_str_t  *value;

    if (cmcf->secret.data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (value[1].len < NGX_HTTP_CX_SECRET_MIN) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" is too short: use at least %d random "
                           "characters", &cmd->name, NGX_HTTP_CX_SECRET_MIN);
        return NGX_CONF_ERROR;
    }

    cmcf->secret = value[1];

    return NGX_CONF_OK;
}


static void *
ngx_http_cx_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_cx_main_conf_t  *cmcf;

    cmcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_cx_main_conf_t));
    if (cmcf == NULL) {
        return NULL;
    }

    if (ngx_array_init(&cmcf->surveys, cf->pool, 4,
                       sizeof(ngx_http_cx_survey_t *))
        != NGX_OK)
    {
        return NULL;
    }

    cmcf->followup[0] = NGX_CONF_UNSET;
    cmcf->followup[1] = NGX_CONF_UNSET;
    cmcf->followup[2] = NGX_CONF_UNSET;
    cmcf->followup_maxlen = NGX_CONF_UNSET_UINT;
    cmcf->followup_retention = NGX_CONF_UNSET_UINT;
    cmcf->custom_names = NGX_CONF_UNSET_UINT;
    cmcf->survey_gap = NGX_CONF_UNSET_UINT;

    cmcf->redis_timeout = NGX_CONF_UNSET_MSEC;
    cmcf->flush_interval = NGX_CONF_UNSET_MSEC;
    cmcf->buffer = NGX_CONF_UNSET_UINT;
    cmcf->retention = NGX_CONF_UNSET_UINT;

    return cmcf;
}


static char *
ngx_http_cx_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_cx_main_conf_t *cmcf = conf;

    ngx_http_cx_survey_type_t  *t;

    ngx_conf_init_msec_value(cmcf->redis_timeout, 1000);
    ngx_conf_init_msec_value(cmcf->flush_interval, 200);
    ngx_conf_init_uint_value(cmcf->buffer, 10000);
    ngx_conf_init_uint_value(cmcf->retention, 400);
    ngx_conf_init_uint_value(cmcf->followup_maxlen, 10000);
    ngx_conf_init_uint_value(cmcf->followup_retention, 30);
    ngx_conf_init_uint_value(cmcf->survey_gap, 14);
    ngx_conf_init_uint_value(cmcf->custom_names, 20);

    for (t = ngx_http_cx_survey_types(); t->name.len; t++) {
        ngx_conf_init_value(cmcf->followup[t->index], t->followup);
    }

    if (cmcf->redis_prefix.data == NULL) {
        ngx_str_set(&cmcf->redis_prefix, "cx");
    }

    if (cmcf->flush_interval == 0 || cmcf->buffer == 0) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"cx_flush_interval\" and \"cx_buffer\" must be "
                      "more than 0");
        return NGX_CONF_ERROR;
    }

    if (ngx_http_cx_token_init(cf, cmcf) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    if (ngx_http_cx_metrics_init_conf(cf, cmcf) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_cx_site(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_cx_srv_conf_t *cscf = conf;

    ngx_str_t  *value;

    if (cscf->site.data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (!ngx_http_cx_name_valid(value[1].data, value[1].len)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid site \"%V\" in \"%V\": a name is "
                           "1-64 of [a-z0-9_.-]", &value[1], &cmd->name);
        return NGX_CONF_ERROR;
    }

    cscf->site = value[1];

    return NGX_CONF_OK;
}


/* cx_retention 400d | 400 (days) | 0 (keys never expire) */

static char *
ngx_http_cx_retention(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    time_t       t;
    ngx_int_t    n;
    ngx_str_t   *value;
    ngx_uint_t  *days;

    days = (ngx_uint_t *) ((u_char *) conf + cmd->offset);

    if (*days != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;

    n = ngx_atoi(value[1].data, value[1].len);

    if (n == NGX_ERROR) {
        t = ngx_parse_time(&value[1], 1);
        n = (t == (time_t) NGX_ERROR || t % 86400) ? NGX_ERROR : t / 86400;
    }

    if (n == NGX_ERROR || n > 36500) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid value \"%V\" in \"%V\": a number of "
                           "days, e.g. 400d, or 0 to keep keys forever",
                           &value[1], &cmd->name);
        return NGX_CONF_ERROR;
    }

    *days = n;

    return NGX_CONF_OK;
}


static void *
ngx_http_cx_create_srv_conf(ngx_conf_t *cf)
{
    return ngx_pcalloc(cf->pool, sizeof(ngx_http_cx_srv_conf_t));
}


/* the site defaults to the server's first name, when it is a valid one */

static char *
ngx_http_cx_merge_srv_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_cx_srv_conf_t *prev = parent;
    ngx_http_cx_srv_conf_t *conf = child;

    u_char                    *p;
    ngx_str_t                  name;
    ngx_http_core_srv_conf_t  *core;

    if (conf->site.data) {
        return NGX_CONF_OK;
    }

    if (prev->site.data) {
        conf->site = prev->site;
        return NGX_CONF_OK;
    }

    core = ngx_http_conf_get_module_srv_conf(cf, ngx_http_core_module);
    name = core->server_name;

    if (name.len && name.len <= NGX_HTTP_CX_NAME_MAX) {
        p = ngx_pnalloc(cf->pool, name.len);
        if (p == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_strlow(p, name.data, name.len);
        name.data = p;

        if (ngx_http_cx_name_valid(name.data, name.len)) {
            conf->site = name;
            return NGX_CONF_OK;
        }
    }

    ngx_str_set(&conf->site, "default");

    return NGX_CONF_OK;
}


static void *
ngx_http_cx_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_cx_loc_conf_t  *lcf;

    lcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_cx_loc_conf_t));
    if (lcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     lcf->surveys = NULL;
     *     lcf->types = { NULL };
     *     lcf->types_keys = NULL;
     *     lcf->widget_src = { 0, NULL };
     */

    lcf->inject = NGX_CONF_UNSET;
    lcf->memo = NGX_CONF_UNSET;
    lcf->last_modified = NGX_CONF_UNSET;
    lcf->respect_gpc = NGX_CONF_UNSET;
    lcf->visitor_cookie = NGX_CONF_UNSET;
    lcf->upstream_identity = NGX_CONF_UNSET;
    lcf->inflate_max = NGX_CONF_UNSET;
    lcf->touchpoint = NGX_CONF_UNSET_PTR;
    lcf->csp_nonce = NGX_CONF_UNSET_PTR;
    lcf->rules = NGX_CONF_UNSET_PTR;
    lcf->rules_budget = NGX_CONF_UNSET_UINT;
    lcf->score_open = NGX_CONF_UNSET;
    lcf->score_sites = NGX_CONF_UNSET_PTR;
    lcf->score_time_zones = NGX_CONF_UNSET_PTR;

    return lcf;
}


static char *
ngx_http_cx_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_cx_loc_conf_t *prev = parent;
    ngx_http_cx_loc_conf_t *conf = child;

    if (conf->surveys == NULL) {
        conf->surveys = prev->surveys;
    }

    ngx_conf_merge_value(conf->inject, prev->inject, 1);
    ngx_conf_merge_value(conf->memo, prev->memo, 1);
    ngx_conf_merge_value(conf->last_modified, prev->last_modified, 0);
    ngx_conf_merge_value(conf->respect_gpc, prev->respect_gpc, 0);
    ngx_conf_merge_value(conf->visitor_cookie, prev->visitor_cookie, 1);
    ngx_conf_merge_value(conf->upstream_identity, prev->upstream_identity, 0);
    ngx_conf_merge_off_value(conf->inflate_max, prev->inflate_max,
                             10 * 1024 * 1024);
    ngx_conf_merge_ptr_value(conf->touchpoint, prev->touchpoint, NULL);
    ngx_conf_merge_ptr_value(conf->csp_nonce, prev->csp_nonce, NULL);
    ngx_conf_merge_ptr_value(conf->rules, prev->rules, NULL);
    ngx_conf_merge_uint_value(conf->rules_budget, prev->rules_budget,
                              100000);
    ngx_conf_merge_str_value(conf->widget_src, prev->widget_src,
                             "/cx/widget.js");
    ngx_conf_merge_str_value(conf->score_token, prev->score_token, "");
    ngx_conf_merge_value(conf->score_open, prev->score_open, 0);
    ngx_conf_merge_ptr_value(conf->score_sites, prev->score_sites, NULL);
    ngx_conf_merge_ptr_value(conf->score_time_zones,
                             prev->score_time_zones, NULL);

    if (ngx_http_merge_types(cf, &conf->types_keys, &conf->types,
                             &prev->types_keys, &prev->types,
                             ngx_http_html_default_types)
        != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_cx_add_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var, *v;

    for (v = ngx_http_cx_vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_cx_init(ngx_conf_t *cf)
{
    ngx_http_cx_main_conf_t  *cmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_cx_module);

    if (cmcf->collect_file && cmcf->redis == NULL) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"cx_collect\" in %s:%ui needs \"cx_redis\"",
                      cmcf->collect_file, cmcf->collect_line);
        return NGX_ERROR;
    }

    if (cmcf->score_file && cmcf->redis == NULL) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"cx_score\" in %s:%ui needs \"cx_redis\"",
                      cmcf->score_file, cmcf->score_line);
        return NGX_ERROR;
    }

    ngx_http_cx_init_warnings(cf, cmcf);

    if (ngx_http_cx_widget_check(cf) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ngx_http_cx_redis_init_conf(cf, cmcf) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ngx_http_cx_access_init(cf) != NGX_OK) {
        return NGX_ERROR;
    }

    /* Redis Cluster: the tags of every site's shards (docs/cluster.md) */

    if (cmcf->redis && cmcf->redis->shards) {
        cmcf->shards = ngx_http_cx_key_shards(cf->pool, cf->log,
                                              &cmcf->redis_prefix,
                                              &cmcf->sites,
                                              cmcf->redis->shards);
        if (cmcf->shards == NULL) {
            return NGX_ERROR;
        }
    }

    if (ngx_http_cx_log_phase_init(cf) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ngx_http_cx_lua_init_conf(cf) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_cx_filter_init(cf);
}


/* a configuration that cannot work as meant: nginx -t says what to add */

static void
ngx_http_cx_init_warnings(ngx_conf_t *cf, ngx_http_cx_main_conf_t *cmcf)
{
    ngx_http_cx_survey_t  **s;

    s = cmcf->surveys.elts;

    if (cmcf->redis == NULL && cmcf->surveys.nelts) {
        ngx_log_error(NGX_LOG_WARN, cf->log, 0,
                      "nothing is counted: \"cx_survey %V\" in %s:%ui "
                      "needs \"cx_redis\" in the http block, "
                      "e.g. \"cx_redis 127.0.0.1:6379;\"",
                      &s[0]->id, s[0]->file, s[0]->line);

    } else if (cmcf->redis == NULL && cmcf->touchpoint_file) {
        ngx_log_error(NGX_LOG_WARN, cf->log, 0,
                      "nothing is counted: \"cx_touchpoint\" in %s:%ui "
                      "needs \"cx_redis\" in the http block, "
                      "e.g. \"cx_redis 127.0.0.1:6379;\"",
                      cmcf->touchpoint_file, cmcf->touchpoint_line);
    }

    if (cmcf->surveys.nelts && cmcf->collect_file == NULL) {
        ngx_log_error(NGX_LOG_WARN, cf->log, 0,
                      "no location has \"cx_collect\": the answers to "
                      "\"cx_survey %V\" in %s:%ui have nowhere to go; add "
                      "\"location = /cx/collect { cx_collect; }\" to the "
                      "servers with surveys",
                      &s[0]->id, s[0]->file, s[0]->line);
    }
}


static ngx_int_t
ngx_http_cx_init_process(ngx_cycle_t *cycle)
{
    if (ngx_http_cx_token_init_worker(cycle) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ngx_http_cx_lua_init_worker(cycle) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_cx_redis_init_worker(cycle);
}


static void
ngx_http_cx_exit_process(ngx_cycle_t *cycle)
{
    ngx_http_cx_redis_exit_worker(cycle);
    ngx_http_cx_lua_exit_worker(cycle);
}
