
/*
 * ngx_http_cx_json.c: the module's one JSON writer (see the header).
 *
 * Strings are escaped per RFC 8259: '"', '\\' and every control
 * character, plus U+2028 and U+2029 (valid JSON, but not valid inside a
 * JavaScript string literal before ES2019).  Invalid UTF-8 (stray or
 * missing continuation bytes, overlong forms, surrogates, code points
 * past U+10FFFF) is replaced with U+FFFD, one per maximal invalid
 * subpart as Unicode recommends, so the output is always valid JSON and
 * valid UTF-8 whatever the input.
 */


#include "ngx_http_cx_json.h"
#include "ngx_http_cx_util.h"

#include <math.h>


static u_char *ngx_http_cx_json_escape_to(u_char *dst, u_char *src,
    size_t len, size_t *size);
static void ngx_http_cx_json_prelude(ngx_http_cx_json_t *j, ngx_uint_t key);
static void ngx_http_cx_json_open(ngx_http_cx_json_t *j, u_char open,
    u_char close);
static void ngx_http_cx_json_raw(ngx_http_cx_json_t *j, u_char *p,
    size_t len);


static u_char  ngx_http_cx_json_hex[] = "0123456789abcdef";


size_t
ngx_http_cx_json_escape_len(u_char *src, size_t len)
{
    size_t  size;

    (void) ngx_http_cx_json_escape_to(NULL, src, len, &size);

    return size;
}


/* dst must have ngx_http_cx_json_escape_len() bytes; no quotes added */

u_char *
ngx_http_cx_json_escape(u_char *dst, u_char *src, size_t len)
{
    size_t  size;

    return ngx_http_cx_json_escape_to(dst, src, len, &size);
}


/* with dst NULL, only counts */

static u_char *
ngx_http_cx_json_escape_to(u_char *dst, u_char *src, size_t len,
    size_t *size)
{
    u_char    c, *last;
    size_t    n, skip;
    uint32_t  cp;

    *size = 0;
    last = src + len;

    while (src < last) {
        c = *src;

        if (c >= 0x80) {
            n = ngx_http_cx_json_utf8(src, last, &skip, &cp);

            if (n == 0) {
                /* an invalid subpart: U+FFFD */
                src += skip;
                *size += 6;

                if (dst) {
                    dst = ngx_cpymem(dst, "\\ufffd", 6);
                }

                continue;
            }

            if (cp == 0x2028 || cp == 0x2029) {
                *size += 6;

                if (dst) {
                    dst = ngx_cpymem(dst, cp == 0x2028 ? "\\u2028"
                                                       : "\\u2029", 6);
                }

            } else {
                *size += n;

                if (dst) {
                    dst = ngx_cpymem(dst, src, n);
                }
            }

            src += n;
            continue;
        }

        src++;

        if (c == '"' || c == '\\') {
            *size += 2;

            if (dst) {
                *dst++ = '\\';
                *dst++ = c;
            }

            continue;
        }

        if (c >= 0x20) {
            *size += 1;

            if (dst) {
                *dst++ = c;
            }

            continue;
        }

        switch (c) {
        case '\b': n = 'b'; break;
        case '\f': n = 'f'; break;
        case '\n': n = 'n'; break;
        case '\r': n = 'r'; break;
        case '\t': n = 't'; break;
        default:   n = 0;
        }

        if (n) {
            *size += 2;

            if (dst) {
                *dst++ = '\\';
                *dst++ = (u_char) n;
            }

            continue;
        }

        *size += 6;

        if (dst) {
            dst = ngx_cpymem(dst, "\\u00", 4);
            *dst++ = ngx_http_cx_json_hex[c >> 4];
            *dst++ = ngx_http_cx_json_hex[c & 0xf];
        }
    }

    return dst;
}


/*
 * The length of the well-formed UTF-8 sequence at p (RFC 3629, Unicode
 * table 3-7), with its code point; or 0, with the length of the maximal
 * invalid subpart to replace in *skip.  The CSV writer decodes with it
 * too.
 */

size_t
ngx_http_cx_json_utf8(u_char *p, u_char *last, size_t *skip, uint32_t *cp)
{
    u_char      c, lo, hi;
    size_t      n, i;
    uint32_t    u;

    c = *p;
    lo = 0x80;
    hi = 0xbf;

    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        u = c & 0x1f;

    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        u = c & 0x0f;
        lo = (c == 0xe0) ? 0xa0 : 0x80;     /* no overlong forms */
        hi = (c == 0xed) ? 0x9f : 0xbf;     /* no surrogates */

    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        u = c & 0x07;
        lo = (c == 0xf0) ? 0x90 : 0x80;     /* no overlong forms */
        hi = (c == 0xf4) ? 0x8f : 0xbf;     /* at most U+10FFFF */

    } else {
        *skip = 1;
        return 0;
    }

    for (i = 1; i < n; i++) {
        if (p + i == last || p[i] < lo || p[i] > hi) {
            *skip = i;
            return 0;
        }

        u = (u << 6) | (p[i] & 0x3f);
        lo = 0x80;
        hi = 0xbf;
    }

    *cp = u;

    return n;
}


ngx_int_t
ngx_http_cx_json_init(ngx_http_cx_json_t *j, ngx_pool_t *pool, size_t size)
{
    ngx_memzero(j, sizeof(ngx_http_cx_json_t));

    return ngx_http_cx_grow_init(&j->out, pool, size);
}


void
ngx_http_cx_json_object(ngx_http_cx_json_t *j)
{
    ngx_http_cx_json_open(j, '{', '}');
}


void
ngx_http_cx_json_array(ngx_http_cx_json_t *j)
{
    ngx_http_cx_json_open(j, '[', ']');
}


void
ngx_http_cx_json_end(ngx_http_cx_json_t *j)
{
    if (j->depth == 0 || j->after_key) {
        j->out.error = 1;
        return;
    }

    ngx_http_cx_json_raw(j, &j->closer[j->depth], 1);
    j->depth--;
}


void
ngx_http_cx_json_key(ngx_http_cx_json_t *j, const char *key)
{
    ngx_str_t  str;

    str.data = (u_char *) key;
    str.len = ngx_strlen(key);

    ngx_http_cx_json_key_str(j, &str);
}


void
ngx_http_cx_json_key_str(ngx_http_cx_json_t *j, ngx_str_t *key)
{
    if (j->depth == 0 || j->closer[j->depth] != '}' || j->after_key) {
        j->out.error = 1;
        return;
    }

    ngx_http_cx_json_prelude(j, 1);

    if (ngx_http_cx_grow_reserve(&j->out, key->len * 6 + 3) != NGX_OK) {
        return;
    }

    *j->out.pos++ = '"';
    j->out.pos = ngx_http_cx_json_escape(j->out.pos, key->data, key->len);
    *j->out.pos++ = '"';
    *j->out.pos++ = ':';

    j->after_key = 1;
}


void
ngx_http_cx_json_str(ngx_http_cx_json_t *j, ngx_str_t *s)
{
    ngx_http_cx_json_prelude(j, 0);

    if (ngx_http_cx_grow_reserve(&j->out, s->len * 6 + 2) != NGX_OK) {
        return;
    }

    *j->out.pos++ = '"';
    j->out.pos = ngx_http_cx_json_escape(j->out.pos, s->data, s->len);
    *j->out.pos++ = '"';
}


void
ngx_http_cx_json_cstr(ngx_http_cx_json_t *j, const char *s)
{
    ngx_str_t  str;

    str.data = (u_char *) s;
    str.len = ngx_strlen(s);

    ngx_http_cx_json_str(j, &str);
}


void
ngx_http_cx_json_int(ngx_http_cx_json_t *j, int64_t n)
{
    ngx_http_cx_json_prelude(j, 0);

    if (ngx_http_cx_grow_reserve(&j->out, NGX_INT64_LEN) == NGX_OK) {
        j->out.pos = ngx_sprintf(j->out.pos, "%L", n);
    }
}


void
ngx_http_cx_json_uint(ngx_http_cx_json_t *j, uint64_t n)
{
    ngx_http_cx_json_prelude(j, 0);

    if (ngx_http_cx_grow_reserve(&j->out, NGX_INT64_LEN) == NGX_OK) {
        j->out.pos = ngx_sprintf(j->out.pos, "%uL", n);
    }
}


/*
 * A number with a fixed count of decimals (at most 6), rounded half away
 * from zero; never "-0.0".  Not finite or too large for that: null.
 */

void
ngx_http_cx_json_fixed(ngx_http_cx_json_t *j, double v,
    ngx_uint_t decimals)
{
    double      scaled;
    u_char     *p;
    int64_t     whole;
    uint64_t    m, scale;
    ngx_uint_t  i;

    if (decimals > 6) {
        decimals = 6;
    }

    scale = 1;

    for (i = 0; i < decimals; i++) {
        scale *= 10;
    }

    scaled = v * (double) scale;

    if (!isfinite(scaled) || fabs(scaled) >= 9.0e15) {
        ngx_http_cx_json_null(j);
        return;
    }

    whole = (int64_t) llround(scaled);

    ngx_http_cx_json_prelude(j, 0);

    if (ngx_http_cx_grow_reserve(&j->out, NGX_INT64_LEN + 2) != NGX_OK) {
        return;
    }

    p = j->out.pos;

    if (whole < 0) {
        *p++ = '-';
        m = (uint64_t) -whole;

    } else {
        m = (uint64_t) whole;
    }

    p = ngx_sprintf(p, "%uL", m / scale);

    if (decimals) {
        *p++ = '.';
        m %= scale;

        for (i = decimals; i > 0; i--) {
            p[i - 1] = (u_char) ('0' + m % 10);
            m /= 10;
        }

        p += decimals;
    }

    j->out.pos = p;
}


void
ngx_http_cx_json_bool(ngx_http_cx_json_t *j, ngx_uint_t v)
{
    ngx_http_cx_json_prelude(j, 0);

    if (v) {
        ngx_http_cx_json_raw(j, (u_char *) "true", 4);

    } else {
        ngx_http_cx_json_raw(j, (u_char *) "false", 5);
    }
}


void
ngx_http_cx_json_null(ngx_http_cx_json_t *j)
{
    ngx_http_cx_json_prelude(j, 0);
    ngx_http_cx_json_raw(j, (u_char *) "null", 4);
}


/* the document, when it is complete and nothing failed */

ngx_int_t
ngx_http_cx_json_done(ngx_http_cx_json_t *j, ngx_str_t *out)
{
    if (j->out.error || j->depth || j->after_key) {
        return NGX_ERROR;
    }

    out->data = j->out.start;
    out->len = j->out.pos - j->out.start;

    return NGX_OK;
}


/*
 * The comma before a key or a value, unless the value follows its key;
 * a value in an object without a key, or a second document, is an error.
 */

static void
ngx_http_cx_json_prelude(ngx_http_cx_json_t *j, ngx_uint_t key)
{
    uint64_t  bit;

    if (j->after_key) {
        j->after_key = 0;
        return;
    }

    bit = (uint64_t) 1 << j->depth;

    if (!key && ((j->depth && j->closer[j->depth] == '}')
                 || (j->depth == 0 && (j->has_value & bit))))
    {
        j->out.error = 1;
        return;
    }

    if (j->has_value & bit) {
        ngx_http_cx_json_raw(j, (u_char *) ",", 1);
    }

    j->has_value |= bit;
}


static void
ngx_http_cx_json_open(ngx_http_cx_json_t *j, u_char open, u_char close)
{
    ngx_http_cx_json_prelude(j, 0);

    if (j->depth + 1 >= NGX_HTTP_CX_JSON_DEPTH) {
        j->out.error = 1;
        return;
    }

    ngx_http_cx_json_raw(j, &open, 1);

    j->depth++;
    j->closer[j->depth] = close;
    j->has_value &= ~((uint64_t) 1 << j->depth);
}


static void
ngx_http_cx_json_raw(ngx_http_cx_json_t *j, u_char *p, size_t len)
{
    if (ngx_http_cx_grow_reserve(&j->out, len) == NGX_OK) {
        j->out.pos = ngx_cpymem(j->out.pos, p, len);
    }
}


/*
 * A JSON response: Content-Type application/json, never cached, never
 * sniffed as anything else (X-Content-Type-Options).  Returns
 * what the caller passes to ngx_http_finalize_request() (or returns from
 * a content handler).
 */

ngx_int_t
ngx_http_cx_json_send(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *json)
{
    ngx_buf_t   *b;
    ngx_str_t    no_store, nosniff;
    ngx_list_t  *headers;

    ngx_str_set(&no_store, "no-store");
    ngx_str_set(&nosniff, "nosniff");

    headers = &r->headers_out.headers;

    if (ngx_http_cx_header_add(headers, "Cache-Control", &no_store) == NULL
        || ngx_http_cx_header_add(headers, "X-Content-Type-Options",
                                  &nosniff)
           == NULL)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->headers_out.status = status;
    r->headers_out.content_length_n = json->len + 1;
    ngx_str_set(&r->headers_out.content_type, "application/json");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_type_lowcase = NULL;

    /* the document and a newline, for curl users */

    b = ngx_create_temp_buf(r->pool, json->len + 1);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->last = ngx_cpymem(b->pos, json->data, json->len);
    *b->last++ = '\n';

    return ngx_http_cx_send(r, b);
}


/* {"error":"param: reason"}, or {"error":"reason"} without a param name */

ngx_int_t
ngx_http_cx_json_error(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *param, const char *reason)
{
    u_char              *p;
    size_t               len;
    ngx_str_t            msg;
    ngx_http_cx_json_t   j;

    len = ngx_strlen(reason);

    if (param && param->len) {
        msg.len = param->len + 2 + len;
        msg.data = ngx_pnalloc(r->pool, msg.len);
        if (msg.data == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        p = ngx_cpymem(msg.data, param->data, param->len);
        p = ngx_cpymem(p, ": ", 2);
        ngx_memcpy(p, reason, len);

    } else {
        msg.data = (u_char *) reason;
        msg.len = len;
    }

    (void) ngx_http_cx_json_init(&j, r->pool, msg.len + 32);

    ngx_http_cx_json_object(&j);
    ngx_http_cx_json_key(&j, "error");
    ngx_http_cx_json_str(&j, &msg);
    ngx_http_cx_json_end(&j);

    return ngx_http_cx_json_respond(r, status, &j);
}


/* the document j, finished, as the response */

ngx_int_t
ngx_http_cx_json_respond(ngx_http_request_t *r, ngx_uint_t status,
    ngx_http_cx_json_t *j)
{
    ngx_str_t  json;

    if (ngx_http_cx_json_done(j, &json) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_cx_json_send(r, status, &json);
}
