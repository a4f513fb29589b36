
/*
 * ngx_http_cx_asset.c: a file built into the module (ngx_http_cx_embed.h)
 * and sent from memory, the one way for the widget, its words and the
 * dashboard: a strong ETag from the content, made once at configuration
 * time; the caller's Cache-Control, registered as nginx's own so that
 * "expires" can replace it; 304 through nginx's not_modified filter; the
 * gzip'd copy, where there is one, when nginx's gzip rules allow it; and
 * never sniffed as another type.
 */


#include <ngx_md5.h>

#include "ngx_http_cx_asset.h"
#include "ngx_http_cx_util.h"


static ngx_uint_t ngx_http_cx_asset_gzip(ngx_http_request_t *r,
    ngx_http_cx_asset_t *asset);
static ngx_int_t ngx_http_cx_asset_headers(ngx_http_request_t *r,
    ngx_http_cx_asset_t *asset, ngx_http_cx_asset_copy_t *copy);


static ngx_str_t  ngx_http_cx_asset_nosniff = ngx_string("nosniff");


/*
 * The asset's bytes (and gzip'd bytes, or gz NULL), with the ETags
 * "TAG-HASH" and "TAG-HASH-gz": the first bytes of the MD5 of the
 * uncompressed content.  The caller sets type, charset, cache_control.
 */

ngx_int_t
ngx_http_cx_asset_init(ngx_conf_t *cf, ngx_http_cx_asset_t *asset,
    char *tag, u_char *body, size_t len, u_char *gz, size_t gz_len)
{
    u_char                    *p;
    size_t                     tag_len;
    ngx_md5_t                  md5;
    ngx_uint_t                 i;
    ngx_http_cx_asset_copy_t  *c;
    u_char                     hash[16];

    tag_len = ngx_strlen(tag);

    if (tag_len > NGX_HTTP_CX_ASSET_TAG_MAX) {
        ngx_conf_log_error(NGX_LOG_ALERT, cf, 0,
                           "cx asset tag \"%s\" too long", tag);
        return NGX_ERROR;
    }

    /* nginx's MD5 reads 32-bit words: an aligned copy of the body */

    p = ngx_palloc(cf->temp_pool, len + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(p, body, len);

    ngx_md5_init(&md5);
    ngx_md5_update(&md5, p, len);
    ngx_md5_final(hash, &md5);

    c = asset->copy;

    c[0].body.data = body;
    c[0].body.len = len;
    ngx_str_null(&c[0].encoding);

    c[1].body.data = gz;
    c[1].body.len = gz ? gz_len : 0;

    if (gz) {
        ngx_str_set(&c[1].encoding, "gzip");

    } else {
        ngx_str_null(&c[1].encoding);
    }

    for (i = 0; i < 2; i++) {
        p = c[i].etag_buf;

        *p++ = '"';
        p = ngx_cpymem(p, tag, tag_len);
        *p++ = '-';
        p = ngx_hex_dump(p, hash, NGX_HTTP_CX_ASSET_HASH);
        p = ngx_cpymem(p, "-gz", i ? 3 : 0);
        *p++ = '"';

        c[i].etag.data = c[i].etag_buf;
        c[i].etag.len = p - c[i].etag_buf;
    }

    return NGX_OK;
}


/*
 * GET and HEAD only (405 with Allow otherwise), the request body
 * discarded: NGX_OK, or what the handler returns.
 */

ngx_int_t
ngx_http_cx_asset_method(ngx_http_request_t *r)
{
    ngx_str_t  allow;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        ngx_str_set(&allow, "GET, HEAD");

        if (ngx_http_cx_header_add(&r->headers_out.headers, "Allow", &allow)
            == NULL)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return NGX_HTTP_NOT_ALLOWED;
    }

    return ngx_http_discard_request_body(r);
}


/* the asset as the response; headers the caller added are kept */

ngx_int_t
ngx_http_cx_asset_send(ngx_http_request_t *r, ngx_http_cx_asset_t *asset)
{
    ngx_buf_t                 *b;
    ngx_http_cx_asset_copy_t  *copy;

    copy = &asset->copy[ngx_http_cx_asset_gzip(r, asset)];

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "cx asset: %V %V", &asset->type, &copy->etag);

    if (ngx_http_cx_asset_headers(r, asset, copy) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->pos = copy->body.data;
    b->last = copy->body.data + copy->body.len;
    b->memory = 1;

    return ngx_http_cx_send(r, b);
}


/*
 * 1 for the gzip'd copy: there is one, the client accepts gzip and
 * nginx's rules (gzip_http_version, gzip_proxied, gzip_disable) allow
 * it, as for gzip_static.  The answer varies with Accept-Encoding either
 * way.
 */

static ngx_uint_t
ngx_http_cx_asset_gzip(ngx_http_request_t *r, ngx_http_cx_asset_t *asset)
{
#if (NGX_HTTP_GZIP)
    ngx_str_t                  vary;
    ngx_http_core_loc_conf_t  *clcf;

    if (asset->copy[1].body.data == NULL) {
        return 0;
    }

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    if (clcf->gzip_vary) {
        /* the header filter adds "Vary: Accept-Encoding" */
        r->gzip_vary = 1;

    } else {
        ngx_str_set(&vary, "Accept-Encoding");

        if (ngx_http_cx_header_add(&r->headers_out.headers, "Vary", &vary)
            == NULL)
        {
            return 0;
        }
    }

    return ngx_http_gzip_ok(r) == NGX_OK;
#else
    return 0;
#endif
}


static ngx_int_t
ngx_http_cx_asset_headers(ngx_http_request_t *r, ngx_http_cx_asset_t *asset,
    ngx_http_cx_asset_copy_t *copy)
{
    ngx_list_t        *headers;
    ngx_table_elt_t   *h, **cc;

    headers = &r->headers_out.headers;

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = copy->body.len;

    r->headers_out.content_type = asset->type;
    r->headers_out.content_type_len = asset->type.len;
    r->headers_out.charset = asset->charset;

    r->headers_out.etag = ngx_http_cx_header_add(headers, "ETag",
                                                 &copy->etag);
    if (r->headers_out.etag == NULL) {
        return NGX_ERROR;
    }

    if (copy->encoding.len) {
        h = ngx_http_cx_header_add(headers, "Content-Encoding",
                                   &copy->encoding);
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

    *cc = ngx_http_cx_header_add(headers, "Cache-Control",
                                 &asset->cache_control);
    if (*cc == NULL) {
        return NGX_ERROR;
    }

    if (ngx_http_cx_header_add(headers, "X-Content-Type-Options",
                               &ngx_http_cx_asset_nosniff)
        == NULL)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}
