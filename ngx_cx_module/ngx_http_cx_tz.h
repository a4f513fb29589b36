
/*
 * ngx_http_cx_tz.h: time zones as cx_rules_time_zone and
 * cx_score_time_zone name them -- nginx's local time, UTC, a fixed
 * offset, or a zone of /usr/share/zoneinfo read at configuration time --
 * and the offset from UTC in force at a given moment.
 */


#ifndef _NGX_HTTP_CX_TZ_H_INCLUDED_
#define _NGX_HTTP_CX_TZ_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


typedef enum {
    ngx_http_cx_tz_local = 0,
    ngx_http_cx_tz_utc,
    ngx_http_cx_tz_fixed,
    ngx_http_cx_tz_zone
} ngx_http_cx_tz_e;


/* a fixed offset, or a zoneinfo file's transitions */

typedef struct {
    ngx_http_cx_tz_e             type;
    ngx_str_t                    name;      /* as configured */
    ngx_int_t                    offset;    /* fixed: seconds east of UTC */
    ngx_uint_t                   n;
    int64_t                     *at;        /* transition times, sorted */
    int32_t                     *offsets;   /* offset from at[i] on */
    int32_t                      initial;   /* before at[0] */
} ngx_http_cx_tz_t;


/* local | utc | +HH:MM | -HH:MM | Area/City, at configuration time */
char *ngx_http_cx_tz_parse(ngx_conf_t *cf, ngx_http_cx_tz_t *tz,
    ngx_str_t *value);

/* utc | +HH:MM | -HH:MM only, no file: NGX_OK, NGX_DECLINED (not one
 * of them), or NGX_ERROR (an offset out of range) */
ngx_int_t ngx_http_cx_tz_parse_fixed(ngx_http_cx_tz_t *tz, ngx_str_t *value);

/* seconds east of UTC at t */
ngx_int_t ngx_http_cx_tz_offset(ngx_http_cx_tz_t *tz, time_t t);

/* 1: the same offset from "from" up to (not including) "to" */
ngx_uint_t ngx_http_cx_tz_steady(ngx_http_cx_tz_t *tz, time_t from,
    time_t to);


#endif /* _NGX_HTTP_CX_TZ_H_INCLUDED_ */
