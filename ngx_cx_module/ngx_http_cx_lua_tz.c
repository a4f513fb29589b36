
/*
 * ngx_http_cx_lua_tz.c: cx_rules_time_zone -- nginx's local time, UTC, a
 * fixed offset, or a zone of /usr/share/zoneinfo read at configuration
 * time (RFC 8536), and the offset from UTC at a given moment.
 */


#include "ngx_http_cx_lua.h"


#define NGX_HTTP_CX_LUA_TZ_DIR       "/usr/share/zoneinfo/"
#define NGX_HTTP_CX_LUA_TZ_MAX       (64 * 1024)


static ngx_int_t ngx_http_cx_lua_tz_file(ngx_conf_t *cf,
    ngx_http_cx_lua_tz_t *tz, u_char *p, size_t size);
static uint32_t ngx_http_cx_lua_be32(u_char *p);
static int64_t ngx_http_cx_lua_be64(u_char *p);


/* seconds east of UTC at t */

ngx_int_t
ngx_http_cx_lua_tz_offset(ngx_http_cx_lua_tz_t *tz, time_t t)
{
    ngx_uint_t  lo, hi, mid;

    switch (tz->type) {

    case ngx_http_cx_lua_tz_utc:
        return 0;

    case ngx_http_cx_lua_tz_fixed:
        return tz->offset;

    case ngx_http_cx_lua_tz_zone:
        break;

    default: /* local, as nginx's own $time_local */
        return ngx_cached_time->gmtoff * 60;
    }

    if (tz->n == 0 || (int64_t) t < tz->at[0]) {
        return tz->initial;
    }

    /* the last transition at or before t */

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

    return tz->offsets[lo];
}


/* cx_rules_time_zone local | utc | +HH:MM | -HH:MM | Area/City */

char *
ngx_http_cx_lua_tz_parse(ngx_conf_t *cf, ngx_http_cx_lua_tz_t *tz,
    ngx_str_t *value)
{
    u_char           *p, *buf;
    size_t            i;
    ssize_t           n;
    ngx_fd_t          fd;
    ngx_int_t         h, m;
    ngx_str_t         path;
    ngx_file_info_t   fi;

    tz->name = *value;
    p = value->data;

    if (value->len == 5 && ngx_strcasecmp(p, (u_char *) "local") == 0) {
        tz->type = ngx_http_cx_lua_tz_local;
        return NGX_CONF_OK;
    }

    if (value->len == 3 && ngx_strcasecmp(p, (u_char *) "utc") == 0) {
        tz->type = ngx_http_cx_lua_tz_utc;
        return NGX_CONF_OK;
    }

    if (value->len == 6 && (p[0] == '+' || p[0] == '-') && p[3] == ':') {
        h = ngx_atoi(p + 1, 2);
        m = ngx_atoi(p + 4, 2);

        if (h == NGX_ERROR || m == NGX_ERROR || h > 14 || m > 59) {
            return "has an invalid offset: use +HH:MM or -HH:MM";
        }

        tz->type = ngx_http_cx_lua_tz_fixed;
        tz->offset = (h * 3600 + m * 60) * (p[0] == '-' ? -1 : 1);
        return NGX_CONF_OK;
    }

    /* a zone name: letters, digits, "_", "-", "+" and "/" between them */

    for (i = 0; i < value->len; i++) {
        if (!(ngx_http_cx_lua_isalnum(p[i])
              || p[i] == '_' || p[i] == '-' || p[i] == '+'
              || (p[i] == '/' && i > 0 && p[i - 1] != '/')))
        {
            return "is not local, utc, +HH:MM or a zone name "
                   "such as Europe/Paris";
        }
    }

    if (p[0] == '/' || p[value->len - 1] == '/' || value->len > 64) {
        return "is not a zone name such as Europe/Paris";
    }

    path.len = sizeof(NGX_HTTP_CX_LUA_TZ_DIR) - 1 + value->len;
    path.data = ngx_pnalloc(cf->temp_pool, path.len + 1);
    if (path.data == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_sprintf(path.data, NGX_HTTP_CX_LUA_TZ_DIR "%V%Z", value);

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
        && ngx_file_size(&fi) <= NGX_HTTP_CX_LUA_TZ_MAX)
    {
        buf = ngx_pnalloc(cf->temp_pool, NGX_HTTP_CX_LUA_TZ_MAX);

        if (buf) {
            n = ngx_read_fd(fd, buf, NGX_HTTP_CX_LUA_TZ_MAX);
        }
    }

    ngx_close_file(fd);

    if (n <= 0 || ngx_http_cx_lua_tz_file(cf, tz, buf, n) != NGX_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "time zone \"%V\": \"%s\" is not a zoneinfo "
                           "file", value, path.data);
        return NGX_CONF_ERROR;
    }

    tz->type = ngx_http_cx_lua_tz_zone;

    return NGX_CONF_OK;
}


/*
 * RFC 8536 (TZif): the version 2+ data block with 64-bit times when the
 * file has one, else version 1.  Times after the last transition keep
 * its offset: Debian's "fat" files list transitions up to 2037.
 */

static ngx_int_t
ngx_http_cx_lua_tz_file(ngx_conf_t *cf, ngx_http_cx_lua_tz_t *tz, u_char *p,
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

        isut = ngx_http_cx_lua_be32(p + 20);
        isstd = ngx_http_cx_lua_be32(p + 24);
        leap = ngx_http_cx_lua_be32(p + 28);
        timecnt = ngx_http_cx_lua_be32(p + 32);
        typecnt = ngx_http_cx_lua_be32(p + 36);
        charcnt = ngx_http_cx_lua_be32(p + 40);

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
    tz->initial = (int32_t) ngx_http_cx_lua_be32(types);

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
                    ? ngx_http_cx_lua_be64(p + 44 + i * 8)
                    : (int32_t) ngx_http_cx_lua_be32(p + 44 + i * 4);

        tz->offsets[i] = (int32_t) ngx_http_cx_lua_be32(types + idx[i] * 6);

        if (i > 0 && tz->at[i] < tz->at[i - 1]) {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


static uint32_t
ngx_http_cx_lua_be32(u_char *p)
{
    return ((uint32_t) p[0] << 24) | ((uint32_t) p[1] << 16)
           | ((uint32_t) p[2] << 8) | p[3];
}


static int64_t
ngx_http_cx_lua_be64(u_char *p)
{
    return (int64_t) (((uint64_t) ngx_http_cx_lua_be32(p) << 32)
                      | ngx_http_cx_lua_be32(p + 4));
}
