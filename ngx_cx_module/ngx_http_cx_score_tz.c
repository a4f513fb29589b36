
/*
 * ngx_http_cx_score_tz.c: the hours and weekdays of GET /cx/score in a
 * chosen time zone -- cx_score_time_zone (the zones, read at
 * configuration time by ngx_http_cx_tz.c; the first one is the default)
 * and tz= (utc, +HH:MM, -HH:MM or one of those zones).  The counters
 * are kept by UTC day and hour: each UTC hour's counts go to the local
 * hour and weekday that hour begins in, with the offset in force at that
 * instant, so a day of 23 or 25 hours comes out right.  A month's
 * rollup of hours (no days) is read at one offset, and corrected by the
 * days of the month at another.  The days of the range stay UTC days
 * (README.md, "cx_score_time_zone").
 */


#include "ngx_http_cx_module.h"
#include "ngx_http_cx_score.h"


static ngx_uint_t ngx_http_cx_score_tz_shifted(ngx_http_cx_tz_t *tz);
static ngx_int_t ngx_http_cx_score_tz_local(ngx_http_cx_score_ctx_t *ctx,
    time_t t, int32_t offset);


static ngx_http_cx_tz_t  ngx_http_cx_score_tz_utc = {
    ngx_http_cx_tz_utc, ngx_string("utc"), 0, 0, NULL, NULL, 0
};


/* cx_score_time_zone local | utc | +HH:MM | -HH:MM | Area/City ... */

char *
ngx_http_cx_score_time_zone(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_cx_loc_conf_t *lcf = conf;

    char              *rv;
    ngx_str_t         *value;
    ngx_uint_t         i, k;
    ngx_http_cx_tz_t  *tz;

    if (lcf->score_time_zones != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    lcf->score_time_zones = ngx_array_create(cf->pool, cf->args->nelts - 1,
                                             sizeof(ngx_http_cx_tz_t));
    if (lcf->score_time_zones == NULL) {
        return NGX_CONF_ERROR;
    }

    for (i = 1; i < cf->args->nelts; i++) {

        tz = lcf->score_time_zones->elts;

        for (k = 0; k < lcf->score_time_zones->nelts; k++) {
            if (tz[k].name.len == value[i].len
                && ngx_strncasecmp(tz[k].name.data, value[i].data,
                                   value[i].len) == 0)
            {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "\"%V\" in \"%V\" is listed twice",
                                   &value[i], &cmd->name);
                return NGX_CONF_ERROR;
            }
        }

        tz = ngx_array_push(lcf->score_time_zones);
        if (tz == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_memzero(tz, sizeof(ngx_http_cx_tz_t));

        rv = ngx_http_cx_tz_parse(cf, tz, &value[i]);

        if (rv != NGX_CONF_OK && rv != NGX_CONF_ERROR) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"%V\" in \"%V\" %s",
                               &value[i], &cmd->name, rv);
            return NGX_CONF_ERROR;
        }

        if (rv != NGX_CONF_OK) {
            return rv;
        }
    }

    return NGX_CONF_OK;
}


/*
 * tz= (v), or the location's first cx_score_time_zone (v NULL; UTC
 * without one): a zone configured there, by its name, or utc, +HH:MM,
 * -HH:MM, which need no file.  Called once "by" is known.
 */

ngx_int_t
ngx_http_cx_score_tz_arg(ngx_http_cx_score_ctx_t *ctx, ngx_str_t *v,
    const char **reason)
{
    ngx_int_t                rc;
    ngx_uint_t               i;
    ngx_array_t             *zones;
    ngx_http_cx_tz_t        *tz;
    ngx_http_cx_loc_conf_t  *lcf;

    lcf = ngx_http_get_module_loc_conf(ctx->request, ngx_http_cx_module);
    zones = lcf->score_time_zones;

    ctx->tz.day = -1;
    ctx->tz.zone = zones ? zones->elts : &ngx_http_cx_score_tz_utc;

    if (v) {
        tz = zones ? zones->elts : NULL;

        for (i = 0; zones && i < zones->nelts; i++) {
            if (tz[i].name.len == v->len
                && ngx_strncmp(tz[i].name.data, v->data, v->len) == 0)
            {
                break;
            }
        }

        if (zones && i < zones->nelts) {
            ctx->tz.zone = &tz[i];

        } else {
            tz = ngx_pcalloc(ctx->request->pool, sizeof(ngx_http_cx_tz_t));
            if (tz == NULL) {
                return NGX_ERROR;
            }

            rc = ngx_http_cx_tz_parse_fixed(tz, v);

            if (rc == NGX_ERROR) {
                *reason = "an offset out of range (-14:59 to +14:59)";
                return NGX_DECLINED;
            }

            if (rc != NGX_OK) {
                *reason = "unknown time zone: utc, +HH:MM, -HH:MM or a "
                          "zone cx_score_time_zone lists";
                return NGX_DECLINED;
            }

            ctx->tz.zone = tz;
        }
    }

    /* a UTC day holds parts of two local weekdays: its hours tell */

    ctx->tz.hourly = (ctx->by == ngx_http_cx_by_wday
                      && ngx_http_cx_score_tz_shifted(ctx->tz.zone));

    return NGX_OK;
}


static ngx_uint_t
ngx_http_cx_score_tz_shifted(ngx_http_cx_tz_t *tz)
{
    return !(tz->type == ngx_http_cx_tz_utc
             || (tz->type == ngx_http_cx_tz_fixed && tz->offset == 0));
}


/*
 * How the hourly counters of the ndays days of a month from day "first"
 * (days since 1970-01-01) are read, when its rollup keeps the hours but
 * not the days: NGX_OK, from the rollup (one offset all month);
 * NGX_DONE, day by day (by=wday in a zone); NGX_DECLINED, from the
 * rollup at *offset (that of the month's first or last day, whichever
 * fewer days differ from), corrected by the days of *fix (a bit per
 * day): those with an hour at another offset.
 */

ngx_int_t
ngx_http_cx_score_tz_month(ngx_http_cx_score_ctx_t *ctx, ngx_int_t first,
    ngx_uint_t ndays, int32_t *offset, uint32_t *fix)
{
    time_t             start, t;
    uint32_t           mask[2];
    ngx_int_t          base[2];
    ngx_uint_t         i, b, bits[2];
    ngx_http_cx_tz_t  *zone;

    if (ctx->tz.hourly) {
        return NGX_DONE;
    }

    zone = ctx->tz.zone;
    start = (time_t) first * 86400;

    if (ngx_http_cx_tz_steady(zone, start, start + ndays * 86400)) {
        return NGX_OK;
    }

    base[0] = ngx_http_cx_tz_offset(zone, start);
    base[1] = ngx_http_cx_tz_offset(zone, start + ndays * 86400 - 1);

    for (b = 0; b < 2; b++) {
        mask[b] = 0;
        bits[b] = 0;

        for (i = 0; i < ndays && i < 32; i++) {
            t = start + i * 86400;

            if (!ngx_http_cx_tz_steady(zone, t, t + 86400)
                || ngx_http_cx_tz_offset(zone, t) != base[b])
            {
                mask[b] |= (uint32_t) 1 << i;
                bits[b]++;
            }
        }
    }

    b = (bits[1] < bits[0]);

    *offset = (int32_t) base[b];
    *fix = mask[b];

    return NGX_DECLINED;
}


/*
 * The group of UTC hour "hour" of day "day" (days since 1970-01-01) in
 * the read being added up: by hour the local hour it begins in, by wday
 * that hour's local weekday (0: Monday).  With an offset that is not
 * whole hours (+05:30), the hour goes where it begins.  A day's offsets
 * are looked up once.  A month's rollup read at one offset
 * (ngx_http_cx_score_tz_month()) puts every hour there; a day that
 * corrects it gives *undo, the group the rollup put the hour in, or
 * NGX_DECLINED when the rollup has it right.
 */

ngx_int_t
ngx_http_cx_score_tz_group(ngx_http_cx_score_ctx_t *ctx, ngx_int_t day,
    ngx_uint_t hour, ngx_int_t *undo)
{
    time_t                     t;
    int32_t                    offset;
    ngx_http_cx_score_tz_t    *tz;
    ngx_http_cx_score_read_t  *rd;

    tz = &ctx->tz;
    rd = ctx->read;
    t = (time_t) day * 86400 + hour * 3600;

    *undo = NGX_DECLINED;

    if (rd->based) {
        return ngx_http_cx_score_tz_local(ctx, t, rd->offset);
    }

    if (tz->day != day) {
        tz->day = day;
        tz->known = 0;
    }

    if (!(tz->known & (1 << hour))) {
        tz->offset[hour] = (int32_t) ngx_http_cx_tz_offset(tz->zone, t);
        tz->known |= 1 << hour;
    }

    offset = tz->offset[hour];

    if (rd->fix) {
        if (offset == rd->offset) {
            return NGX_DECLINED;
        }

        *undo = ngx_http_cx_score_tz_local(ctx, t, rd->offset);
    }

    return ngx_http_cx_score_tz_local(ctx, t, offset);
}


/* the local hour (by hour) or weekday (by wday) of t at that offset */

static ngx_int_t
ngx_http_cx_score_tz_local(ngx_http_cx_score_ctx_t *ctx, time_t t,
    int32_t offset)
{
    time_t  local, lday;

    local = t + offset;

    /* floor division: before 1970 in a zone west of UTC */

    lday = local / 86400 - (local % 86400 < 0);

    if (ctx->by == ngx_http_cx_by_wday) {
        /* 1970-01-01 was a Thursday */
        return ((lday + 3) % 7 + 7) % 7;
    }

    return (local - lday * 86400) / 3600;
}


/* *sum -= n, a count the month's rollup had at another hour */

void
ngx_http_cx_score_tz_undo(uint64_t *sum, uint64_t n)
{
    *sum -= ngx_min(*sum, n);
}


/*
 * "time_zone": the zone of the hours and weekdays; "time_zones": those
 * tz= may name here, the default first (what the dashboard offers)
 */

void
ngx_http_cx_score_tz_json(ngx_http_cx_json_t *j, ngx_http_cx_score_ctx_t *ctx)
{
    ngx_uint_t               i;
    ngx_http_cx_tz_t        *tz;
    ngx_http_cx_loc_conf_t  *lcf;

    if (ctx->tz.zone == NULL
        || (ctx->by != ngx_http_cx_by_hour && ctx->by != ngx_http_cx_by_wday))
    {
        return;
    }

    ngx_http_cx_json_key(j, "time_zone");
    ngx_http_cx_json_str(j, &ctx->tz.zone->name);

    lcf = ngx_http_get_module_loc_conf(ctx->request, ngx_http_cx_module);

    ngx_http_cx_json_key(j, "time_zones");
    ngx_http_cx_json_array(j);

    if (lcf->score_time_zones == NULL) {
        ngx_http_cx_json_str(j, &ngx_http_cx_score_tz_utc.name);

    } else {
        tz = lcf->score_time_zones->elts;

        for (i = 0; i < lcf->score_time_zones->nelts; i++) {
            ngx_http_cx_json_str(j, &tz[i].name);
        }
    }

    ngx_http_cx_json_end(j);
}
