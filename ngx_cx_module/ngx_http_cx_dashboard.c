
/*
 * ngx_http_cx_dashboard.c: the cx_dashboard handler, the marketers' page.
 * dashboard/index.html, dashboard.js and dashboard.css are compiled into
 * the module (.incbin; no build step, no Node) and served from memory by
 * one location: the page for the location's URI, the script for "?js",
 * the stylesheet for "?css".  The page names the scores endpoint it reads
 * (cx_dashboard score=URI): each location gets its own copy of the page,
 * made once at configuration time.  Every answer has a strong ETag and
 * is revalidated on every use (no-cache), so an upgraded module is seen
 * at once; the page carries a strict Content-Security-Policy.  Who may
 * load it: ngx_http_cx_access.c.
 * Built in by ngx_http_cx_embed(), sent by ngx_http_cx_asset.c.
 */


#include "ngx_http_cx_module.h"
#include "ngx_http_cx_access.h"
#include "ngx_http_cx_asset.h"
#include "ngx_http_cx_dashboard.h"
#include "ngx_http_cx_embed.h"
#include "ngx_http_cx_util.h"


#define NGX_HTTP_CX_DASHBOARD_SCORE  "/cx/score"
#define NGX_HTTP_CX_DASHBOARD_MARK   "@CX_SCORE@"
#define NGX_HTTP_CX_DASHBOARD_URI_MAX  256

#define NGX_HTTP_CX_DASHBOARD_CSP                                            \
    "default-src 'none'; script-src 'self'; style-src 'self'; "             \
    "connect-src 'self'; img-src 'self' data:; base-uri 'none'; "           \
    "form-action 'self'; frame-ancestors 'none'"


ngx_http_cx_embed(ngx_http_cx_dashboard_html, "dashboard/index.html");
ngx_http_cx_embed(ngx_http_cx_dashboard_js, "dashboard/dashboard.js");
ngx_http_cx_embed(ngx_http_cx_dashboard_css, "dashboard/dashboard.css");


static ngx_int_t ngx_http_cx_dashboard_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_cx_dashboard_page_headers(ngx_http_request_t *r);
static ngx_int_t ngx_http_cx_dashboard_uri_valid(ngx_str_t *uri);
static ngx_int_t ngx_http_cx_dashboard_page(ngx_conf_t *cf,
    ngx_http_cx_asset_t *page, ngx_str_t *score);
static ngx_int_t ngx_http_cx_dashboard_asset(ngx_conf_t *cf,
    ngx_http_cx_asset_t *asset, u_char *body, size_t len, char *type);


/* the script and the stylesheet: set up once, from the embedded bytes */

static ngx_http_cx_asset_t  ngx_http_cx_dashboard_assets[2];


/* cx_dashboard [score=URI] */

char *
ngx_http_cx_dashboard(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_cx_loc_conf_t *lcf = conf;

    ngx_str_t                 *value, score;
    ngx_http_cx_asset_t       *page, *a;
    ngx_http_core_loc_conf_t  *clcf;

    if (lcf->dashboard) {
        return "is duplicate";
    }

    value = cf->args->elts;

    ngx_str_set(&score, NGX_HTTP_CX_DASHBOARD_SCORE);

    if (cf->args->nelts == 2) {
        if (value[1].len <= sizeof("score=") - 1
            || ngx_strncmp(value[1].data, "score=", sizeof("score=") - 1)
               != 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\" in \"%V\": "
                               "expected score=URI", &value[1], &cmd->name);
            return NGX_CONF_ERROR;
        }

        score.data = value[1].data + sizeof("score=") - 1;
        score.len = value[1].len - (sizeof("score=") - 1);

        if (ngx_http_cx_dashboard_uri_valid(&score) != NGX_OK) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid \"%V\" in \"%V\": the scores "
                               "endpoint is a path on this site (e.g. "
                               "/cx/score or ../score) of at most %d "
                               "characters [A-Za-z0-9-._~/%%]",
                               &value[1], &cmd->name,
                               NGX_HTTP_CX_DASHBOARD_URI_MAX);
            return NGX_CONF_ERROR;
        }
    }

    page = ngx_pcalloc(cf->pool, sizeof(ngx_http_cx_asset_t));
    if (page == NULL) {
        return NGX_CONF_ERROR;
    }

    if (ngx_http_cx_dashboard_page(cf, page, &score) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    lcf->dashboard = page;

    a = ngx_http_cx_dashboard_assets;

    if (a[0].copy[0].body.data == NULL
        && (ngx_http_cx_dashboard_asset(cf, &a[0], ngx_http_cx_dashboard_js,
                                        ngx_http_cx_dashboard_js_end
                                        - ngx_http_cx_dashboard_js,
                                        "text/javascript")
            != NGX_OK
            || ngx_http_cx_dashboard_asset(cf, &a[1],
                                           ngx_http_cx_dashboard_css,
                                           ngx_http_cx_dashboard_css_end
                                           - ngx_http_cx_dashboard_css,
                                           "text/css")
               != NGX_OK))
    {
        return NGX_CONF_ERROR;
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_cx_dashboard_handler;

    /* the module's own endpoint: never a page view, never injected */
    lcf->endpoint = 1;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_cx_dashboard_handler(ngx_http_request_t *r)
{
    ngx_int_t                rc;
    ngx_http_cx_asset_t     *file;
    ngx_http_cx_loc_conf_t  *lcf;

    rc = ngx_http_cx_asset_method(r);
    if (rc != NGX_OK) {
        return rc;
    }

    /* with cx_score_token, the page asks for it: no data here */

    rc = ngx_http_cx_access(r, 1);
    if (rc != NGX_OK) {
        return ngx_http_cx_access_denied(r, rc);
    }

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_cx_module);

    if (r->args.len == 2 && ngx_strncmp(r->args.data, "js", 2) == 0) {
        file = &ngx_http_cx_dashboard_assets[0];

    } else if (r->args.len == 3 && ngx_strncmp(r->args.data, "css", 3) == 0) {
        file = &ngx_http_cx_dashboard_assets[1];

    } else {
        file = lcf->dashboard;

        if (ngx_http_cx_dashboard_page_headers(r) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "cx dashboard: \"%V\", %V", &r->args, &file->type);

    return ngx_http_cx_asset_send(r, file);
}


/* the page only: what it may load, and no Referer from it */

static ngx_int_t
ngx_http_cx_dashboard_page_headers(ngx_http_request_t *r)
{
    ngx_str_t  csp, referrer;

    ngx_str_set(&csp, NGX_HTTP_CX_DASHBOARD_CSP);
    ngx_str_set(&referrer, "no-referrer");

    if (ngx_http_cx_header_add(&r->headers_out.headers,
                               "Content-Security-Policy", &csp)
        == NULL
        || ngx_http_cx_header_add(&r->headers_out.headers,
                                  "Referrer-Policy", &referrer)
           == NULL)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * A path on this site, absolute or relative, without a scheme, a host
 * ("//"), a query or anything to escape in HTML: the page sends the
 * bearer token there.
 */

static ngx_int_t
ngx_http_cx_dashboard_uri_valid(ngx_str_t *uri)
{
    u_char  *p, *last;

    if (uri->len == 0 || uri->len > NGX_HTTP_CX_DASHBOARD_URI_MAX
        || (uri->len >= 2 && uri->data[0] == '/' && uri->data[1] == '/'))
    {
        return NGX_ERROR;
    }

    last = uri->data + uri->len;

    for (p = uri->data; p < last; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
              || (*p >= '0' && *p <= '9') || *p == '-' || *p == '.'
              || *p == '_' || *p == '~' || *p == '/' || *p == '%'))
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/* index.html with the scores endpoint in place of its one mark */

static ngx_int_t
ngx_http_cx_dashboard_page(ngx_conf_t *cf, ngx_http_cx_asset_t *page,
    ngx_str_t *score)
{
    u_char     *p, *html, *last, *mark;
    size_t      len;
    ngx_str_t   body;

    html = ngx_http_cx_dashboard_html;
    last = ngx_http_cx_dashboard_html_end;
    len = sizeof(NGX_HTTP_CX_DASHBOARD_MARK) - 1;

    mark = ngx_strlcasestrn(html, last, (u_char *) NGX_HTTP_CX_DASHBOARD_MARK,
                            len - 1);

    if (mark == NULL) {
        ngx_conf_log_error(NGX_LOG_ALERT, cf, 0,
                           "the dashboard built into the module has no "
                           "\"" NGX_HTTP_CX_DASHBOARD_MARK "\"");
        return NGX_ERROR;
    }

    body.len = (last - html) - len + score->len;
    body.data = ngx_palloc(cf->pool, body.len);
    if (body.data == NULL) {
        return NGX_ERROR;
    }

    /* the characters of a valid score URI need no HTML escaping */

    p = ngx_cpymem(body.data, html, mark - html);
    p = ngx_cpymem(p, score->data, score->len);
    ngx_memcpy(p, mark + len, last - (mark + len));

    return ngx_http_cx_dashboard_asset(cf, page, body.data, body.len,
                                       "text/html");
}


/*
 * The page, the script or the stylesheet: a strong ETag "cx-dash-HASH",
 * revalidated on every use (no-cache), no gzip'd copy.
 */

static ngx_int_t
ngx_http_cx_dashboard_asset(ngx_conf_t *cf, ngx_http_cx_asset_t *asset,
    u_char *body, size_t len, char *type)
{
    if (ngx_http_cx_asset_init(cf, asset, "cx-dash", body, len, NULL, 0)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    asset->type.data = (u_char *) type;
    asset->type.len = ngx_strlen(type);
    ngx_str_set(&asset->charset, "utf-8");
    ngx_str_set(&asset->cache_control, "no-cache");

    return NGX_OK;
}
