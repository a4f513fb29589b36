
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
#define NGX_HTTP_CX_TOKEN_CUSTOM    4       /* custom events per token */
#define NGX_HTTP_CX_HELD_MAX        8
#define NGX_HTTP_CX_DEFAULT_TP      "other"
#define NGX_HTTP_CX_TYPES           3       /* nps, csat, ces */
#define NGX_HTTP_CX_COMMENT_MAX     1000
#define NGX_HTTP_CX_BODY_MAX        4096


/* the directive being parsed, for error messages */
#define ngx_http_cx_directive(cf)   (&((ngx_str_t *) (cf)->args->elts)[0])


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
    ngx_uint_t                   sample;    /* 0..10000, 1/100 of % */
    time_t                       delay;     /* seconds */
    ngx_uint_t                   cooldown;  /* days */
    u_char                      *file;
    ngx_uint_t                   line;
} ngx_http_cx_survey_t;


/*
 * The module's own health counters, in shared memory (all workers, kept
 * across reloads).  Each entry has its Prometheus name in
 * ngx_http_cx_stat_names[] (ngx_http_cx_stats.c).
 */

typedef enum {
    ngx_http_cx_stat_injected = 0,
    ngx_http_cx_stat_appended,
    ngx_http_cx_stat_skip_encoded,
    ngx_http_cx_stat_skip_range,
    ngx_http_cx_stat_skip_not_sampled,
    ngx_http_cx_stat_skip_no_memory,
    ngx_http_cx_stat_skip_privacy,
    ngx_http_cx_stat_counted,
    ngx_http_cx_stat_flushed,
    ngx_http_cx_stat_retried,
    ngx_http_cx_stat_dropped,
    ngx_http_cx_stat_batches,
    ngx_http_cx_stat_redis_errors,
    ngx_http_cx_stat_redis_connects,
    ngx_http_cx_stat_collected,
    ngx_http_cx_stat_replayed,
    ngx_http_cx_stat_over_token_events,
    ngx_http_cx_stat_over_event_names,
    ngx_http_cx_stat_refused_replay,
    ngx_http_cx_stat_refused_token_events,
    ngx_http_cx_stat_refused_too_large,
    ngx_http_cx_stat_refused_token,
    ngx_http_cx_stat_refused_comment,
    ngx_http_cx_stat_refused_page,
    ngx_http_cx_stat_refused_other,
    ngx_http_cx_stat_rules_evaluated,
    ngx_http_cx_stat_rules_error,
    ngx_http_cx_stat_rules_result,
    ngx_http_cx_stat_rules_budget,
    ngx_http_cx_stat_rules_memory,
    ngx_http_cx_stat_rules_usec,
    ngx_http_cx_stat_rules_remembered,
    ngx_http_cx_stat_rules_log_suppressed,
    ngx_http_cx_stat_redis_primary_changes,
    ngx_http_cx_stat_redis_wait_timeouts,
    ngx_http_cx_stat_last
} ngx_http_cx_stat_e;


#define NGX_HTTP_CX_LATENCY_BUCKETS  12


typedef struct {
    ngx_atomic_t                 counter[ngx_http_cx_stat_last];
    ngx_atomic_t                 latency[NGX_HTTP_CX_LATENCY_BUCKETS + 1];
    ngx_atomic_t                 latency_ms_sum;
    ngx_atomic_t                 connected[NGX_MAX_PROCESSES];
} ngx_http_cx_stats_t;


typedef struct {
    ngx_str_t                    name;
    ngx_str_t                    labels;
    ngx_str_t                    help;      /* empty: as the line before */
} ngx_http_cx_stat_name_t;


#define NGX_HTTP_CX_SAME_HELP  ngx_null_string


extern ngx_http_cx_stat_name_t  ngx_http_cx_stat_names[ngx_http_cx_stat_last];
extern ngx_msec_t  ngx_http_cx_latency_bounds[];


/* the cx_redis* directives: ngx_http_cx_redis_conn.h */
typedef struct ngx_http_cx_redis_conf_s  ngx_http_cx_redis_conf_t;


typedef struct {
    ngx_str_t                    secret;
    void                        *hmac;      /* pre-keyed SHA256_CTX[2] */
    ngx_array_t                  surveys;   /* ngx_http_cx_survey_t *: all */
    ngx_shm_zone_t              *stats_zone;

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

    u_char                      *collect_file;  /* the first cx_collect */
    ngx_uint_t                   collect_line;
    u_char                      *score_file;    /* the first cx_score */
    ngx_uint_t                   score_line;
    u_char                      *touchpoint_file;   /* the first one */
    ngx_uint_t                   touchpoint_line;
    ngx_array_t                  sites;     /* ngx_str_t: the servers' */

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

    ngx_hash_t                   types;
    ngx_array_t                 *types_keys;

    ngx_http_complex_value_t    *touchpoint;
    ngx_http_complex_value_t    *csp_nonce;
    ngx_str_t                    widget_src; /* HTML-escaped */

    ngx_str_t                    score_token;
    ngx_flag_t                   score_open;
    ngx_array_t                 *score_sites; /* ngx_str_t: cx_score_sites */

    void                        *dashboard; /* the page, cx_dashboard */
} ngx_http_cx_loc_conf_t;


typedef struct {
    ngx_http_cx_html_t           html;

    ngx_http_cx_survey_t        *survey;
    ngx_str_t                    question;  /* HTML-escaped */
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


/* ngx_http_cx_survey.c */
ngx_int_t ngx_http_cx_name_valid(u_char *p, size_t len);
ngx_int_t ngx_http_cx_utf8_valid(u_char *p, size_t len);
ngx_http_cx_survey_type_t *ngx_http_cx_survey_type(ngx_str_t *name);
ngx_http_cx_survey_type_t *ngx_http_cx_survey_types(void);
ngx_int_t ngx_http_cx_followup_threshold(ngx_http_cx_main_conf_t *cmcf,
    ngx_http_cx_survey_type_t *type);
char *ngx_http_cx_followup_conf(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
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
char *ngx_http_cx_rules_lua(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_http_cx_rules_budget(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_cx_rules_memory(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_cx_rules_time_zone(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_http_cx_lua_init_conf(ngx_conf_t *cf);
ngx_int_t ngx_http_cx_lua_init_worker(ngx_cycle_t *cycle);
void ngx_http_cx_lua_exit_worker(ngx_cycle_t *cycle);
ngx_int_t ngx_http_cx_rules_trigger(ngx_http_request_t *r,
    ngx_http_cx_ctx_t *ctx, ngx_http_cx_rules_t *rules);
ngx_int_t ngx_http_cx_rules_touchpoint(ngx_http_request_t *r,
    ngx_http_cx_ctx_t *ctx, ngx_http_cx_rules_t *rules, ngx_str_t *tp);

/* ngx_http_cx_count.c */
ngx_int_t ngx_http_cx_signals(ngx_http_request_t *r);
ngx_int_t ngx_http_cx_count_init(ngx_conf_t *cf);

/* ngx_http_cx_memo.c */
uint64_t ngx_http_cx_memo_key(ngx_http_request_t *r, void *lcf);
ngx_int_t ngx_http_cx_memo_get(uint64_t key, off_t *offset);
void ngx_http_cx_memo_set(uint64_t key, off_t offset);
void ngx_http_cx_memo_forget(uint64_t key);

/* ngx_http_cx_token.c */
ngx_int_t ngx_http_cx_token_init(ngx_conf_t *cf,
    ngx_http_cx_main_conf_t *cmcf);
ngx_int_t ngx_http_cx_token_init_worker(ngx_cycle_t *cycle);
uint64_t ngx_http_cx_random64(void);
ngx_int_t ngx_http_cx_token_verify(ngx_http_request_t *r, ngx_str_t *token,
    ngx_str_t *survey, ngx_str_t *touchpoint, u_char *nonce,
    const char **err);
ngx_int_t ngx_http_cx_token_sign(ngx_http_request_t *r, ngx_str_t *survey,
    ngx_str_t *touchpoint, u_char *token);
ngx_int_t ngx_http_cx_token_use(u_char *nonce, ngx_uint_t event,
    ngx_str_t *custom);

/* ngx_http_cx_stats.c */
ngx_int_t ngx_http_cx_stats_init_conf(ngx_conf_t *cf,
    ngx_http_cx_main_conf_t *cmcf);
ngx_http_cx_stats_t *ngx_http_cx_stats(ngx_cycle_t *cycle);
void ngx_http_cx_stat_inc(ngx_http_request_t *r, ngx_http_cx_stat_e stat);
void ngx_http_cx_stat_add_cycle(ngx_cycle_t *cycle, ngx_http_cx_stat_e stat,
    uint64_t n);
void ngx_http_cx_stat_latency(ngx_cycle_t *cycle, ngx_msec_t ms);
void ngx_http_cx_stat_worker(ngx_cycle_t *cycle, ngx_uint_t connected);

/* ngx_http_cx_counter.c */
u_char *ngx_http_cx_key(u_char *buf, ngx_str_t *prefix, ngx_str_t *site,
    const char *kind, ngx_str_t *survey, u_char *day);
ngx_int_t ngx_http_cx_count_event(ngx_http_cx_main_conf_t *cmcf,
    ngx_str_t *site, ngx_str_t *survey, ngx_str_t *touchpoint,
    ngx_str_t *event, time_t now);
ngx_int_t ngx_http_cx_count_stable(ngx_http_cx_main_conf_t *cmcf,
    ngx_str_t *site, ngx_str_t *touchpoint, ngx_str_t *event, time_t now);

/* ngx_http_cx_redis.c */
ngx_int_t ngx_http_cx_redis_init_worker(ngx_cycle_t *cycle);
void ngx_http_cx_redis_exit_worker(ngx_cycle_t *cycle);
void ngx_http_cx_redis_counted(void);
ngx_int_t ngx_http_cx_redis_state(void);
struct ngx_http_cx_redis_conn_s *ngx_http_cx_redis_context(void);

/* ngx_http_cx_redis_conf.c */
char *ngx_http_cx_redis_conf(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_http_cx_redis_sentinel_conf(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_cx_redis_wait(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_http_cx_redis_str_slot(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_cx_redis_flag_slot(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_cx_redis_protocols_slot(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_cx_redis_msec_slot(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_cx_redis_resolver(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_http_cx_redis_init_conf(ngx_conf_t *cf,
    ngx_http_cx_main_conf_t *cmcf);

/* ngx_http_cx_collect.c */
char *ngx_http_cx_collect(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);

/* ngx_http_cx_metrics.c */
char *ngx_http_cx_metrics(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);

/* ngx_http_cx_score.c */
char *ngx_http_cx_score(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);

/* ngx_http_cx_access.c */
ngx_int_t ngx_http_cx_access(ngx_http_request_t *r, ngx_uint_t page);
ngx_int_t ngx_http_cx_access_denied(ngx_http_request_t *r, ngx_int_t rc);
ngx_int_t ngx_http_cx_access_site(ngx_http_request_t *r, ngx_str_t *site);
ngx_int_t ngx_http_cx_access_init(ngx_conf_t *cf);
char *ngx_http_cx_score_token(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_cx_score_sites(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

/* ngx_http_cx_dashboard.c */
char *ngx_http_cx_dashboard(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);

/* ngx_http_cx_widget.c */
char *ngx_http_cx_widget(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
ngx_int_t ngx_http_cx_widget_check(ngx_conf_t *cf);
ngx_int_t ngx_http_cx_privacy_signal(ngx_http_request_t *r);



#endif /* _NGX_HTTP_CX_MODULE_H_INCLUDED_ */
