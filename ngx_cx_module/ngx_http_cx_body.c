
/*
 * ngx_http_cx_body.c: the parsers of /cx/collect bodies -- form encoding
 * (what navigator.sendBeacon sends with URLSearchParams) and JSON -- into
 * a flat list of fields.  Both are strict and take hostile input: a body
 * is at most a few KB, JSON must be one flat object (no nesting at all),
 * strings are unescaped exactly, and anything malformed is an error with
 * a reason.  They know nothing of requests, so the fuzzer can drive them
 * (fuzz/collect/).
 */


#include "ngx_http_cx_body.h"


static ngx_int_t ngx_http_cx_body_add(ngx_http_cx_fields_t *f,
    ngx_str_t *name, ngx_str_t *value, ngx_uint_t type);
static ngx_int_t ngx_http_cx_form_decode(ngx_pool_t *pool, u_char *p,
    u_char *last, ngx_str_t *out);
static u_char *ngx_http_cx_json_ws(u_char *p, u_char *last);
static u_char *ngx_http_cx_json_string(ngx_pool_t *pool, u_char *p,
    u_char *last, ngx_str_t *out, const char **err);
static u_char *ngx_http_cx_json_number(u_char *p, u_char *last,
    ngx_uint_t *integer);
static ngx_int_t ngx_http_cx_hex(u_char c);


ngx_int_t
ngx_http_cx_body_form(ngx_pool_t *pool, u_char *p, u_char *last,
    ngx_http_cx_fields_t *f)
{
    u_char     *start, *eq;
    ngx_str_t   name, value;

    while (p < last) {

        start = p;

        while (p < last && *p != '&') {
            p++;
        }

        if (p == start) {
            p++;
            continue;
        }

        eq = ngx_strlchr(start, p, '=');

        if (eq == NULL) {
            eq = p;
        }

        if (ngx_http_cx_form_decode(pool, start, eq, &name) != NGX_OK
            || ngx_http_cx_form_decode(pool, eq < p ? eq + 1 : p, p, &value)
               != NGX_OK)
        {
            f->error = "body: malformed form encoding";
            return NGX_ERROR;
        }

        if (ngx_http_cx_body_add(f, &name, &value, NGX_HTTP_CX_FIELD_STRING)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        p++;
    }

    return NGX_OK;
}


/* "%XX" and "+" decoded; a lone or bad "%" is an error */

static ngx_int_t
ngx_http_cx_form_decode(ngx_pool_t *pool, u_char *p, u_char *last,
    ngx_str_t *out)
{
    u_char     *d;
    ngx_int_t   hi, lo;

    out->data = ngx_pnalloc(pool, (last - p) + 1);
    if (out->data == NULL) {
        return NGX_ERROR;
    }

    d = out->data;

    while (p < last) {

        if (*p == '+') {
            *d++ = ' ';
            p++;
            continue;
        }

        if (*p != '%') {
            *d++ = *p++;
            continue;
        }

        if (last - p < 3) {
            return NGX_ERROR;
        }

        hi = ngx_http_cx_hex(p[1]);
        lo = ngx_http_cx_hex(p[2]);

        if (hi < 0 || lo < 0) {
            return NGX_ERROR;
        }

        *d++ = (u_char) (hi * 16 + lo);
        p += 3;
    }

    out->len = d - out->data;

    return NGX_OK;
}


/* one flat object: {"name": string | number | true | false | null, ...} */

ngx_int_t
ngx_http_cx_body_json(ngx_pool_t *pool, u_char *p, u_char *last,
    ngx_http_cx_fields_t *f)
{
    u_char      *start;
    ngx_str_t    name, value;
    ngx_uint_t   type, integer;

    p = ngx_http_cx_json_ws(p, last);

    if (p == last || *p != '{') {
        f->error = "body: a JSON object is expected";
        return NGX_ERROR;
    }

    p = ngx_http_cx_json_ws(p + 1, last);

    if (p < last && *p == '}') {
        p++;
        goto done;
    }

    for ( ;; ) {

        if (p == last || *p != '"') {
            f->error = "body: invalid JSON (a field name is expected)";
            return NGX_ERROR;
        }

        p = ngx_http_cx_json_string(pool, p, last, &name, &f->error);
        if (p == NULL) {
            return NGX_ERROR;
        }

        p = ngx_http_cx_json_ws(p, last);

        if (p == last || *p != ':') {
            f->error = "body: invalid JSON (a colon is expected)";
            return NGX_ERROR;
        }

        p = ngx_http_cx_json_ws(p + 1, last);

        if (p == last) {
            f->error = "body: invalid JSON (a value is expected)";
            return NGX_ERROR;
        }

        start = p;

        switch (*p) {

        case '"':
            p = ngx_http_cx_json_string(pool, p, last, &value, &f->error);
            if (p == NULL) {
                return NGX_ERROR;
            }

            type = NGX_HTTP_CX_FIELD_STRING;
            break;

        case '{':
        case '[':
            f->error = "body: nested JSON values are not accepted";
            return NGX_ERROR;

        case 't':
        case 'f':
        case 'n':
            if (last - p >= 4 && ngx_strncmp(p, "true", 4) == 0) {
                p += 4;

            } else if (last - p >= 5 && ngx_strncmp(p, "false", 5) == 0) {
                p += 5;

            } else if (last - p >= 4 && ngx_strncmp(p, "null", 4) == 0) {
                p += 4;

            } else {
                f->error = "body: invalid JSON (bad literal)";
                return NGX_ERROR;
            }

            value.data = start;
            value.len = p - start;
            type = NGX_HTTP_CX_FIELD_LITERAL;
            break;

        default:
            p = ngx_http_cx_json_number(p, last, &integer);
            if (p == NULL) {
                f->error = "body: invalid JSON (bad value)";
                return NGX_ERROR;
            }

            value.data = start;
            value.len = p - start;
            type = integer ? NGX_HTTP_CX_FIELD_INTEGER
                           : NGX_HTTP_CX_FIELD_NUMBER;
        }

        if (ngx_http_cx_body_add(f, &name, &value, type) != NGX_OK) {
            return NGX_ERROR;
        }

        p = ngx_http_cx_json_ws(p, last);

        if (p < last && *p == ',') {
            p = ngx_http_cx_json_ws(p + 1, last);
            continue;
        }

        if (p < last && *p == '}') {
            p++;
            break;
        }

        f->error = "body: invalid JSON (a comma or the end of the object "
                   "is expected)";
        return NGX_ERROR;
    }

done:

    if (ngx_http_cx_json_ws(p, last) != last) {
        f->error = "body: invalid JSON (data after the object)";
        return NGX_ERROR;
    }

    return NGX_OK;
}


static u_char *
ngx_http_cx_json_ws(u_char *p, u_char *last)
{
    while (p < last
           && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
    {
        p++;
    }

    return p;
}


/* p at the opening quote; returns past the closing one, out unescaped */

static u_char *
ngx_http_cx_json_string(ngx_pool_t *pool, u_char *p, u_char *last,
    ngx_str_t *out, const char **err)
{
    u_char    *d, *q;
    uint32_t   u, lo;
    ngx_int_t  i, h;

    *err = "body: invalid JSON string";

    p++;

    for (q = p; q < last && *q != '"'; q++) {
        if (*q == '\\') {
            q++;
        }
    }

    if (q >= last) {
        return NULL;
    }

    /* the unescaped string is never longer than its escaped form */

    out->data = ngx_pnalloc(pool, (q - p) + 1);
    if (out->data == NULL) {
        *err = "out of memory";
        return NULL;
    }

    d = out->data;

    while (p < q) {

        if (*p < 0x20) {
            return NULL;
        }

        if (*p != '\\') {
            *d++ = *p++;
            continue;
        }

        p++;

        switch (*p++) {
        case '"':  *d++ = '"';  break;
        case '\\': *d++ = '\\'; break;
        case '/':  *d++ = '/';  break;
        case 'b':  *d++ = '\b'; break;
        case 'f':  *d++ = '\f'; break;
        case 'n':  *d++ = '\n'; break;
        case 'r':  *d++ = '\r'; break;
        case 't':  *d++ = '\t'; break;

        case 'u':
            u = 0;

            for (i = 0; i < 4; i++) {
                if (p >= q || (h = ngx_http_cx_hex(*p++)) < 0) {
                    return NULL;
                }

                u = u * 16 + h;
            }

            if (u >= 0xdc00 && u <= 0xdfff) {
                return NULL;
            }

            if (u >= 0xd800 && u <= 0xdbff) {
                /* a surrogate pair: "\uD83D\uDE00" */

                if (q - p < 6 || p[0] != '\\' || p[1] != 'u') {
                    return NULL;
                }

                p += 2;
                lo = 0;

                for (i = 0; i < 4; i++) {
                    if ((h = ngx_http_cx_hex(*p++)) < 0) {
                        return NULL;
                    }

                    lo = lo * 16 + h;
                }

                if (lo < 0xdc00 || lo > 0xdfff) {
                    return NULL;
                }

                u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
            }

            if (u < 0x80) {
                *d++ = (u_char) u;

            } else if (u < 0x800) {
                *d++ = (u_char) (0xc0 | (u >> 6));
                *d++ = (u_char) (0x80 | (u & 0x3f));

            } else if (u < 0x10000) {
                *d++ = (u_char) (0xe0 | (u >> 12));
                *d++ = (u_char) (0x80 | ((u >> 6) & 0x3f));
                *d++ = (u_char) (0x80 | (u & 0x3f));

            } else {
                *d++ = (u_char) (0xf0 | (u >> 18));
                *d++ = (u_char) (0x80 | ((u >> 12) & 0x3f));
                *d++ = (u_char) (0x80 | ((u >> 6) & 0x3f));
                *d++ = (u_char) (0x80 | (u & 0x3f));
            }

            break;

        default:
            return NULL;
        }
    }

    out->len = d - out->data;
    *err = NULL;

    return q + 1;
}


/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */

static u_char *
ngx_http_cx_json_number(u_char *p, u_char *last, ngx_uint_t *integer)
{
    u_char  *start;

    *integer = 1;

    if (p < last && *p == '-') {
        p++;
    }

    if (p == last) {
        return NULL;
    }

    if (*p == '0') {
        p++;

    } else if (*p >= '1' && *p <= '9') {
        while (p < last && *p >= '0' && *p <= '9') {
            p++;
        }

    } else {
        return NULL;
    }

    if (p < last && *p == '.') {
        *integer = 0;
        start = ++p;

        while (p < last && *p >= '0' && *p <= '9') {
            p++;
        }

        if (p == start) {
            return NULL;
        }
    }

    if (p < last && (*p == 'e' || *p == 'E')) {
        *integer = 0;
        p++;

        if (p < last && (*p == '+' || *p == '-')) {
            p++;
        }

        start = p;

        while (p < last && *p >= '0' && *p <= '9') {
            p++;
        }

        if (p == start) {
            return NULL;
        }
    }

    return p;
}


static ngx_int_t
ngx_http_cx_body_add(ngx_http_cx_fields_t *f, ngx_str_t *name,
    ngx_str_t *value, ngx_uint_t type)
{
    ngx_http_cx_field_t  *fld;

    if (f->n == NGX_HTTP_CX_FIELDS_MAX) {
        f->error = "body: too many fields";
        return NGX_ERROR;
    }

    fld = &f->field[f->n++];

    fld->name = *name;
    fld->value = *value;
    fld->type = type;

    return NGX_OK;
}


static ngx_int_t
ngx_http_cx_hex(u_char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    c |= 0x20;

    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }

    return -1;
}
