
/*
 * ngx_http_cx_keys.h: the Redis key schema -- every key the module
 * writes or reads is built here (docs/redis.md lists them, with their
 * types, lifetimes, writers and readers; t/026 checks the list against
 * what the module writes).  Every part is a validated name, so ":"
 * separates unambiguously.  Each builder writes at buf, without a NUL,
 * and returns the end; NGX_HTTP_CX_KEY_MAX bytes are always enough.
 */


#ifndef _NGX_HTTP_CX_KEYS_H_INCLUDED_
#define _NGX_HTTP_CX_KEYS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


#define NGX_HTTP_CX_KEY_MAX      512


/* how much of a month a counter hash holds */

typedef enum {
    ngx_http_cx_key_of_day = 0,     /* {YYYYMMDD} */
    ngx_http_cx_key_of_month,       /* {YYYYMM}: a month's rollup */
    ngx_http_cx_key_of_month_all,   /* {YYYYMM}:all: touchpoints added up */
    ngx_http_cx_key_of_day_all      /* {YYYYMMDD}:all: the same, a day */
} ngx_http_cx_key_span_e;


u_char *ngx_http_cx_key(u_char *buf, ngx_str_t *prefix, ngx_str_t *site,
    const char *kind, ngx_str_t *survey, u_char *day);
u_char *ngx_http_cx_key_span(u_char *buf, ngx_str_t *prefix,
    ngx_str_t *site, const char *kind, ngx_str_t *survey, u_char *day,
    ngx_http_cx_key_span_e span);
u_char *ngx_http_cx_key_rollup(u_char *buf, ngx_str_t *day_key,
    ngx_http_cx_key_span_e span);
u_char *ngx_http_cx_key_month_day(u_char *buf, ngx_str_t *day_key,
    ngx_uint_t dd);
ngx_uint_t ngx_http_cx_key_of_survey(ngx_str_t *day_key);
u_char *ngx_http_cx_key_token(u_char *buf, ngx_str_t *prefix,
    ngx_str_t *site, u_char *nonce, ngx_uint_t custom);
u_char *ngx_http_cx_key_names(u_char *buf, ngx_str_t *prefix,
    ngx_str_t *site, u_char *day);
u_char *ngx_http_cx_key_followup(u_char *buf, ngx_str_t *prefix,
    ngx_str_t *site);
u_char *ngx_http_cx_key_batch(u_char *buf, ngx_str_t *prefix, uint64_t id);


#endif /* _NGX_HTTP_CX_KEYS_H_INCLUDED_ */
