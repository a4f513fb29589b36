
/*
 * ngx_http_cx_module.h: the types every part of the module shares --
 * configuration (main, server, location), surveys and their types, and
 * the per-request context.  What each unit exports is in its own header.
 */


#ifndef _NGX_HTTP_CX_MODULE_H_INCLUDED_
#define _NGX_HTTP_CX_MODULE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_cx_html.h"


#define NGX_HTTP_CX_QUESTION_MAX    512
#define NGX_HTTP_CX_SAMPLE_ALL      10000   /* sample is in 1/100 of % */
#define NGX_HTTP_CX_TYPES           3       /* nps, csat, ces */


/* a cx_rules_lua file: ngx_http_cx_lua.h */
typedef struct ngx_http_cx_rules_s  ngx_http_cx_rules_t;


/* the one place that knows survey types and their scales */

typedef struct {
    ngx_str_t                    name;
    ngx_int_t                    min;
    ngx_int_t                    max;
    ngx_int_t                    followup;  /* default follow-up threshold */
    ngx_uint_t                   index;
} ngx_http_cx_survey_type_t;


typedef struct {
    ngx_str_t                    id;
    ngx_http_cx_survey_type_t   *type;
    ngx_str_t                    question;  /* HTML-escaped for attributes */
    ngx_str_t                    title;     /* the dashboard's name: text */
    ngx_uint_t                   sample;    /* 0..10000, 1/100 of % */
    time_t                       delay;     /* seconds */
    ngx_uint_t                   cooldown;  /* days */
    ngx_uint_t                   recontact; /* days after an answer */
    ngx_uint_t                   dismissed; /* days after a dismiss */
    ngx_uint_t                   followup;  /* NGX_HTTP_CX_FOLLOWUP_* */
    ngx_str_t                    followup_question; /* HTML-escaped */
    ngx_array_t                 *variants;  /* ngx_http_cx_variant_t */
    u_char                      *file;
    ngx_uint_t                   line;
} ngx_http_cx_survey_t;


/* cx_survey ... variant=NAME:QUESTION: one wording of the question */

typedef struct {
    ngx_str_t                    name;
    ngx_str_t                    question;  /* HTML-escaped; "": the
                                               widget's own */
} ngx_http_cx_variant_t;


#define NGX_HTTP_CX_FOLLOWUP_LOW    0       /* followup=low, the default */
#define NGX_HTTP_CX_FOLLOWUP_ALL    1
#define NGX_HTTP_CX_FOLLOWUP_NONE   2


/* the cx_redis* directives: ngx_http_cx_redis_conn.h */
typedef struct ngx_http_cx_redis_conf_s  ngx_http_cx_redis_conf_t;


typedef struct {
    ngx_str_t                    secret;
    void                        *hmac;      /* pre-keyed SHA256_CTX[2] */
    ngx_array_t                  surveys;   /* ngx_http_cx_survey_t *: all */
    ngx_shm_zone_t              *stats_zone;    /* ngx_http_cx_metrics.c */

    ngx_http_cx_redis_conf_t    *redis;     /* NULL: no cx_redis */
    ngx_http_cx_redis_conf_t    *redis_conf;    /* any cx_redis* */
    ngx_str_t                    redis_prefix;
    ngx_msec_t                   redis_timeout;
    ngx_msec_t                   flush_interval;
    ngx_uint_t                   buffer;
    ngx_uint_t                   retention; /* days, 0: keys never expire */

    ngx_int_t                    followup[NGX_HTTP_CX_TYPES];
    ngx_uint_t                   followup_maxlen;
    ngx_uint_t                   followup_retention;    /* days */
    ngx_uint_t                   custom_names;  /* a site's, a day */
    ngx_uint_t                   survey_gap;    /* days, 0: off */

    u_char                      *collect_file;  /* the first cx_collect */
    ngx_uint_t                   collect_line;
    u_char                      *score_file;    /* the first cx_score */
    ngx_uint_t                   score_line;
    u_char                      *touchpoint_file;   /* the first one */
    ngx_uint_t                   touchpoint_line;
    ngx_array_t                  sites;     /* ngx_str_t: the servers' */
    void                        *shards;    /* ngx_http_cx_key_shards_t:
                                               a cluster's, else NULL */

    void                        *lua;       /* ngx_http_cx_lua.h */
} ngx_http_cx_main_conf_t;


typedef struct {
    ngx_str_t                    site;
} ngx_http_cx_srv_conf_t;


typedef struct {
    ngx_array_t                 *surveys;   /* ngx_http_cx_survey_t */
    ngx_http_cx_rules_t         *rules;     /* cx_rules_lua, or NULL */
    ngx_uint_t                   rules_budget;

    ngx_flag_t                   inject;
    ngx_flag_t                   endpoint;  /* cx_collect, cx_score, ... */
    ngx_flag_t                   memo;      /* cx_inject_memo */
    ngx_flag_t                   last_modified;
    ngx_flag_t                   respect_gpc;
    ngx_flag_t                   visitor_cookie;    /* cx_visitor_cookie */
    ngx_flag_t                   upstream_identity;
    off_t                        inflate_max;

    ngx_hash_t                   types;
    ngx_array_t                 *types_keys;

    ngx_http_complex_value_t    *touchpoint;
    ngx_http_complex_value_t    *csp_nonce;
    ngx_str_t                    widget_src; /* HTML-escaped */

    ngx_str_t                    score_token;
    ngx_flag_t                   score_open;
    ngx_array_t                 *score_sites; /* ngx_str_t: cx_score_sites */
    ngx_array_t                 *score_time_zones; /* ngx_http_cx_tz_t:
                                                  cx_score_time_zone */

    void                        *dashboard; /* the page, cx_dashboard */
} ngx_http_cx_loc_conf_t;


/*
 * A request's context (ngx_http_cx_get_ctx()): what the page view unit
 * decided about it, the filter's state, and the rules' or cx_collect's.
 */

typedef struct {
    ngx_http_cx_html_t           html;

    ngx_http_cx_survey_t        *survey;
    ngx_str_t                    question;  /* HTML-escaped */
    ngx_str_t                    variant;   /* the question's, if any */
    time_t                       delay;
    ngx_str_t                    touchpoint;
    ngx_str_t                    tag;

    ngx_array_t                 *signals;   /* ngx_str_t: X-CX-Event names */

    void                        *collect;   /* ngx_http_cx_collect.c's */

    ngx_chain_t                 *held;      /* copy of a split "</body" */
    size_t                       held_len;

    ngx_chain_t                 *free;
    ngx_chain_t                 *busy;
    ngx_chain_t                 *out;
    ngx_chain_t                **last_out;

    void                        *rules_args;    /* r.args as rules read
                                                   them: decoded once */

    uint64_t                     memo_key;  /* 0: not remembered */
    off_t                        memo_offset;
    off_t                        stream_pos;    /* body bytes seen */

    void                        *inflate;   /* ngx_http_cx_inflate.h */
    void                        *visitor;   /* ngx_http_cx_visitor.h */

    unsigned                     memo_hit:1;
    unsigned                     touchpoint_done:1;
    unsigned                     touchpoint_peek:1; /* only if no Lua
                                                   call is needed */
    unsigned                     touchpoint_unremembered:1; /* the memo
                                                   has not got it */
    unsigned                     signals_done:1;
    unsigned                     delay_set:1;
    unsigned                     inject:1;
    unsigned                     injected:1;
} ngx_http_cx_ctx_t;


extern ngx_module_t  ngx_http_cx_module;


#endif /* _NGX_HTTP_CX_MODULE_H_INCLUDED_ */
