
/*
 * ngx_http_cx_keys.c: the Redis key schema (see the header and
 * docs/redis.md):
 *
 *   {prefix}:{site}:tp:{YYYYMMDD}           the journey, by day
 *   {prefix}:{site}:tph:{YYYYMMDD}          ... by hour
 *   {prefix}:{site}:sv:{survey}:{YYYYMMDD}  a survey's events, by day
 *   {prefix}:{site}:svh:{survey}:{YYYYMMDD} ... by hour
 *   {prefix}:{site}:sc:{survey}:{YYYYMMDD}  a survey's scores, by day
 *   {prefix}:{site}:sch:{survey}:{YYYYMMDD} ... by hour
 *
 * each with its rollups, {YYYYMM}, {YYYYMM}:all and {YYYYMMDD}:all for
 * the day (kept by lua/redis/flush.lua, which derives them from the day
 * hash's name); and
 *
 *   {prefix}:{site}:tok:{nonce}             a token's events
 *   {prefix}:{site}:tokc:{nonce}            ... its custom ones
 *   {prefix}:{site}:names:{YYYYMMDD}        the day's custom event names
 *   {prefix}:{site}:followup                the low scores' stream
 *   {prefix}:batch:{id}                     a worker's last batch number
 */


#include "ngx_http_cx_keys.h"


#define NGX_HTTP_CX_NONCE_CHARS  16


/* a counter hash of a day: kind is tp, tph, sv, svh, sc or sch */

u_char *
ngx_http_cx_key(u_char *buf, ngx_str_t *prefix, ngx_str_t *site,
    const char *kind, ngx_str_t *survey, u_char *day)
{
    u_char  *p;

    p = ngx_sprintf(buf, "%V:%V:%s:", prefix, site, kind);

    if (survey) {
        p = ngx_sprintf(p, "%V:", survey);
    }

    return ngx_cpymem(p, day, 8);
}


/* the same, or of the month of that day: one of its rollups */

u_char *
ngx_http_cx_key_span(u_char *buf, ngx_str_t *prefix, ngx_str_t *site,
    const char *kind, ngx_str_t *survey, u_char *day,
    ngx_http_cx_key_span_e span)
{
    ngx_str_t  key;

    key.data = buf;
    key.len = ngx_http_cx_key(buf, prefix, site, kind, survey, day) - buf;

    return ngx_http_cx_key_rollup(buf, &key, span);
}


/*
 * A day hash's rollup from the day hash's name (which may be at buf: it
 * is only ever made longer there)
 */

u_char *
ngx_http_cx_key_rollup(u_char *buf, ngx_str_t *day_key,
    ngx_http_cx_key_span_e span)
{
    u_char  *p;

    p = ngx_movemem(buf, day_key->data, day_key->len);

    switch (span) {

    case ngx_http_cx_key_of_month:
        return p - 2;

    case ngx_http_cx_key_of_month_all:
        return ngx_cpymem(p - 2, ":all", 4);

    case ngx_http_cx_key_of_day_all:
        return ngx_cpymem(p, ":all", 4);

    default:
        return p;
    }
}


/* day dd (1-31) of a day hash's month: what its month's rollup adds up */

u_char *
ngx_http_cx_key_month_day(u_char *buf, ngx_str_t *day_key, ngx_uint_t dd)
{
    return ngx_sprintf(buf, "%*s%02ui", day_key->len - 2, day_key->data,
                       dd);
}


/*
 * Whether a day hash is a survey's (sv, svh, sc, sch), with rollups that
 * add up its touchpoints, or the journey's (tp, tph): the kind is the
 * part after the prefix and the site
 */

ngx_uint_t
ngx_http_cx_key_of_survey(ngx_str_t *day_key)
{
    u_char  *p, *last;

    p = day_key->data;
    last = p + day_key->len;

    p = ngx_strlchr(p, last, ':');
    p = p ? ngx_strlchr(p + 1, last, ':') : NULL;

    return p && p + 1 < last && p[1] == 's';
}


/*
 * A token's events: tok for shown, dismissed and answered (and its
 * follow-up entry), tokc for its custom ones (custom set) and their count
 */

u_char *
ngx_http_cx_key_token(u_char *buf, ngx_str_t *prefix, ngx_str_t *site,
    u_char *nonce, ngx_uint_t custom)
{
    return ngx_sprintf(buf, "%V:%V:%s:%*s", prefix, site,
                       custom ? "tokc" : "tok",
                       (size_t) NGX_HTTP_CX_NONCE_CHARS, nonce);
}


u_char *
ngx_http_cx_key_names(u_char *buf, ngx_str_t *prefix, ngx_str_t *site,
    u_char *day)
{
    return ngx_sprintf(buf, "%V:%V:names:%*s", prefix, site, (size_t) 8,
                       day);
}


u_char *
ngx_http_cx_key_followup(u_char *buf, ngx_str_t *prefix, ngx_str_t *site)
{
    return ngx_sprintf(buf, "%V:%V:followup", prefix, site);
}


u_char *
ngx_http_cx_key_batch(u_char *buf, ngx_str_t *prefix, uint64_t id)
{
    return ngx_sprintf(buf, "%V:batch:%016xL", prefix, id);
}
