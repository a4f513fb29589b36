
/*
 * ngx_http_cx_body.h: /cx/collect body parsers (form encoding and flat
 * JSON) into a bounded list of fields.
 */


#ifndef _NGX_HTTP_CX_BODY_H_INCLUDED_
#define _NGX_HTTP_CX_BODY_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


#define NGX_HTTP_CX_FIELDS_MAX      32

#define NGX_HTTP_CX_FIELD_STRING    0
#define NGX_HTTP_CX_FIELD_INTEGER   1   /* a JSON number without . or e */
#define NGX_HTTP_CX_FIELD_NUMBER    2
#define NGX_HTTP_CX_FIELD_LITERAL   3   /* true, false, null */


typedef struct {
    ngx_str_t            name;
    ngx_str_t            value;     /* unescaped; numbers as written */
    ngx_uint_t           type;
} ngx_http_cx_field_t;


typedef struct {
    ngx_http_cx_field_t  field[NGX_HTTP_CX_FIELDS_MAX];
    ngx_uint_t           n;
    const char          *error;     /* why parsing failed */
} ngx_http_cx_fields_t;


ngx_int_t ngx_http_cx_body_form(ngx_pool_t *pool, u_char *p, u_char *last,
    ngx_http_cx_fields_t *f);
ngx_int_t ngx_http_cx_body_json(ngx_pool_t *pool, u_char *p, u_char *last,
    ngx_http_cx_fields_t *f);


#endif /* _NGX_HTTP_CX_BODY_H_INCLUDED_ */
