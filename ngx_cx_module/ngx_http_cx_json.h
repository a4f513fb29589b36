
/*
 * ngx_http_cx_json.h: the module's one JSON writer -- string escaping
 * (RFC 8259; invalid UTF-8 becomes U+FFFD), a small builder for nested
 * objects and arrays in a request pool, and JSON responses.
 */


#ifndef _NGX_HTTP_CX_JSON_H_INCLUDED_
#define _NGX_HTTP_CX_JSON_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_cx_util.h"


#define NGX_HTTP_CX_JSON_DEPTH  32


/*
 * The builder: errors (no memory, nesting too deep) are sticky and
 * reported by ngx_http_cx_json_done(), so callers write a whole document
 * and check once.  Keys and values are separated by the builder:
 *
 *     ngx_http_cx_json_object(j);
 *     ngx_http_cx_json_key(j, "n");
 *     ngx_http_cx_json_uint(j, 5);
 *     ngx_http_cx_json_key(j, "ci95");
 *     ngx_http_cx_json_array(j);
 *     ngx_http_cx_json_fixed(j, -23.25, 1);
 *     ngx_http_cx_json_null(j);
 *     ngx_http_cx_json_end(j);
 *     ngx_http_cx_json_end(j);
 *
 * gives {"n":5,"ci95":[-23.3,null]}.
 */

typedef struct {
    ngx_http_cx_grow_t           out;       /* out.error: any error */

    ngx_uint_t                   depth;
    u_char                       closer[NGX_HTTP_CX_JSON_DEPTH];
    uint64_t                     has_value;  /* bit per depth */

    unsigned                     after_key:1;
} ngx_http_cx_json_t;


size_t ngx_http_cx_json_escape_len(u_char *src, size_t len);
u_char *ngx_http_cx_json_escape(u_char *dst, u_char *src, size_t len);
size_t ngx_http_cx_json_utf8(u_char *p, u_char *last, size_t *skip,
    uint32_t *cp);

ngx_int_t ngx_http_cx_json_init(ngx_http_cx_json_t *j, ngx_pool_t *pool,
    size_t size);
void ngx_http_cx_json_object(ngx_http_cx_json_t *j);
void ngx_http_cx_json_array(ngx_http_cx_json_t *j);
void ngx_http_cx_json_end(ngx_http_cx_json_t *j);
void ngx_http_cx_json_key(ngx_http_cx_json_t *j, const char *key);
void ngx_http_cx_json_key_str(ngx_http_cx_json_t *j, ngx_str_t *key);
void ngx_http_cx_json_str(ngx_http_cx_json_t *j, ngx_str_t *s);
void ngx_http_cx_json_cstr(ngx_http_cx_json_t *j, const char *s);
void ngx_http_cx_json_int(ngx_http_cx_json_t *j, int64_t n);
void ngx_http_cx_json_uint(ngx_http_cx_json_t *j, uint64_t n);
void ngx_http_cx_json_fixed(ngx_http_cx_json_t *j, double v,
    ngx_uint_t decimals);
void ngx_http_cx_json_bool(ngx_http_cx_json_t *j, ngx_uint_t v);
void ngx_http_cx_json_null(ngx_http_cx_json_t *j);
ngx_int_t ngx_http_cx_json_done(ngx_http_cx_json_t *j, ngx_str_t *out);

ngx_int_t ngx_http_cx_json_respond(ngx_http_request_t *r, ngx_uint_t status,
    ngx_http_cx_json_t *j);
ngx_int_t ngx_http_cx_json_send(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *json);
ngx_int_t ngx_http_cx_json_error(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *param, const char *reason);


#endif /* _NGX_HTTP_CX_JSON_H_INCLUDED_ */
