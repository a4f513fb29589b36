
/*
 * ngx_http_cx_widget.c: the cx_widget handler, GET /cx/widget.js.  The
 * survey widget (widget/dist/cx-widget.js, built from widget/src/ and
 * committed, so the module builds without Node) and its gzip'd copy are
 * compiled into the module and served from memory: a strong ETag from
 * the content, a day of caching, 304 through nginx's not_modified filter,
 * the gzip'd copy where nginx's gzip rules allow it.  Also the privacy
 * signals cx_respect_gpc honours.  NGX_HTTP_CX_WIDGET_DIR comes from the
 * addon's config script.
 */


#include <ngx_md5.h>

#include "ngx_http_cx_module.h"


#define NGX_HTTP_CX_WIDGET_MAX_AGE  "86400"
#define NGX_HTTP_CX_WIDGET_HASH     8           /* bytes of MD5 in ETag */


#define ngx_http_cx_widget_embed(name, file)                                \
    __asm__ (                                                               \
        "    .section .rodata\n"                                            \
        "    .global " #name "\n"                                           \
        "    .hidden " #name "\n"                                           \
        #name ":\n"                                                         \
        "    .incbin \"" NGX_HTTP_CX_WIDGET_DIR "/" file "\"\n"             \
        "    .global " #name "_end\n"                                       \
        "    .hidden " #name "_end\n"                                       \
        #name "_end:\n"                                                     \
        "    .previous\n"                                                   \
    )


ngx_http_cx_widget_embed(ngx_http_cx_widget_js, "cx-widget.js");
ngx_http_cx_widget_embed(ngx_http_cx_widget_gz, "cx-widget.js.gz");

extern u_char  ngx_http_cx_widget_js[];
extern u_char  ngx_http_cx_widget_js_end[];
extern u_char  ngx_http_cx_widget_gz[];
extern u_char  ngx_http_cx_widget_gz_end[];


typedef struct {
    ngx_str_t                    body;
    ngx_str_t                    etag;
    ngx_str_t                    encoding;
} ngx_http_cx_widget_copy_t;


static ngx_int_t ngx_http_cx_widget_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_cx_widget_gzip(ngx_http_request_t *r);
static ngx_int_t ngx_http_cx_widget_headers(ngx_http_request_t *r,
    ngx_http_cx_widget_copy_t *copy);
static ngx_table_elt_t *ngx_http_cx_widget_header(ngx_http_request_t *r,
    char *key, ngx_str_t *value);
static void ngx_http_cx_widget_init(void);


/* [0]: the script, [1]: gzip'd; set up once, from the embedded bytes */

static ngx_http_cx_widget_copy_t  ngx_http_cx_widget_copies[2];

static u_char  ngx_http_cx_widget_etags[2][2 * NGX_HTTP_CX_WIDGET_HASH + 16];


char *
ngx_http_cx_widget(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_cx_widget_handler;

    /* the module's own endpoint: never a page view, never injected */
    ((ngx_http_cx_loc_conf_t *) conf)->endpoint = 1;

    ngx_http_cx_widget_init();

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_cx_widget_handler(ngx_http_request_t *r)
{
    ngx_int_t                   rc;
    ngx_buf_t                  *b;
    ngx_str_t                   allow;
    ngx_chain_t                 out;
    ngx_http_cx_widget_copy_t  *copy;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        ngx_str_set(&allow, "GET, HEAD");

        if (ngx_http_cx_widget_header(r, "Allow", &allow) == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return NGX_HTTP_NOT_ALLOWED;
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    copy = &ngx_http_cx_widget_copies[ngx_http_cx_widget_gzip(r)];

    if (ngx_http_cx_widget_headers(r, copy) != NGX_OK) {
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

    b->pos = copy->body.data;
    b->last = copy->body.data + copy->body.len;
    b->memory = 1;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


/*
 * 1 for the gzip'd copy: the client accepts gzip and nginx's rules
 * (gzip_http_version, gzip_proxied, gzip_disable) allow it, as for
 * gzip_static.  The answer varies with Accept-Encoding either way.
 */

static ngx_int_t
ngx_http_cx_widget_gzip(ngx_http_request_t *r)
{
#if (NGX_HTTP_GZIP)
    ngx_str_t                  vary;
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    if (clcf->gzip_vary) {
        /* the header filter adds "Vary: Accept-Encoding" */
        r->gzip_vary = 1;

    } else {
        ngx_str_set(&vary, "Accept-Encoding");

        if (ngx_http_cx_widget_header(r, "Vary", &vary) == NULL) {
            return 0;
        }
    }

    return ngx_http_gzip_ok(r) == NGX_OK;
#else
    return 0;
#endif
}


static ngx_int_t
ngx_http_cx_widget_headers(ngx_http_request_t *r,
    ngx_http_cx_widget_copy_t *copy)
{
    ngx_str_t          value;
    ngx_table_elt_t   *h, **cc;

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = copy->body.len;

    ngx_str_set(&r->headers_out.content_type, "text/javascript");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    ngx_str_set(&r->headers_out.charset, "utf-8");

    r->headers_out.etag = ngx_http_cx_widget_header(r, "ETag", &copy->etag);
    if (r->headers_out.etag == NULL) {
        return NGX_ERROR;
    }

    if (copy->encoding.len) {
        h = ngx_http_cx_widget_header(r, "Content-Encoding", &copy->encoding);
        if (h == NULL) {
            return NGX_ERROR;
        }

        r->headers_out.content_encoding = h;
    }

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

    ngx_str_set(&value, "public, max-age=" NGX_HTTP_CX_WIDGET_MAX_AGE);

    *cc = ngx_http_cx_widget_header(r, "Cache-Control", &value);
    if (*cc == NULL) {
        return NGX_ERROR;
    }

    ngx_str_set(&value, "nosniff");

    if (ngx_http_cx_widget_header(r, "X-Content-Type-Options", &value)
        == NULL)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static ngx_table_elt_t *
ngx_http_cx_widget_header(ngx_http_request_t *r, char *key, ngx_str_t *value)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NULL;
    }

    h->hash = 1;
    h->key.len = ngx_strlen(key);
    h->key.data = (u_char *) key;
    h->value = *value;

    return h;
}


/* ETags "cx-HASH" and "cx-HASH-gz": the first bytes of the script's MD5 */

static void
ngx_http_cx_widget_init(void)
{
    u_char                     *p;
    ngx_md5_t                   md5;
    ngx_uint_t                  i;
    ngx_http_cx_widget_copy_t  *c;
    u_char                      hash[16];

    c = ngx_http_cx_widget_copies;

    if (c[0].body.data) {
        return;
    }

    c[0].body.data = ngx_http_cx_widget_js;
    c[0].body.len = ngx_http_cx_widget_js_end - ngx_http_cx_widget_js;
    c[1].body.data = ngx_http_cx_widget_gz;
    c[1].body.len = ngx_http_cx_widget_gz_end - ngx_http_cx_widget_gz;
    ngx_str_set(&c[1].encoding, "gzip");

    ngx_md5_init(&md5);
    ngx_md5_update(&md5, c[0].body.data, c[0].body.len);
    ngx_md5_final(hash, &md5);

    for (i = 0; i < 2; i++) {
        p = ngx_http_cx_widget_etags[i];
        c[i].etag.data = p;

        p = ngx_cpymem(p, "\"cx-", 4);
        p = ngx_hex_dump(p, hash, NGX_HTTP_CX_WIDGET_HASH);
        p = ngx_cpymem(p, "-gz", i ? 3 : 0);
        *p++ = '"';

        c[i].etag.len = p - c[i].etag.data;
    }
}


/* the visitor asks not to be tracked: "Sec-GPC: 1" or "DNT: 1" */

ngx_int_t
ngx_http_cx_privacy_signal(ngx_http_request_t *r)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return 0;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].value.len == 1 && h[i].value.data[0] == '1'
            && ((h[i].key.len == sizeof("Sec-GPC") - 1
                 && ngx_strncasecmp(h[i].key.data, (u_char *) "Sec-GPC",
                                    h[i].key.len) == 0)
                || (h[i].key.len == sizeof("DNT") - 1
                    && ngx_strncasecmp(h[i].key.data, (u_char *) "DNT",
                                       h[i].key.len) == 0)))
        {
            return 1;
        }
    }
}
