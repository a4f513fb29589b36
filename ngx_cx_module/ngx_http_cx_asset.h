
/*
 * ngx_http_cx_asset.h: a file built into the module, served from memory
 * (ngx_http_cx_asset.c): the widget and its words, the dashboard.
 */


#ifndef _NGX_HTTP_CX_ASSET_H_INCLUDED_
#define _NGX_HTTP_CX_ASSET_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>


#define NGX_HTTP_CX_ASSET_HASH      8       /* bytes of MD5 in an ETag */
#define NGX_HTTP_CX_ASSET_TAG_MAX   16      /* "cx-dash" */
#define NGX_HTTP_CX_ASSET_ETAG_LEN                                           \
    (NGX_HTTP_CX_ASSET_TAG_MAX + 2 * NGX_HTTP_CX_ASSET_HASH + 8)


/* the bytes as they are sent, their ETag and their Content-Encoding */

typedef struct {
    ngx_str_t                    body;
    ngx_str_t                    etag;
    ngx_str_t                    encoding;
    u_char                       etag_buf[NGX_HTTP_CX_ASSET_ETAG_LEN];
} ngx_http_cx_asset_copy_t;


/*
 * copy[0] as is, copy[1] gzip'd (no body: none); set up at configuration
 * time, read only by the workers.  Static assets outlive a reload: the
 * struct holds its ETags itself.
 */

typedef struct {
    ngx_str_t                    type;
    ngx_str_t                    charset;   /* empty: none */
    ngx_str_t                    cache_control;
    ngx_http_cx_asset_copy_t     copy[2];
} ngx_http_cx_asset_t;


ngx_int_t ngx_http_cx_asset_init(ngx_conf_t *cf, ngx_http_cx_asset_t *asset,
    char *tag, u_char *body, size_t len, u_char *gz, size_t gz_len);
ngx_int_t ngx_http_cx_asset_method(ngx_http_request_t *r);
ngx_int_t ngx_http_cx_asset_send(ngx_http_request_t *r,
    ngx_http_cx_asset_t *asset);


#endif /* _NGX_HTTP_CX_ASSET_H_INCLUDED_ */
