
/*
 * ngx_http_cx_widget.c: the cx_widget handler, GET /cx/widget.js.  The
 * survey widget (widget/dist/cx-widget.js, built from widget/src/ and
 * committed, so the module builds without Node) and its gzip'd copy are
 * compiled into the module and served from memory: a strong ETag from
 * the content, a day of caching, 304 through nginx's not_modified filter,
 * the gzip'd copy where nginx's gzip rules allow it.  The same for the
 * words of each language but English (widget/dist/cx-widget-lang.pack,
 * its format in widget/build.js), as JSON at /cx/widget.js?lang=xx.  At
 * configuration time, the check that each server serves the widget where
 * its tags load it from.  Also the privacy signals cx_respect_gpc
 * honours.  Built in by ngx_http_cx_embed(), sent by ngx_http_cx_asset.c.
 */


#include "ngx_http_cx_module.h"
#include "ngx_http_cx_asset.h"
#include "ngx_http_cx_lua.h"
#include "ngx_http_cx_embed.h"
#include "ngx_http_cx_widget.h"


#define NGX_HTTP_CX_WIDGET_MAX_AGE  "86400"
#define NGX_HTTP_CX_WIDGET_ASSETS   32          /* the script, languages */
#define NGX_HTTP_CX_WIDGET_PACK     "cx-lang 1\n"


ngx_http_cx_embed(ngx_http_cx_widget_js, "widget/dist/cx-widget.js");
ngx_http_cx_embed(ngx_http_cx_widget_gz, "widget/dist/cx-widget.js.gz");
ngx_http_cx_embed(ngx_http_cx_widget_pack, "widget/dist/cx-widget-lang.pack");


/* the script (no lang) or a language's words: as is, and gzip'd */

typedef struct {
    ngx_str_t                    lang;
    ngx_http_cx_asset_t          asset;
} ngx_http_cx_widget_asset_t;


/* one server being checked: the srcs its locations' tags load */

typedef struct {
    ngx_http_core_srv_conf_t    *cscf;
    ngx_http_core_loc_conf_t    *clcf;      /* the server's own */
    ngx_array_t                  srcs;      /* ngx_str_t: checked */
} ngx_http_cx_widget_check_t;


static ngx_int_t ngx_http_cx_widget_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_cx_widget_init(ngx_conf_t *cf);
static ngx_int_t ngx_http_cx_widget_asset(ngx_conf_t *cf,
    ngx_http_cx_widget_asset_t *asset, u_char *body, size_t len, u_char *gz,
    size_t gz_len);
static ngx_int_t ngx_http_cx_widget_check_location(ngx_conf_t *cf,
    ngx_http_cx_widget_check_t *wc, ngx_http_core_loc_conf_t *clcf,
    void **loc_conf);
static ngx_int_t ngx_http_cx_widget_check_tree(ngx_conf_t *cf,
    ngx_http_cx_widget_check_t *wc, ngx_http_location_tree_node_t *node);
static void ngx_http_cx_widget_check_src(ngx_conf_t *cf,
    ngx_http_cx_widget_check_t *wc, ngx_http_cx_loc_conf_t *lcf);
static ngx_int_t ngx_http_cx_widget_find(ngx_http_core_loc_conf_t *pclcf,
    ngx_str_t *uri, ngx_http_core_loc_conf_t **found);
static ngx_uint_t ngx_http_cx_widget_root(
    ngx_http_location_tree_node_t *node);
static ngx_int_t ngx_http_cx_widget_find_static(
    ngx_http_location_tree_node_t *node, ngx_str_t *uri,
    ngx_http_core_loc_conf_t **found);


/* [0]: the script, then the languages; set up once, from the embedded
   bytes */

static ngx_http_cx_widget_asset_t  ngx_http_cx_widget_assets[
                                                NGX_HTTP_CX_WIDGET_ASSETS];
static ngx_uint_t                  ngx_http_cx_widget_nassets;


char *
ngx_http_cx_widget(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_cx_widget_handler;

    /* the module's own endpoint: never a page view, never injected */
    ((ngx_http_cx_loc_conf_t *) conf)->endpoint = 1;

    if (ngx_http_cx_widget_init(cf) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_cx_widget_handler(ngx_http_request_t *r)
{
    ngx_int_t                    rc;
    ngx_str_t                    lang, any;
    ngx_uint_t                   i;
    ngx_http_cx_widget_asset_t  *wa;

    rc = ngx_http_cx_asset_method(r);
    if (rc != NGX_OK) {
        return rc;
    }

    wa = &ngx_http_cx_widget_assets[0];

    /* ?lang=xx: that language's words, if the widget has them */

    if (ngx_http_arg(r, (u_char *) "lang", 4, &lang) == NGX_OK) {

        for (i = 1; i < ngx_http_cx_widget_nassets; i++) {
            wa = &ngx_http_cx_widget_assets[i];

            if (wa->lang.len == lang.len
                && ngx_strncmp(wa->lang.data, lang.data, lang.len) == 0)
            {
                break;
            }
        }

        if (i == ngx_http_cx_widget_nassets) {
            ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                           "cx widget: no words for lang \"%V\"", &lang);
            return NGX_HTTP_NOT_FOUND;
        }

        /* public words: the widget may be served from another origin */

        ngx_str_set(&any, "*");

        if (ngx_http_cx_header_add(&r->headers_out.headers,
                                   "Access-Control-Allow-Origin", &any)
            == NULL)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    return ngx_http_cx_asset_send(r, &wa->asset);
}


/*
 * The script, then each language of the pack: "cx-lang 1", a line
 * "LANG JSON_BYTES GZIP_BYTES" per language, an empty line, then the
 * bytes in that order.  The pack is ours, built with the module; a broken
 * one fails the configuration.
 */

static ngx_int_t
ngx_http_cx_widget_init(ngx_conf_t *cf)
{
    u_char      *p, *last, *end, *body, *sp1, *sp2, *eol;
    size_t       len;
    ngx_int_t    json, gz;
    ngx_uint_t   n;

    if (ngx_http_cx_widget_nassets) {
        return NGX_OK;
    }

    if (ngx_http_cx_widget_asset(cf, &ngx_http_cx_widget_assets[0],
                            ngx_http_cx_widget_js,
                            ngx_http_cx_widget_js_end - ngx_http_cx_widget_js,
                            ngx_http_cx_widget_gz,
                            ngx_http_cx_widget_gz_end - ngx_http_cx_widget_gz)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    p = ngx_http_cx_widget_pack;
    last = ngx_http_cx_widget_pack_end;
    len = sizeof(NGX_HTTP_CX_WIDGET_PACK) - 1;

    if ((size_t) (last - p) < len
        || ngx_strncmp(p, NGX_HTTP_CX_WIDGET_PACK, len) != 0)
    {
        goto broken;
    }

    /* the bytes start after the index's empty line */

    for (body = p + len - 1; body + 1 < last; body++) {
        if (body[0] == '\n' && body[1] == '\n') {
            break;
        }
    }

    if (body + 1 >= last) {
        goto broken;
    }

    end = body + 1;
    body += 2;

    for (p += len, n = 1; p < end; p = eol + 1, n++) {

        eol = ngx_strlchr(p, end, '\n');
        sp1 = eol ? ngx_strlchr(p, eol, ' ') : NULL;
        sp2 = sp1 ? ngx_strlchr(sp1 + 1, eol, ' ') : NULL;

        if (sp2 == NULL || sp1 - p < 2 || sp1 - p > 3
            || n == NGX_HTTP_CX_WIDGET_ASSETS)
        {
            goto broken;
        }

        json = ngx_atoi(sp1 + 1, sp2 - sp1 - 1);
        gz = ngx_atoi(sp2 + 1, eol - sp2 - 1);

        if (json == NGX_ERROR || gz == NGX_ERROR
            || json + gz > last - body)
        {
            goto broken;
        }

        ngx_http_cx_widget_assets[n].lang.data = p;
        ngx_http_cx_widget_assets[n].lang.len = sp1 - p;

        if (ngx_http_cx_widget_asset(cf, &ngx_http_cx_widget_assets[n],
                                     body, json, body + json, gz)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        body += json + gz;
    }

    if (body != last) {
        goto broken;
    }

    ngx_http_cx_widget_nassets = n;

    return NGX_OK;

broken:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "the widget's language pack built into the module "
                       "is broken: rebuild widget/dist (make widget) and "
                       "the module");

    return NGX_ERROR;
}


/* the script, or a language's words (lang set), as is and gzip'd */

static ngx_int_t
ngx_http_cx_widget_asset(ngx_conf_t *cf, ngx_http_cx_widget_asset_t *wa,
    u_char *body, size_t len, u_char *gz, size_t gz_len)
{
    ngx_http_cx_asset_t  *a;

    a = &wa->asset;

    if (ngx_http_cx_asset_init(cf, a, "cx", body, len, gz, gz_len)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (wa->lang.len == 0) {
        ngx_str_set(&a->type, "text/javascript");
        ngx_str_set(&a->charset, "utf-8");

    } else {
        ngx_str_set(&a->type, "application/json");
    }

    ngx_str_set(&a->cache_control,
                "public, max-age=" NGX_HTTP_CX_WIDGET_MAX_AGE);

    return NGX_OK;
}


/*
 * nginx -t warns when a location can inject a tag whose src no location
 * of its server serves with cx_widget: the src is looked up in the
 * server's locations as nginx would look up a request for it.  Off-site
 * and relative srcs, and paths nginx would first decode or normalize, are
 * not checked.
 */

ngx_int_t
ngx_http_cx_widget_check(ngx_conf_t *cf)
{
    ngx_uint_t                   s;
    ngx_http_core_loc_conf_t   **clcfp;
    ngx_http_core_srv_conf_t   **cscfp;
    ngx_http_core_main_conf_t   *cmcf;
    ngx_http_cx_widget_check_t   wc;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);
    cscfp = cmcf->servers.elts;

    for (s = 0; s < cmcf->servers.nelts; s++) {

        wc.cscf = cscfp[s];
        wc.clcf = cscfp[s]->ctx->loc_conf[ngx_http_core_module.ctx_index];

        if (ngx_array_init(&wc.srcs, cf->temp_pool, 2, sizeof(ngx_str_t))
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        /*
         * the server's own configuration serves the requests no location
         * takes (none when there is a "location /"); its clcf has no
         * loc_conf: the server's ctx has
         */

        if (ngx_http_cx_widget_check_location(cf, &wc, wc.clcf,
                        ngx_http_cx_widget_root(wc.clcf->static_locations)
                        ? NULL : cscfp[s]->ctx->loc_conf)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        for (clcfp = cscfp[s]->named_locations; clcfp && *clcfp; clcfp++) {
            if (ngx_http_cx_widget_check_location(cf, &wc, *clcfp,
                                                  (*clcfp)->loc_conf)
                != NGX_OK)
            {
                return NGX_ERROR;
            }
        }
    }

    return NGX_OK;
}


/* a location, and the locations inside it ("if" blocks inherit theirs) */

static ngx_int_t
ngx_http_cx_widget_check_location(ngx_conf_t *cf,
    ngx_http_cx_widget_check_t *wc, ngx_http_core_loc_conf_t *clcf,
    void **loc_conf)
{
    ngx_str_t                 *src;
    ngx_uint_t                 i;
    ngx_http_cx_loc_conf_t    *lcf;
#if (NGX_PCRE)
    ngx_http_core_loc_conf_t **clcfp;
#endif

    lcf = loc_conf ? loc_conf[ngx_http_cx_module.ctx_index] : NULL;

    if (lcf && lcf->inject && !lcf->endpoint && (lcf->surveys || lcf->rules))
    {
        src = wc->srcs.elts;

        for (i = 0; i < wc->srcs.nelts; i++) {
            if (src[i].len == lcf->widget_src.len
                && ngx_strncmp(src[i].data, lcf->widget_src.data,
                               src[i].len) == 0)
            {
                break;
            }
        }

        if (i == wc->srcs.nelts) {
            src = ngx_array_push(&wc->srcs);
            if (src == NULL) {
                return NGX_ERROR;
            }

            *src = lcf->widget_src;

            ngx_http_cx_widget_check_src(cf, wc, lcf);
        }
    }

    if (ngx_http_cx_widget_check_tree(cf, wc, clcf->static_locations)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

#if (NGX_PCRE)

    for (clcfp = clcf->regex_locations; clcfp && *clcfp; clcfp++) {
        if (ngx_http_cx_widget_check_location(cf, wc, *clcfp,
                                              (*clcfp)->loc_conf)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

#endif

    return NGX_OK;
}


static ngx_int_t
ngx_http_cx_widget_check_tree(ngx_conf_t *cf, ngx_http_cx_widget_check_t *wc,
    ngx_http_location_tree_node_t *node)
{
    for ( /* void */ ; node; node = node->right) {

        if (node->exact
            && ngx_http_cx_widget_check_location(cf, wc, node->exact,
                                                 node->exact->loc_conf)
               != NGX_OK)
        {
            return NGX_ERROR;
        }

        if (node->inclusive
            && ngx_http_cx_widget_check_location(cf, wc, node->inclusive,
                                                 node->inclusive->loc_conf)
               != NGX_OK)
        {
            return NGX_ERROR;
        }

        if (ngx_http_cx_widget_check_tree(cf, wc, node->left) != NGX_OK
            || ngx_http_cx_widget_check_tree(cf, wc, node->tree) != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


static void
ngx_http_cx_widget_check_src(ngx_conf_t *cf, ngx_http_cx_widget_check_t *wc,
    ngx_http_cx_loc_conf_t *lcf)
{
    u_char                    *p, *last, *what, *file;
    ngx_int_t                  rc;
    ngx_str_t                  uri, id;
    ngx_uint_t                 line;
    ngx_http_cx_survey_t      *s;
    ngx_http_core_loc_conf_t  *found;

    uri = lcf->widget_src;

    /* "https://cdn...", "//cdn...", "widget.js": not this server's */

    if (uri.len == 0 || uri.data[0] != '/'
        || (uri.len > 1 && uri.data[1] == '/'))
    {
        return;
    }

    last = uri.data + uri.len;

    for (p = uri.data; p < last && *p != '?' && *p != '#'; p++) {

        /* escapes ("%2e", or "&amp;" from the HTML escaping), "/./" */

        if (*p == '%' || *p == '&'
            || (*p == '/' && p + 1 < last && (p[1] == '/' || p[1] == '.')))
        {
            return;
        }
    }

    uri.len = p - uri.data;
    found = wc->clcf;

    rc = ngx_http_cx_widget_find(wc->clcf, &uri, &found);

    if (rc == NGX_ERROR
        || (rc != NGX_DONE && !found->internal
            && found->handler == ngx_http_cx_widget_handler))
    {
        return;
    }

    if (lcf->surveys) {
        s = lcf->surveys->elts;
        what = (u_char *) "cx_survey ";
        id = s->id;
        file = s->file;
        line = s->line;

    } else {
        what = (u_char *) "cx_rules_lua";
        ngx_str_null(&id);
        file = lcf->rules->conf_file;
        line = lcf->rules->conf_line;
    }

    ngx_log_error(NGX_LOG_WARN, cf->log, 0,
                  "the tag of \"%s%V\" in %s:%ui loads the widget from "
                  "\"%V\", which no location of the server in %s:%ui "
                  "serves with \"cx_widget\": add "
                  "\"location = %V { cx_widget; }\" to that server, or set "
                  "\"cx_widget_src\" to where the widget is served",
                  what, &id, file, line, &uri,
                  wc->cscf->file_name, wc->cscf->line, &uri);
}


/*
 * The location nginx would choose for a request for uri, as
 * ngx_http_core_find_location() does: NGX_OK or NGX_DECLINED with *found
 * set (the server's own when nothing matched), NGX_DONE for the redirect
 * of a location whose name ends with "/", NGX_ERROR when unknown.
 */

static ngx_int_t
ngx_http_cx_widget_find(ngx_http_core_loc_conf_t *pclcf, ngx_str_t *uri,
    ngx_http_core_loc_conf_t **found)
{
    ngx_int_t                   rc;
#if (NGX_PCRE)
    ngx_int_t                   n;
    ngx_uint_t                  noregex;
    ngx_http_core_loc_conf_t  **clcfp;

    noregex = 0;
#endif

    rc = ngx_http_cx_widget_find_static(pclcf->static_locations, uri, found);

    if (rc == NGX_AGAIN) {
#if (NGX_PCRE)
        noregex = (*found)->noregex;
#endif
        rc = ngx_http_cx_widget_find(*found, uri, found);
    }

    if (rc == NGX_OK || rc == NGX_DONE || rc == NGX_ERROR) {
        return rc;
    }

#if (NGX_PCRE)

    if (noregex == 0 && pclcf->regex_locations) {

        for (clcfp = pclcf->regex_locations; *clcfp; clcfp++) {

            n = ngx_regex_exec((*clcfp)->regex->regex, uri, NULL, 0);

            if (n == NGX_REGEX_NO_MATCHED) {
                continue;
            }

            if (n < 0) {
                return NGX_ERROR;
            }

            *found = *clcfp;

            rc = ngx_http_cx_widget_find(*clcfp, uri, found);

            return (rc == NGX_ERROR) ? NGX_ERROR : NGX_OK;
        }
    }

#endif

    return rc;
}


/* a "location /": every request has a location */

static ngx_uint_t
ngx_http_cx_widget_root(ngx_http_location_tree_node_t *node)
{
    ngx_int_t  rc;

    while (node) {

        rc = ngx_filename_cmp((u_char *) "/", node->name, 1);

        if (rc != 0) {
            node = (rc < 0) ? node->left : node->right;
            continue;
        }

        if (node->len == 1) {
            return node->inclusive != NULL;
        }

        node = node->left;
    }

    return 0;
}


/* NGX_OK: exact, NGX_AGAIN: prefix, NGX_DONE: redirect, NGX_DECLINED */

static ngx_int_t
ngx_http_cx_widget_find_static(ngx_http_location_tree_node_t *node,
    ngx_str_t *uri, ngx_http_core_loc_conf_t **found)
{
    u_char     *p;
    size_t      len, n;
    ngx_int_t   rc, rv;

    p = uri->data;
    len = uri->len;
    rv = NGX_DECLINED;

    while (node) {

        n = ngx_min(len, (size_t) node->len);

        rc = ngx_filename_cmp(p, node->name, n);

        if (rc != 0) {
            node = (rc < 0) ? node->left : node->right;
            continue;
        }

        if (len > (size_t) node->len) {

            if (node->inclusive) {
                *found = node->inclusive;
                rv = NGX_AGAIN;

                node = node->tree;
                p += n;
                len -= n;
                continue;
            }

            node = node->right;
            continue;
        }

        if (len == (size_t) node->len) {
            *found = node->exact ? node->exact : node->inclusive;
            return node->exact ? NGX_OK : NGX_AGAIN;
        }

        if (len + 1 == (size_t) node->len && node->auto_redirect) {
            *found = node->exact ? node->exact : node->inclusive;
            rv = NGX_DONE;
        }

        node = node->left;
    }

    return rv;
}

