
/*
 * ngx_http_cx_score.h: what the parts of the cx_score handler share --
 * the parsed request (survey or report, site, touchpoint, days,
 * grouping) and the helpers that read Redis hash fields.  The handler
 * is ngx_http_cx_score.c, its parameters ngx_http_cx_score_args.c, a
 * survey's scores ngx_http_cx_score_survey.c, the journey report
 * (report=touchpoints) ngx_http_cx_score_touchpoints.c, the latest
 * follow-ups (report=followups) ngx_http_cx_score_followups.c and the
 * configured surveys (report=surveys) ngx_http_cx_score_survey_list.c.
 */


#ifndef _NGX_HTTP_CX_SCORE_H_INCLUDED_
#define _NGX_HTTP_CX_SCORE_H_INCLUDED_


#include "ngx_http_cx_module.h"
#include "ngx_http_cx_json.h"
#include "ngx_http_cx_query.h"
#include "ngx_http_cx_score_math.h"
#include "ngx_http_cx_tz.h"

#include <hiredis/hiredis.h>


#define NGX_HTTP_CX_SCORE_DAYS_MAX      366
#define NGX_HTTP_CX_SCORE_DAYS_DEFAULT  30
#define NGX_HTTP_CX_FOLLOWUPS_DEFAULT   20
#define NGX_HTTP_CX_FOLLOWUPS_MAX       100
#define NGX_HTTP_CX_SCORE_VALUE_LOG     64      /* bytes of a bad value */


typedef enum {
    ngx_http_cx_by_none = 0,
    ngx_http_cx_by_day,
    ngx_http_cx_by_touchpoint,
    ngx_http_cx_by_hour,
    ngx_http_cx_by_wday,
    ngx_http_cx_by_variant
} ngx_http_cx_by_e;


/* what is asked for: a survey's scores, or one of the reports */

typedef enum {
    ngx_http_cx_rep_none = 0,
    ngx_http_cx_rep_touchpoints,
    ngx_http_cx_rep_followups,
    ngx_http_cx_rep_surveys,
    ngx_http_cx_rep_rules
} ngx_http_cx_report_e;


/* the hashes read per day, in this order (README.md "Redis keys") */

typedef enum {
    ngx_http_cx_key_sc = 0,
    ngx_http_cx_key_sv,
    ngx_http_cx_key_sch,                    /* by=hour only */
    ngx_http_cx_key_svh                     /* by=hour only */
} ngx_http_cx_score_key_e;


typedef enum {
    ngx_http_cx_key_tp = 0,
    ngx_http_cx_key_tph                     /* by=hour only */
} ngx_http_cx_report_key_e;


/*
 * What one HGETALL of a query reads: a day's hash, or a rollup
 * (docs/redis.md): a whole month's, with the day hashes' fields
 * ("month") or the touchpoints added up ("all"), or a day's with the
 * touchpoints added up ("day_all").  A rollup that is not complete is
 * replaced by what it adds up.
 */

typedef enum {
    ngx_http_cx_span_day = 0,
    ngx_http_cx_span_month,
    ngx_http_cx_span_all,
    ngx_http_cx_span_day_all
} ngx_http_cx_score_span_e;


typedef struct {
    ngx_uint_t                   first;     /* day: 0 .. days +
                                               compare_days - 1 */
    ngx_uint_t                   ndays;
    ngx_uint_t                   key;       /* ngx_http_cx_score_key_e or
                                               ngx_http_cx_report_key_e */
    ngx_uint_t                   shard;     /* cx_redis_cluster: its s */
    ngx_http_cx_score_span_e     span;
    int32_t                      offset;    /* based, fix: the month's */
    unsigned                     based:1;   /* a month's hours, in the
                                               zone at one offset */
    unsigned                     fix:1;     /* a day of that month with
                                               an hour at another */
    unsigned                     skip:1;    /* a fix of a month read day
                                               by day after all */
} ngx_http_cx_score_read_t;


/*
 * The time zone of the hours and weekdays (cx_score_time_zone, tz=), and
 * the offsets of the UTC day whose hourly counters are being added up
 */

typedef struct {
    ngx_http_cx_tz_t            *zone;
    ngx_int_t                    day;       /* of offset[]; -1: none */
    uint32_t                     known;     /* a bit per hour of offset[] */
    int32_t                      offset[24];
    unsigned                     hourly:1;  /* by=wday: from the hourly
                                               counters */
} ngx_http_cx_score_tz_t;


typedef struct {
    ngx_http_request_t          *request;

    ngx_http_cx_report_e         report;
    ngx_http_cx_survey_t        *survey;    /* with report: a filter */
    ngx_str_t                    site;
    ngx_str_t                    touchpoint; /* only this one, when set */
    ngx_int_t                    from;      /* days since 1970-01-01 */
    ngx_int_t                    to;
    ngx_uint_t                   days;
    ngx_http_cx_by_e             by;
    ngx_uint_t                   groups;    /* by day, hour or wday */
    ngx_uint_t                   keys;      /* Redis hashes read per day */
    ngx_uint_t                   count;     /* report=followups */
    ngx_str_t                    cursor;    /* report=followups: the
                                               stream id to go on after */

    ngx_int_t                    compare_from;  /* the compared period */
    ngx_int_t                    compare_to;
    ngx_uint_t                   compare_days;  /* 0: none */
    ngx_http_cx_score_tz_t       tz;
    double                       margin;    /* margin=, detect= */
    double                       detect;

    void                        *data;      /* scores' or report's state */

    ngx_http_cx_score_read_t    *reads;     /* in the order sent */
    ngx_uint_t                   nreads;
    ngx_uint_t                   reads_max;
    ngx_uint_t                   rollups;   /* 0: day hashes only */
    ngx_http_cx_query_t         *query;

    ngx_http_cx_score_read_t    *read;      /* the field being added up, */
    redisReply                  *field;     /* for log messages */

    ngx_event_t                  answer;
    ngx_int_t                    rc;
    unsigned                     redis_error:1;
    unsigned                     no_memory:1;
    unsigned                     csv:1;     /* format=csv */
} ngx_http_cx_score_ctx_t;


extern ngx_str_t  ngx_http_cx_score_by_names[];


/* ngx_http_cx_score_args.c */
ngx_int_t ngx_http_cx_score_args(ngx_http_request_t *r,
    ngx_http_cx_score_ctx_t *ctx, ngx_str_t *param, const char **reason);

/* ngx_http_cx_score_survey.c */
ngx_int_t ngx_http_cx_score_survey_init(ngx_http_cx_score_ctx_t *ctx);
void ngx_http_cx_score_survey_add(ngx_http_cx_score_ctx_t *ctx,
    ngx_uint_t day, ngx_uint_t key, redisReply *f, redisReply *v);
void ngx_http_cx_score_survey_add_all(ngx_http_cx_score_ctx_t *ctx,
    ngx_uint_t first, ngx_uint_t key, redisReply *f, redisReply *v);
void ngx_http_cx_score_survey_json(ngx_http_cx_score_ctx_t *ctx,
    ngx_http_cx_json_t *j);

/* ngx_http_cx_score.c */
char *ngx_http_cx_score(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
ngx_int_t ngx_http_cx_score_fields(redisReply *f, ngx_str_t *parts,
    ngx_uint_t n);
ngx_int_t ngx_http_cx_score_count(ngx_http_cx_score_ctx_t *ctx,
    redisReply *v, uint64_t *n);
void ngx_http_cx_score_add(ngx_http_cx_score_ctx_t *ctx, uint64_t *sum,
    uint64_t n);
ngx_int_t ngx_http_cx_score_hour(ngx_str_t *s);
ngx_uint_t ngx_http_cx_score_is(ngx_str_t *s, ngx_str_t *name);
void ngx_http_cx_score_range(ngx_http_cx_json_t *j,
    ngx_http_cx_score_ctx_t *ctx);
void ngx_http_cx_score_group(ngx_http_cx_json_t *j,
    ngx_http_cx_score_ctx_t *ctx, ngx_uint_t g);

/* ngx_http_cx_score_followups.c */
ngx_int_t ngx_http_cx_score_followups_cursor(ngx_http_cx_score_ctx_t *ctx,
    ngx_str_t *v, const char **reason);
ngx_int_t ngx_http_cx_score_followups_init(ngx_http_cx_score_ctx_t *ctx);
ngx_int_t ngx_http_cx_score_followups_query(ngx_http_cx_score_ctx_t *ctx,
    ngx_http_cx_query_t *q);
void ngx_http_cx_score_followups_add(ngx_http_cx_score_ctx_t *ctx,
    redisReply *reply);
void ngx_http_cx_score_followups_json(ngx_http_cx_score_ctx_t *ctx,
    ngx_http_cx_json_t *j);
ngx_int_t ngx_http_cx_score_followups_csv(ngx_http_cx_score_ctx_t *ctx);

/* ngx_http_cx_score_survey_list.c */
ngx_int_t ngx_http_cx_score_surveys(ngx_http_request_t *r);

/* ngx_http_cx_score_tz.c */
char *ngx_http_cx_score_time_zone(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_http_cx_score_tz_arg(ngx_http_cx_score_ctx_t *ctx,
    ngx_str_t *v, const char **reason);
ngx_int_t ngx_http_cx_score_tz_month(ngx_http_cx_score_ctx_t *ctx,
    ngx_int_t first, ngx_uint_t ndays, int32_t *offset, uint32_t *fix);
ngx_int_t ngx_http_cx_score_tz_group(ngx_http_cx_score_ctx_t *ctx,
    ngx_int_t day, ngx_uint_t hour, ngx_int_t *undo);
void ngx_http_cx_score_tz_undo(uint64_t *sum, uint64_t n);
void ngx_http_cx_score_tz_json(ngx_http_cx_json_t *j,
    ngx_http_cx_score_ctx_t *ctx);

/* ngx_http_cx_score_touchpoints.c */
ngx_int_t ngx_http_cx_score_report_init(ngx_http_cx_score_ctx_t *ctx);
void ngx_http_cx_score_report_add(ngx_http_cx_score_ctx_t *ctx,
    ngx_uint_t day, ngx_uint_t key, redisReply *f, redisReply *v);
void ngx_http_cx_score_report_json(ngx_http_cx_score_ctx_t *ctx,
    ngx_http_cx_json_t *j);


#endif /* _NGX_HTTP_CX_SCORE_H_INCLUDED_ */
