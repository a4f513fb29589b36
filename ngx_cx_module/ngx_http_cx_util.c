
/*
 * ngx_http_cx_util.c: small helpers any unit may use, knowing nothing of
 * the module's configuration: the one validator for names (surveys,
 * touchpoints, events, sites: PRODUCT.md's [a-z0-9_.-]{1,64}), the check
 * of UTF-8 text, HTML escaping for what goes into a page's attributes,
 * a request or response header looked up by name, a response header
 * added, a response sent from a buffer in memory, the growable buffer
 * of the JSON and CSV writers, and the draw that keeps a visitor's A/B
 * picks.
 */


#include "ngx_http_cx_util.h"


ngx_int_t
ngx_http_cx_name_valid(u_char *p, size_t len)
{
    u_char  c, *last;

    if (len == 0 || len > NGX_HTTP_CX_NAME_MAX) {
        return 0;
    }

    for (last = p + len; p < last; p++) {
        c = *p;

        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
            || c == '_' || c == '.' || c == '-')
        {
            continue;
        }

        return 0;
    }

    return 1;
}


/* text: valid UTF-8 without control characters but tab, LF and CR */

ngx_int_t
ngx_http_cx_utf8_valid(u_char *p, size_t len)
{
    u_char    *last;
    uint32_t   n;

    last = p + len;

    while (p < last) {

        if (*p < 0x80) {
            if (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r') {
                return 0;
            }

            p++;
            continue;
        }

        n = ngx_utf8_decode(&p, last - p);

        if (n > 0x10ffff || (n >= 0xd800 && n <= 0xdfff)) {
            return 0;
        }
    }

    return 1;
}


size_t
ngx_http_cx_escape_html_len(u_char *src, size_t len)
{
    size_t   n;
    u_char  *last;

    n = len;

    for (last = src + len; src < last; src++) {
        switch (*src) {
        case '<':
        case '>':
            n += sizeof("&lt;") - 2;
            break;
        case '&':
            n += sizeof("&amp;") - 2;
            break;
        case '"':
        case '\'':
            n += sizeof("&#34;") - 2;
            break;
        }
    }

    return n;
}


u_char *
ngx_http_cx_escape_html(u_char *dst, u_char *src, size_t len)
{
    u_char  *last;

    for (last = src + len; src < last; src++) {
        switch (*src) {
        case '<':
            dst = ngx_cpymem(dst, "&lt;", 4);
            break;
        case '>':
            dst = ngx_cpymem(dst, "&gt;", 4);
            break;
        case '&':
            dst = ngx_cpymem(dst, "&amp;", 5);
            break;
        case '"':
            dst = ngx_cpymem(dst, "&#34;", 5);
            break;
        case '\'':
            dst = ngx_cpymem(dst, "&#39;", 5);
            break;
        default:
            *dst++ = *src;
        }
    }

    return dst;
}


/*
 * The first header of that name in a list (r->headers_in.headers or
 * r->headers_out.headers), case-insensitive; one whose hash is 0 has been
 * removed.  With NGX_HTTP_CX_HEADER_DASHES, "_" and "-" match either, as
 * rules write header names.
 */

ngx_table_elt_t *
ngx_http_cx_header_find(ngx_list_t *headers, u_char *name, size_t len,
    ngx_uint_t flags)
{
    u_char            c, n;
    size_t            k;
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    part = &headers->part;
    h = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return NULL;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].hash == 0 || h[i].key.len != len) {
            continue;
        }

        for (k = 0; k < len; k++) {
            c = ngx_tolower(h[i].key.data[k]);
            n = ngx_tolower(name[k]);

            if (c == n
                || ((flags & NGX_HTTP_CX_HEADER_DASHES)
                    && (c == '-' || c == '_') && (n == '-' || n == '_')))
            {
                continue;
            }

            break;
        }

        if (k == len) {
            return &h[i];
        }
    }
}


/*
 * A header added to a list (r->headers_out.headers), its key a literal
 * of ours; a NULL value leaves it empty for the caller to set.
 */

ngx_table_elt_t *
ngx_http_cx_header_add(ngx_list_t *headers, char *key, ngx_str_t *value)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(headers);
    if (h == NULL) {
        return NULL;
    }

    h->hash = 1;
    h->key.len = ngx_strlen(key);
    h->key.data = (u_char *) key;

    if (value) {
        h->value = *value;

    } else {
        ngx_str_null(&h->value);
    }

    return h;
}


/*
 * The response whose headers_out the caller has set, and b as its whole
 * body (none for HEAD or a 304).  Returns what a content handler returns
 * or passes to ngx_http_finalize_request().
 */

ngx_int_t
ngx_http_cx_send(ngx_http_request_t *r, ngx_buf_t *b)
{
    ngx_int_t    rc;
    ngx_chain_t  out;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


ngx_int_t
ngx_http_cx_grow_init(ngx_http_cx_grow_t *g, ngx_pool_t *pool, size_t size)
{
    ngx_memzero(g, sizeof(ngx_http_cx_grow_t));

    g->pool = pool;

    g->start = ngx_pnalloc(pool, size);
    if (g->start == NULL) {
        g->error = 1;
        return NGX_ERROR;
    }

    g->pos = g->start;
    g->end = g->start + size;

    return NGX_OK;
}


/*
 * Room for n more bytes at pos: when it is short the buffer moves to one
 * at least twice its size (what is written is copied, the old one is
 * left to the pool).
 */

ngx_int_t
ngx_http_cx_grow_reserve(ngx_http_cx_grow_t *g, size_t n)
{
    u_char  *p;
    size_t   used, size;

    if (g->error) {
        return NGX_ERROR;
    }

    if ((size_t) (g->end - g->pos) >= n) {
        return NGX_OK;
    }

    used = g->pos - g->start;
    size = ngx_max(2 * (size_t) (g->end - g->start), used + n + 256);

    p = ngx_pnalloc(g->pool, size);
    if (p == NULL) {
        g->error = 1;
        return NGX_ERROR;
    }

    ngx_memcpy(p, g->start, used);

    g->start = p;
    g->pos = p + used;
    g->end = p + size;

    return NGX_OK;
}


/*
 * A draw in [0, 1) for visitor id and key: the same for the same two
 * (cx.sample, cx.pick, a survey's variants), a random one without an id
 * (NULL or empty).
 */

double
ngx_http_cx_draw(ngx_str_t *id, ngx_str_t *key)
{
    uint64_t    h;
    ngx_uint_t  i;

    if (id == NULL || id->len == 0) {
        return (double) (ngx_random() & 0x7fffffff) / 2147483648.0;
    }

    /* FNV-1a over "id|key", then MurmurHash3's 64-bit finaliser */

    h = 0xcbf29ce484222325ULL;

    for (i = 0; i < id->len; i++) {
        h = (h ^ id->data[i]) * 0x100000001b3ULL;
    }

    h = (h ^ '|') * 0x100000001b3ULL;

    for (i = 0; i < key->len; i++) {
        h = (h ^ key->data[i]) * 0x100000001b3ULL;
    }

    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;

    return (double) (h >> 11) / 9007199254740992.0;
}
