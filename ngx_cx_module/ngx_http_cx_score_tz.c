
/*
 * ngx_http_cx_score_tz.c: the hours and weekdays of GET /cx/score in a
 * chosen time zone -- cx_score_time_zone (the zones, read at
 * configuration time by ngx_http_cx_tz.c; the first one is the default)
 * and tz= (utc, +HH:MM, -HH:MM or one of those zones).  The counters
 * are kept by UTC day and hour: each UTC hour's counts go to the local
 * hour and weekday that hour begins in, with the offset in force at that
 * instant, so a day of 23 or 25 hours comes out right.  The days of the
 * range stay UTC days (README.md, "cx_score_time_zone").
 */


#include "ngx_http_cx_module.h"
#include "ngx_http_cx_score.h"


static ngx_uint_t ngx_http_cx_score_tz_shifted(ngx_http_cx_tz_t *tz);


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
 * 1: the hourly counters of ndays days from day "first" (days since
 * 1970-01-01) may be read from a rollup that keeps the hours but not
 * the days: by=hour, with one offset over all of them.
 */

ngx_uint_t
ngx_http_cx_score_tz_rollup(ngx_http_cx_score_ctx_t *ctx, ngx_int_t first,
    ngx_uint_t ndays)
{
    if (ctx->tz.hourly) {
        return 0;
    }

    return ngx_http_cx_tz_steady(ctx->tz.zone, (time_t) first * 86400,
                                 (time_t) (first + ndays) * 86400);
}


/*
 * The group of UTC hour "hour" of day "day" (days since 1970-01-01): by
 * hour the local hour it begins in, by wday that hour's local weekday
 * (0: Monday).  With an offset that is not whole hours (+05:30), the
 * hour goes where it begins.  A day's offsets are looked up once.
 */

ngx_uint_t
ngx_http_cx_score_tz_group(ngx_http_cx_score_ctx_t *ctx, ngx_int_t day,
    ngx_uint_t hour)
{
    time_t                   t, local, lday;
    ngx_http_cx_score_tz_t  *tz;

    tz = &ctx->tz;

    if (tz->day != day) {
        tz->day = day;
        tz->known = 0;
    }

    t = (time_t) day * 86400 + hour * 3600;

    if (!(tz->known & (1 << hour))) {
        tz->offset[hour] = (int32_t) ngx_http_cx_tz_offset(tz->zone, t);
        tz->known |= 1 << hour;
    }

    local = t + tz->offset[hour];

    /* floor division: before 1970 in a zone west of UTC */

    lday = local / 86400 - (local % 86400 < 0);

    if (ctx->by == ngx_http_cx_by_wday) {
        /* 1970-01-01 was a Thursday */
        return (ngx_uint_t) (((lday + 3) % 7 + 7) % 7);
    }

    return (ngx_uint_t) ((local - lday * 86400) / 3600);
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
