
/*
 * ngx_http_cx_tz.c: the time zones of cx_rules_time_zone and
 * cx_score_time_zone -- nginx's local time, UTC, a fixed offset, or a
 * zone of /usr/share/zoneinfo read at configuration time (RFC 8536) --
 * and the offset from UTC at a given moment.
 */


#include "ngx_http_cx_tz.h"


#define NGX_HTTP_CX_TZ_DIR           "/usr/share/zoneinfo/"
#define NGX_HTTP_CX_TZ_MAX           (64 * 1024)

#define ngx_http_cx_tz_name_char(c)                                          \
    (((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z')               \
     || ((c) >= '0' && (c) <= '9') || (c) == '_' || (c) == '-' || (c) == '+')


static ngx_int_t ngx_http_cx_tz_file(ngx_conf_t *cf, ngx_http_cx_tz_t *tz,
    u_char *p, size_t size);
static ngx_uint_t ngx_http_cx_tz_index(ngx_http_cx_tz_t *tz, time_t t);
static uint32_t ngx_http_cx_tz_be32(u_char *p);
static int64_t ngx_http_cx_tz_be64(u_char *p);


/* seconds east of UTC at t */

ngx_int_t
ngx_http_cx_tz_offset(ngx_http_cx_tz_t *tz, time_t t)
{
#if (NGX_HAVE_GMTOFF)
    ngx_tm_t  tm;
#endif

    switch (tz->type) {

    case ngx_http_cx_tz_utc:
        return 0;

    case ngx_http_cx_tz_fixed:
        return tz->offset;

    case ngx_http_cx_tz_zone:
        break;

    default:

        /* local, as nginx's own $time_local, with the offset of t's day */

#if (NGX_HAVE_GMTOFF)
        ngx_localtime(t, &tm);
        return tm.ngx_tm_gmtoff;
#else
        return ngx_cached_time->gmtoff * 60;
#endif
    }

    if (tz->n == 0 || (int64_t) t < tz->at[0]) {
        return tz->initial;
    }

    return tz->offsets[ngx_http_cx_tz_index(tz, t)];
}


/* the same offset over [from, to) */

ngx_uint_t
ngx_http_cx_tz_steady(ngx_http_cx_tz_t *tz, time_t from, time_t to)
{
    time_t     t;
    ngx_int_t  off;

    switch (tz->type) {

    case ngx_http_cx_tz_utc:
    case ngx_http_cx_tz_fixed:
        return 1;

    case ngx_http_cx_tz_zone:
        if (tz->n == 0 || (int64_t) (to - 1) < tz->at[0]) {
            return 1;
        }

        return (int64_t) from >= tz->at[0]
               && ngx_http_cx_tz_index(tz, from)
                  == ngx_http_cx_tz_index(tz, to - 1);

    default:
        /* local: the C library knows no transitions; look at every day */

        off = ngx_http_cx_tz_offset(tz, from);

        for (t = from + 86400; t < to; t += 86400) {
            if (ngx_http_cx_tz_offset(tz, t) != off) {
                return 0;
            }
        }

        return ngx_http_cx_tz_offset(tz, to - 1) == off;
    }
}


/* the last transition at or before t (at[0] <= t) */

static ngx_uint_t
ngx_http_cx_tz_index(ngx_http_cx_tz_t *tz, time_t t)
{
    ngx_uint_t  lo, hi, mid;

    lo = 0;
    hi = tz->n;

    while (hi - lo > 1) {
        mid = lo + (hi - lo) / 2;

        if (tz->at[mid] <= (int64_t) t) {
            lo = mid;

        } else {
            hi = mid;
        }
    }

    return lo;
}


/* utc, +HH:MM or -HH:MM: what needs no file, at any time */

ngx_int_t
ngx_http_cx_tz_parse_fixed(ngx_http_cx_tz_t *tz, ngx_str_t *value)
{
    u_char     *p;
    ngx_int_t   h, m;

    p = value->data;

    if (value->len == 3 && ngx_strncasecmp(p, (u_char *) "utc", 3) == 0) {
        tz->name = *value;
        tz->type = ngx_http_cx_tz_utc;
        return NGX_OK;
    }

    if (value->len != 6 || (p[0] != '+' && p[0] != '-') || p[3] != ':') {
        return NGX_DECLINED;
    }

    h = ngx_atoi(p + 1, 2);
    m = ngx_atoi(p + 4, 2);

    if (h == NGX_ERROR || m == NGX_ERROR || h > 14 || m > 59) {
        return NGX_ERROR;
    }

    tz->name = *value;
    tz->type = ngx_http_cx_tz_fixed;
    tz->offset = (h * 3600 + m * 60) * (p[0] == '-' ? -1 : 1);

    return NGX_OK;
}


/*
 * local | utc | +HH:MM | -HH:MM | Area/City (cx_rules_time_zone,
 * cx_score_time_zone): a zone's file is read here, once
 */

char *
ngx_http_cx_tz_parse(ngx_conf_t *cf, ngx_http_cx_tz_t *tz,
    ngx_str_t *value)
{
    u_char           *p, *buf;
    size_t            i;
    ssize_t           n;
    ngx_fd_t          fd;
    ngx_str_t         path;
    ngx_file_info_t   fi;

    switch (ngx_http_cx_tz_parse_fixed(tz, value)) {
    case NGX_OK:
        return NGX_CONF_OK;
    case NGX_ERROR:
        return "has an invalid offset: use +HH:MM or -HH:MM";
    default:
        break;
    }

    tz->name = *value;
    p = value->data;

    if (value->len == 5 && ngx_strncasecmp(p, (u_char *) "local", 5) == 0) {
        tz->type = ngx_http_cx_tz_local;
        return NGX_CONF_OK;
    }

    /* a zone name: letters, digits, "_", "-", "+" and "/" between them */

    for (i = 0; i < value->len; i++) {
        if (!(ngx_http_cx_tz_name_char(p[i])
              || (p[i] == '/' && i > 0 && p[i - 1] != '/')))
        {
            return "is not local, utc, +HH:MM or a zone name "
                   "such as Europe/Paris";
        }
    }

    if (p[0] == '/' || p[value->len - 1] == '/' || value->len > 64) {
        return "is not a zone name such as Europe/Paris";
    }

    path.len = sizeof(NGX_HTTP_CX_TZ_DIR) - 1 + value->len;
    path.data = ngx_pnalloc(cf->temp_pool, path.len + 1);
    if (path.data == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_sprintf(path.data, NGX_HTTP_CX_TZ_DIR "%V%Z", value);

    fd = ngx_open_file(path.data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);

    if (fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "unknown time zone \"%V\": cannot open \"%s\"",
                           value, path.data);
        return NGX_CONF_ERROR;
    }

    buf = NULL;
    n = -1;

    if (ngx_fd_info(fd, &fi) != NGX_FILE_ERROR
        && ngx_file_size(&fi) <= NGX_HTTP_CX_TZ_MAX)
    {
        buf = ngx_pnalloc(cf->temp_pool, NGX_HTTP_CX_TZ_MAX);

        if (buf) {
            n = ngx_read_fd(fd, buf, NGX_HTTP_CX_TZ_MAX);
        }
    }

    ngx_close_file(fd);

    if (n <= 0 || ngx_http_cx_tz_file(cf, tz, buf, n) != NGX_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "time zone \"%V\": \"%s\" is not a zoneinfo "
                           "file", value, path.data);
        return NGX_CONF_ERROR;
    }

    tz->type = ngx_http_cx_tz_zone;

    return NGX_CONF_OK;
}


/*
 * RFC 8536 (TZif): the version 2+ data block with 64-bit times when the
 * file has one, else version 1.  Times after the last transition keep
 * its offset: Debian's "fat" files list transitions up to 2037.
 */

static ngx_int_t
ngx_http_cx_tz_file(ngx_conf_t *cf, ngx_http_cx_tz_t *tz, u_char *p,
    size_t size)
{
    u_char      *last, *idx, *types;
    size_t       tsize, skip;
    uint32_t     isut, isstd, leap, timecnt, typecnt, charcnt;
    ngx_uint_t   i, pass;

    last = p + size;
    tsize = 4;

    for (pass = 0; pass < 2; pass++) {

        if (last - p < 44 || ngx_strncmp(p, "TZif", 4) != 0) {
            return NGX_ERROR;
        }

        isut = ngx_http_cx_tz_be32(p + 20);
        isstd = ngx_http_cx_tz_be32(p + 24);
        leap = ngx_http_cx_tz_be32(p + 28);
        timecnt = ngx_http_cx_tz_be32(p + 32);
        typecnt = ngx_http_cx_tz_be32(p + 36);
        charcnt = ngx_http_cx_tz_be32(p + 40);

        if (timecnt > 10000 || typecnt == 0 || typecnt > 256
            || charcnt > 1024 || leap > 1000 || isut > 256 || isstd > 256)
        {
            return NGX_ERROR;
        }

        skip = timecnt * tsize + timecnt + typecnt * 6 + charcnt
               + leap * (tsize + 4) + isstd + isut;

        if ((size_t) (last - p) < 44 + skip) {
            return NGX_ERROR;
        }

        if (pass == 0 && p[4] >= '2') {
            /* skip the version 1 block: the 64-bit one follows */
            p += 44 + skip;
            tsize = 8;
            continue;
        }

        break;
    }

    idx = p + 44 + timecnt * tsize;
    types = idx + timecnt;

    tz->n = timecnt;
    tz->initial = (int32_t) ngx_http_cx_tz_be32(types);

    tz->at = ngx_palloc(cf->pool, (timecnt + 1) * sizeof(int64_t));
    tz->offsets = ngx_palloc(cf->pool, (timecnt + 1) * sizeof(int32_t));

    if (tz->at == NULL || tz->offsets == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < timecnt; i++) {
        if (idx[i] >= typecnt) {
            return NGX_ERROR;
        }

        tz->at[i] = (tsize == 8)
                    ? ngx_http_cx_tz_be64(p + 44 + i * 8)
                    : (int32_t) ngx_http_cx_tz_be32(p + 44 + i * 4);

        tz->offsets[i] = (int32_t) ngx_http_cx_tz_be32(types + idx[i] * 6);

        if (i > 0 && tz->at[i] < tz->at[i - 1]) {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


static uint32_t
ngx_http_cx_tz_be32(u_char *p)
{
    return ((uint32_t) p[0] << 24) | ((uint32_t) p[1] << 16)
           | ((uint32_t) p[2] << 8) | p[3];
}


static int64_t
ngx_http_cx_tz_be64(u_char *p)
{
    return (int64_t) (((uint64_t) ngx_http_cx_tz_be32(p) << 32)
                      | ngx_http_cx_tz_be32(p + 4));
}
