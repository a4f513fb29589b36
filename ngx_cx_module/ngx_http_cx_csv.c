
/*
 * ngx_http_cx_csv.c: the CSV writer (ngx_http_cx_csv.h) and its
 * response: text/csv; charset=utf-8, never cached, never sniffed, as a
 * download.
 */


#include "ngx_http_cx_csv.h"
#include "ngx_http_cx_json.h"
#include "ngx_http_cx_util.h"


static ngx_uint_t ngx_http_cx_csv_quoted(u_char *p, size_t len);


ngx_int_t
ngx_http_cx_csv_init(ngx_http_cx_csv_t *csv, ngx_pool_t *pool, size_t size)
{
    ngx_memzero(csv, sizeof(ngx_http_cx_csv_t));

    return ngx_http_cx_grow_init(&csv->out, pool, size);
}


/* a cell that needs quotes: one holding a quote, comma, CR or LF */

static ngx_uint_t
ngx_http_cx_csv_quoted(u_char *p, size_t len)
{
    u_char  *last;

    for (last = p + len; p < last; p++) {
        if (*p == '"' || *p == ',' || *p == CR || *p == LF) {
            return 1;
        }
    }

    return 0;
}


/*
 * The next cell of the row: s as text (NULL: an empty cell).  At most
 * 3 bytes out for a byte in (an invalid byte: U+FFFD), plus the comma,
 * the quotes and the ' that keeps a formula a text.
 */

void
ngx_http_cx_csv_cell(ngx_http_cx_csv_t *csv, ngx_str_t *s)
{
    u_char      *p, *last;
    size_t       n, skip;
    uint32_t     cp;
    ngx_uint_t   quote;

    n = 4 + (s ? 3 * s->len : 0);

    if (ngx_http_cx_grow_reserve(&csv->out, n) != NGX_OK) {
        return;
    }

    if (csv->cells++) {
        *csv->out.pos++ = ',';
    }

    if (s == NULL || s->len == 0) {
        return;
    }

    p = s->data;
    last = p + s->len;
    quote = ngx_http_cx_csv_quoted(p, s->len);

    if (quote) {
        *csv->out.pos++ = '"';
    }

    if (*p == '=' || *p == '+' || *p == '-' || *p == '@' || *p == '\t'
        || *p == CR)
    {
        *csv->out.pos++ = '\'';
    }

    while (p < last) {
        if (*p < 0x80) {
            if (*p == '"') {
                *csv->out.pos++ = '"';
            }

            *csv->out.pos++ = *p++;
            continue;
        }

        n = ngx_http_cx_json_utf8(p, last, &skip, &cp);

        if (n == 0) {
            /* U+FFFD for the invalid bytes */
            *csv->out.pos++ = 0xef;
            *csv->out.pos++ = 0xbf;
            *csv->out.pos++ = 0xbd;
            p += skip;
            continue;
        }

        csv->out.pos = ngx_cpymem(csv->out.pos, p, n);
        p += n;
    }

    if (quote) {
        *csv->out.pos++ = '"';
    }
}


void
ngx_http_cx_csv_cstr(ngx_http_cx_csv_t *csv, const char *s)
{
    ngx_str_t  v;

    v.data = (u_char *) s;
    v.len = ngx_strlen(s);

    ngx_http_cx_csv_cell(csv, &v);
}


/* the end of a row: CRLF */

void
ngx_http_cx_csv_row(ngx_http_cx_csv_t *csv)
{
    if (ngx_http_cx_grow_reserve(&csv->out, 2) != NGX_OK) {
        return;
    }

    *csv->out.pos++ = CR;
    *csv->out.pos++ = LF;
    csv->cells = 0;
}


/*
 * The rows as a 200 response, saved as filename (the caller's: plain
 * characters only).  Returns what a content handler returns.
 */

ngx_int_t
ngx_http_cx_csv_send(ngx_http_request_t *r, ngx_http_cx_csv_t *csv,
    ngx_str_t *filename)
{
    ngx_buf_t   *b;
    ngx_str_t    no_store, nosniff, attachment;
    ngx_list_t  *headers;

    if (csv->out.error) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_str_set(&no_store, "no-store");
    ngx_str_set(&nosniff, "nosniff");

    attachment.len = sizeof("attachment; filename=\"\"") - 1 + filename->len;
    attachment.data = ngx_pnalloc(r->pool, attachment.len);
    if (attachment.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    (void) ngx_sprintf(attachment.data, "attachment; filename=\"%V\"",
                       filename);

    headers = &r->headers_out.headers;

    if (ngx_http_cx_header_add(headers, "Cache-Control", &no_store) == NULL
        || ngx_http_cx_header_add(headers, "X-Content-Type-Options",
                                  &nosniff)
           == NULL
        || ngx_http_cx_header_add(headers, "Content-Disposition",
                                  &attachment)
           == NULL)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->pos = csv->out.start;
    b->last = csv->out.pos;
    b->memory = 1;

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = b->last - b->pos;
    ngx_str_set(&r->headers_out.content_type, "text/csv; charset=utf-8");
    r->headers_out.content_type_len = sizeof("text/csv") - 1;
    r->headers_out.content_type_lowcase = NULL;

    return ngx_http_cx_send(r, b);
}
