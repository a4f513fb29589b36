
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
 * Built in by ngx_http_cx_embed().
 */


#include <ngx_md5.h>

#include "ngx_http_cx_module.h"
#include "ngx_http_cx_access.h"
#include "ngx_http_cx_dashboard.h"
#include "ngx_http_cx_embed.h"


#define NGX_HTTP_CX_DASHBOARD_HASH   8          /* bytes of MD5 in ETag */
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


typedef struct {
    ngx_str_t                    body;
    ngx_str_t                    type;
    ngx_str_t                    etag;
} ngx_http_cx_dashboard_file_t;


static ngx_int_t ngx_http_cx_dashboard_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_cx_dashboard_headers(ngx_http_request_t *r,
    ngx_http_cx_dashboard_file_t *file, ngx_uint_t page);
static ngx_table_elt_t *ngx_http_cx_dashboard_header(ngx_http_request_t *r,
    char *key, char *value);
static ngx_int_t ngx_http_cx_dashboard_uri_valid(ngx_str_t *uri);
static ngx_int_t ngx_http_cx_dashboard_page(ngx_conf_t *cf,
    ngx_http_cx_dashboard_file_t *page, ngx_str_t *score);
static void ngx_http_cx_dashboard_etag(ngx_http_cx_dashboard_file_t *file,
    u_char *buf);


#define NGX_HTTP_CX_DASHBOARD_ETAG_LEN                                       \
    (sizeof("\"cx-dash-\"") - 1 + 2 * NGX_HTTP_CX_DASHBOARD_HASH)


/* the script and the stylesheet: set up once, from the embedded bytes */

static ngx_http_cx_dashboard_file_t  ngx_http_cx_dashboard_assets[2];

static u_char  ngx_http_cx_dashboard_etags[2][NGX_HTTP_CX_DASHBOARD_ETAG_LEN];


/* cx_dashboard [score=URI] */

char *
ngx_http_cx_dashboard(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_cx_loc_conf_t *lcf = conf;

    ngx_str_t                     *value, score;
    ngx_http_core_loc_conf_t      *clcf;
    ngx_http_cx_dashboard_file_t  *page, *a;

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

    page = ngx_pcalloc(cf->pool, sizeof(ngx_http_cx_dashboard_file_t));
    if (page == NULL) {
        return NGX_CONF_ERROR;
    }

    if (ngx_http_cx_dashboard_page(cf, page, &score) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    lcf->dashboard = page;

    a = ngx_http_cx_dashboard_assets;

    if (a[0].body.data == NULL) {
        a[0].body.data = ngx_http_cx_dashboard_js;
        a[0].body.len = ngx_http_cx_dashboard_js_end
                        - ngx_http_cx_dashboard_js;
        ngx_str_set(&a[0].type, "text/javascript");

        a[1].body.data = ngx_http_cx_dashboard_css;
        a[1].body.len = ngx_http_cx_dashboard_css_end
                        - ngx_http_cx_dashboard_css;
        ngx_str_set(&a[1].type, "text/css");

        ngx_http_cx_dashboard_etag(&a[0], ngx_http_cx_dashboard_etags[0]);
        ngx_http_cx_dashboard_etag(&a[1], ngx_http_cx_dashboard_etags[1]);
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
    ngx_int_t                      rc;
    ngx_buf_t                     *b;
    ngx_chain_t                    out;
    ngx_table_elt_t               *h;
    ngx_http_cx_loc_conf_t        *lcf;
    ngx_http_cx_dashboard_file_t  *file;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        h = ngx_http_cx_dashboard_header(r, "Allow", "GET, HEAD");
        if (h == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return NGX_HTTP_NOT_ALLOWED;
    }

    rc = ngx_http_discard_request_body(r);
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
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "cx dashboard: \"%V\", %V", &r->args, &file->type);

    if (ngx_http_cx_dashboard_headers(r, file, file == lcf->dashboard)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->pos = file->body.data;
    b->last = file->body.data + file->body.len;
    b->memory = 1;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


static ngx_int_t
ngx_http_cx_dashboard_headers(ngx_http_request_t *r,
    ngx_http_cx_dashboard_file_t *file, ngx_uint_t page)
{
    ngx_table_elt_t  **cc;

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = file->body.len;

    r->headers_out.content_type = file->type;
    r->headers_out.content_type_len = file->type.len;
    ngx_str_set(&r->headers_out.charset, "utf-8");

    r->headers_out.etag = ngx_http_cx_dashboard_header(r, "ETag", NULL);
    if (r->headers_out.etag == NULL) {
        return NGX_ERROR;
    }

    r->headers_out.etag->value = file->etag;

    /* registered as nginx's own, so that "expires" can replace it */

    if (ngx_array_init(&r->headers_out.cache_control, r->pool, 1,
                       sizeof(ngx_table_elt_t *))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    cc = ngx_array_push(&r->headers_out.cache_control);
    if (cc == NULL) {
        return NGX_ERROR;
    }

    *cc = ngx_http_cx_dashboard_header(r, "Cache-Control", "no-cache");
    if (*cc == NULL) {
        return NGX_ERROR;
    }

    if (ngx_http_cx_dashboard_header(r, "X-Content-Type-Options", "nosniff")
        == NULL)
    {
        return NGX_ERROR;
    }

    if (!page) {
        return NGX_OK;
    }

    if (ngx_http_cx_dashboard_header(r, "Content-Security-Policy",
                                     NGX_HTTP_CX_DASHBOARD_CSP)
        == NULL
        || ngx_http_cx_dashboard_header(r, "Referrer-Policy", "no-referrer")
           == NULL)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static ngx_table_elt_t *
ngx_http_cx_dashboard_header(ngx_http_request_t *r, char *key, char *value)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NULL;
    }

    h->hash = 1;
    h->key.len = ngx_strlen(key);
    h->key.data = (u_char *) key;

    if (value) {
        h->value.len = ngx_strlen(value);
        h->value.data = (u_char *) value;

    } else {
        ngx_str_null(&h->value);
    }

    return h;
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
ngx_http_cx_dashboard_page(ngx_conf_t *cf, ngx_http_cx_dashboard_file_t *page,
    ngx_str_t *score)
{
    u_char  *p, *html, *last, *mark;
    size_t   len;

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

    page->body.len = (last - html) - len + score->len;
    page->body.data = ngx_palloc(cf->pool, page->body.len);
    if (page->body.data == NULL) {
        return NGX_ERROR;
    }

    /* the characters of a valid score URI need no HTML escaping */

    p = ngx_cpymem(page->body.data, html, mark - html);
    p = ngx_cpymem(p, score->data, score->len);
    ngx_memcpy(p, mark + len, last - (mark + len));

    ngx_str_set(&page->type, "text/html");

    p = ngx_pnalloc(cf->pool, NGX_HTTP_CX_DASHBOARD_ETAG_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_http_cx_dashboard_etag(page, p);

    return NGX_OK;
}


/* a strong ETag: "cx-dash-" and the first bytes of the content's MD5 */

static void
ngx_http_cx_dashboard_etag(ngx_http_cx_dashboard_file_t *file, u_char *buf)
{
    u_char     *p;
    ngx_md5_t   md5;
    u_char      hash[16];

    ngx_md5_init(&md5);
    ngx_md5_update(&md5, file->body.data, file->body.len);
    ngx_md5_final(hash, &md5);

    p = ngx_cpymem(buf, "\"cx-dash-", sizeof("\"cx-dash-") - 1);
    p = ngx_hex_dump(p, hash, NGX_HTTP_CX_DASHBOARD_HASH);
    *p++ = '"';

    file->etag.data = buf;
    file->etag.len = p - buf;
}
