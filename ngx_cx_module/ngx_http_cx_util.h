
/*
 * ngx_http_cx_util.h: small helpers any unit may use, knowing nothing of
 * the module's configuration: the one validator for names, the check of
 * UTF-8 text, HTML escaping, a header looked up by name or added to a
 * response, a response body sent from memory, the growable buffer
 * the JSON and CSV writers write into, and a visitor's draw.
 */


#ifndef _NGX_HTTP_CX_UTIL_H_INCLUDED_
#define _NGX_HTTP_CX_UTIL_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>


#define NGX_HTTP_CX_NAME_MAX        64

/* ngx_http_cx_header_find(): "_" and "-" in a name match either */
#define NGX_HTTP_CX_HEADER_DASHES   1


/*
 * A buffer in a pool that grows as it is written: reserve room, then
 * write at pos.  A failed allocation is sticky (error), so a writer
 * checks once, at the end.
 */

typedef struct {
    ngx_pool_t                  *pool;
    u_char                      *start;
    u_char                      *pos;
    u_char                      *end;
    unsigned                     error:1;
} ngx_http_cx_grow_t;


ngx_int_t ngx_http_cx_name_valid(u_char *p, size_t len);
ngx_int_t ngx_http_cx_utf8_valid(u_char *p, size_t len);
size_t ngx_http_cx_escape_html_len(u_char *src, size_t len);
u_char *ngx_http_cx_escape_html(u_char *dst, u_char *src, size_t len);
ngx_table_elt_t *ngx_http_cx_header_find(ngx_list_t *headers, u_char *name,
    size_t len, ngx_uint_t flags);
ngx_table_elt_t *ngx_http_cx_header_add(ngx_list_t *headers, char *key,
    ngx_str_t *value);
ngx_int_t ngx_http_cx_send(ngx_http_request_t *r, ngx_buf_t *b);
ngx_int_t ngx_http_cx_grow_init(ngx_http_cx_grow_t *g, ngx_pool_t *pool,
    size_t size);
ngx_int_t ngx_http_cx_grow_reserve(ngx_http_cx_grow_t *g, size_t n);
double ngx_http_cx_draw(ngx_str_t *id, ngx_str_t *key);


#endif /* _NGX_HTTP_CX_UTIL_H_INCLUDED_ */
