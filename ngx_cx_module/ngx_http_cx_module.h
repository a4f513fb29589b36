
/*
 * ngx_http_cx_module.h: the types every part of the module shares --
 * configuration (main, server, location), surveys and their types, the
 * per-request context, and the prototypes each concern exports.
 */


#ifndef _NGX_HTTP_CX_MODULE_H_INCLUDED_
#define _NGX_HTTP_CX_MODULE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_cx_html.h"


#define NGX_HTTP_CX_NAME_MAX        64
#define NGX_HTTP_CX_QUESTION_MAX    512
#define NGX_HTTP_CX_SECRET_MIN      16
#define NGX_HTTP_CX_SAMPLE_ALL      10000   /* sample is in 1/100 of % */
#define NGX_HTTP_CX_TOKEN_LEN       48
#define NGX_HTTP_CX_HELD_MAX        8
#define NGX_HTTP_CX_DEFAULT_TP      "other"


/* the directive being parsed, for error messages */
#define ngx_http_cx_directive(cf)   (&((ngx_str_t *) (cf)->args->elts)[0])


typedef struct ngx_http_cx_rules_s  ngx_http_cx_rules_t;


/* the one place that knows survey types and their scales */

typedef struct {
    ngx_str_t                    name;
    ngx_int_t                    min;
    ngx_int_t                    max;
    ngx_int_t                    followup;  /* default follow-up threshold */
} ngx_http_cx_survey_type_t;


typedef struct {
    ngx_str_t                    id;
    ngx_http_cx_survey_type_t   *type;
    ngx_str_t                    question;  /* HTML-escaped for attributes */
    ngx_uint_t                   sample;    /* 0..10000, 1/100 of % */
    time_t                       delay;     /* seconds */
    ngx_uint_t                   cooldown;  /* days */
    u_char                      *file;
    ngx_uint_t                   line;
} ngx_http_cx_survey_t;


/* per-process counters of the module's own health, in shared memory */

typedef enum {
    ngx_http_cx_stat_injected = 0,
    ngx_http_cx_stat_skip_encoded,
    ngx_http_cx_stat_skip_range,
    ngx_http_cx_stat_skip_not_sampled,
    ngx_http_cx_stat_skip_no_memory,
    ngx_http_cx_stat_appended,
    ngx_http_cx_stat_last
} ngx_http_cx_stat_e;


typedef struct {
    ngx_atomic_t                 counter[ngx_http_cx_stat_last];
} ngx_http_cx_stats_t;


typedef struct {
    ngx_str_t                    secret;
    void                        *hmac;      /* pre-keyed SHA256_CTX[2] */
    ngx_array_t                  surveys;   /* ngx_http_cx_survey_t *: all */
    ngx_shm_zone_t              *stats_zone;
} ngx_http_cx_main_conf_t;


typedef struct {
    ngx_array_t                 *surveys;   /* ngx_http_cx_survey_t */
    ngx_http_cx_rules_t         *rules;     /* cx_rules_lua, or NULL */

    ngx_flag_t                   inject;
    ngx_flag_t                   last_modified;

    ngx_hash_t                   types;
    ngx_array_t                 *types_keys;

    ngx_http_complex_value_t    *touchpoint;
    ngx_http_complex_value_t    *csp_nonce;
    ngx_str_t                    widget_src; /* HTML-escaped */
} ngx_http_cx_loc_conf_t;


typedef struct {
    ngx_http_cx_html_t           html;

    ngx_http_cx_survey_t        *survey;
    ngx_str_t                    question;  /* HTML-escaped */
    time_t                       delay;
    ngx_str_t                    touchpoint;
    ngx_str_t                    tag;

    ngx_array_t                 *signals;   /* ngx_str_t: X-CX-Event names */

    ngx_chain_t                 *held;      /* copy of a split "</body" */
    size_t                       held_len;

    ngx_chain_t                 *free;
    ngx_chain_t                 *busy;
    ngx_chain_t                 *out;
    ngx_chain_t                **last_out;

    unsigned                     touchpoint_done:1;
    unsigned                     signals_done:1;
    unsigned                     delay_set:1;
    unsigned                     inject:1;
    unsigned                     injected:1;
} ngx_http_cx_ctx_t;


extern ngx_module_t  ngx_http_cx_module;


/* ngx_http_cx_survey.c */
ngx_int_t ngx_http_cx_name_valid(u_char *p, size_t len);
ngx_int_t ngx_http_cx_utf8_valid(u_char *p, size_t len);
ngx_http_cx_survey_type_t *ngx_http_cx_survey_type(ngx_str_t *name);
ngx_http_cx_survey_t *ngx_http_cx_survey_find(ngx_http_cx_main_conf_t *cmcf,
    ngx_str_t *id);
char *ngx_http_cx_survey_parse(ngx_conf_t *cf, ngx_http_cx_survey_t *s);
u_char *ngx_http_cx_escape_html(u_char *dst, u_char *src, size_t len);
size_t ngx_http_cx_escape_html_len(u_char *src, size_t len);

/* ngx_http_cx_filter.c */
ngx_int_t ngx_http_cx_filter_init(ngx_conf_t *cf);
ngx_int_t ngx_http_cx_touchpoint(ngx_http_request_t *r, ngx_http_cx_ctx_t *ctx,
    ngx_str_t *tp);
ngx_http_cx_ctx_t *ngx_http_cx_get_ctx(ngx_http_request_t *r);

/* ngx_http_cx_lua.c */
ngx_int_t ngx_http_cx_rules_trigger(ngx_http_request_t *r,
    ngx_http_cx_ctx_t *ctx, ngx_http_cx_rules_t *rules);

/* ngx_http_cx_count.c */
ngx_int_t ngx_http_cx_signals(ngx_http_request_t *r);

/* ngx_http_cx_token.c */
ngx_int_t ngx_http_cx_token_init(ngx_conf_t *cf,
    ngx_http_cx_main_conf_t *cmcf);
ngx_int_t ngx_http_cx_token_init_worker(ngx_cycle_t *cycle);
ngx_int_t ngx_http_cx_token_sign(ngx_http_request_t *r, ngx_str_t *survey,
    ngx_str_t *touchpoint, u_char *token);

/* ngx_http_cx_stats.c */
ngx_int_t ngx_http_cx_stats_init_conf(ngx_conf_t *cf,
    ngx_http_cx_main_conf_t *cmcf);
void ngx_http_cx_stat_inc(ngx_http_request_t *r, ngx_http_cx_stat_e stat);


#endif /* _NGX_HTTP_CX_MODULE_H_INCLUDED_ */
