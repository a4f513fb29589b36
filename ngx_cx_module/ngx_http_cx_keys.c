
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
 *
 * In Redis Cluster the same names carry the tag of their shard instead
 * of {prefix}:{site} -- {prefix:site:s.k}:tp:{YYYYMMDD} ... -- and the
 * batch numbers are per site and shard: {prefix:site:s.k}:batch:{id}.
 */


#include "ngx_http_cx_keys.h"
#include "ngx_http_cx_shard.h"


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


/*
 * The tags of every site's n shards (configured sites: cx_site), made
 * once, in pool; NULL on error (logged)
 */

ngx_http_cx_key_shards_t *
ngx_http_cx_key_shards(ngx_pool_t *pool, ngx_log_t *log, ngx_str_t *prefix,
    ngx_array_t *sites, ngx_uint_t n)
{
    u_char                    *p;
    ngx_str_t                 *site;
    ngx_uint_t                 i, s;
    ngx_http_cx_key_site_t    *ks;
    ngx_http_cx_key_shard_t   *sh;
    ngx_http_cx_key_shards_t  *shards;

    if (n == 0 || n > NGX_HTTP_CX_SHARDS_MAX) {
        ngx_log_error(NGX_LOG_EMERG, log, 0,
                      "cx: %ui shards: must be 1 to %d", n,
                      NGX_HTTP_CX_SHARDS_MAX);
        return NULL;
    }

    shards = ngx_pcalloc(pool, sizeof(ngx_http_cx_key_shards_t));
    if (shards == NULL
        || ngx_array_init(&shards->sites, pool, sites->nelts + 1,
                          sizeof(ngx_http_cx_key_site_t))
           != NGX_OK)
    {
        return NULL;
    }

    shards->prefix = *prefix;
    shards->n = n;

    site = sites->elts;

    for (i = 0; i < sites->nelts; i++) {
        ks = ngx_array_push(&shards->sites);
        sh = ngx_palloc(pool, n * sizeof(ngx_http_cx_key_shard_t));

        if (ks == NULL || sh == NULL) {
            return NULL;
        }

        ks->site = site[i];
        ks->shard = sh;

        for (s = 0; s < n; s++) {
            sh[s].tag.data = ngx_pnalloc(pool, prefix->len + site[i].len
                                               + NGX_HTTP_CX_SHARD_TAG_LEN);
            if (sh[s].tag.data == NULL) {
                return NULL;
            }

            p = ngx_http_cx_shard_tag(sh[s].tag.data, prefix, &site[i], s,
                                      n, &sh[s].slot);
            if (p == NULL) {
                ngx_log_error(NGX_LOG_EMERG, log, 0,
                              "cx: no hash tag for shard %ui of %ui of "
                              "site \"%V\"", s, n, &site[i]);
                return NULL;
            }

            sh[s].tag.len = p - sh[s].tag.data;
        }
    }

    return shards;
}


/*
 * Shard s of a site: from the table, or made at buf (NGX_HTTP_CX_KEY_MAX
 * bytes) for a site the table lacks (one cx_score_sites names)
 */

ngx_int_t
ngx_http_cx_key_shard(ngx_http_cx_key_shards_t *shards, ngx_str_t *site,
    ngx_uint_t s, u_char *buf, ngx_http_cx_key_shard_t *shard)
{
    u_char                  *p;
    ngx_uint_t               i;
    ngx_http_cx_key_site_t  *ks;

    ks = shards->sites.elts;

    for (i = 0; i < shards->sites.nelts; i++) {
        if (ks[i].site.len == site->len
            && ngx_memcmp(ks[i].site.data, site->data, site->len) == 0)
        {
            *shard = ks[i].shard[s];
            return NGX_OK;
        }
    }

    if (shards->prefix.len + site->len + NGX_HTTP_CX_SHARD_TAG_LEN
        > NGX_HTTP_CX_KEY_MAX)
    {
        return NGX_ERROR;
    }

    p = ngx_http_cx_shard_tag(buf, &shards->prefix, site, s, shards->n,
                              &shard->slot);
    if (p == NULL) {
        return NGX_ERROR;
    }

    shard->tag.data = buf;
    shard->tag.len = p - buf;

    return NGX_OK;
}


/*
 * A name in a shard: its tag, then the untagged name's rest after skip
 * bytes ({prefix}:{site}, or {prefix} for a batch key)
 */

u_char *
ngx_http_cx_key_tagged(u_char *buf, ngx_http_cx_key_shard_t *shard,
    ngx_str_t *key, size_t skip)
{
    u_char  *p;

    p = ngx_cpymem(buf, shard->tag.data, shard->tag.len);

    return ngx_cpymem(p, key->data + skip, key->len - skip);
}


/* the site of an untagged name {prefix}:{site}:... */

ngx_int_t
ngx_http_cx_key_site(ngx_str_t *prefix, ngx_str_t *key, ngx_str_t *site)
{
    u_char  *p, *last;

    last = key->data + key->len;

    if (key->len < prefix->len + 2
        || ngx_memcmp(key->data, prefix->data, prefix->len) != 0
        || key->data[prefix->len] != ':')
    {
        return NGX_ERROR;
    }

    site->data = key->data + prefix->len + 1;

    p = ngx_strlchr(site->data, last, ':');
    if (p == NULL) {
        return NGX_ERROR;
    }

    site->len = p - site->data;

    return NGX_OK;
}
