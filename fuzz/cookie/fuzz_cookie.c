
/*
 * fuzz/cookie/fuzz_cookie.c: libFuzzer harness for the Cookie header
 * reader (ngx_cx_module/ngx_http_cx_cookie.c).  The first byte is the
 * length of the name (0-15), then the name, then the header value.
 * Beyond "no crash, no read out of bounds" (ASan, UBSan), the answer
 * must be the one of a plain byte-by-byte reading of the same rules.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <stdlib.h>

#include "ngx_http_cx_cookie.h"


static int
lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}


/* the rules, one byte at a time */

static ngx_int_t
plain(u_char *p, u_char *end, u_char *name, size_t len, ngx_str_t *value)
{
    size_t   i;
    u_char  *v;

    if (len == 0) {
        return NGX_DECLINED;
    }

    while (p < end) {

        /* p: the start of a pair */

        for (i = 0; i < len && p + i < end; i++) {
            if (lower(p[i]) != lower(name[i])) {
                break;
            }
        }

        if (i == len) {
            v = p + len;

            while (v < end && *v == ' ') {
                v++;
            }

            if (v < end && *v == '=') {
                v++;

                while (v < end && *v == ' ') {
                    v++;
                }

                value->data = v;

                while (v < end && *v != ';') {
                    v++;
                }

                value->len = v - value->data;

                return NGX_OK;
            }
        }

        while (p < end && *p != ';' && *p != ',') {
            p++;
        }

        if (p == end) {
            break;
        }

        p++;

        while (p < end && *p == ' ') {
            p++;
        }
    }

    return NGX_DECLINED;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t      n;
    u_char     *buf, *name, *p, *end;
    ngx_int_t   rc1, rc2;
    ngx_str_t   v1, v2;

    if (size == 0) {
        return 0;
    }

    n = data[0] & 0x0f;

    if (size - 1 < n) {
        return 0;
    }

    /* exact-size copies: ASan sees any read past either */

    name = malloc(n ? n : 1);
    memcpy(name, data + 1, n);

    buf = malloc(size - 1 - n ? size - 1 - n : 1);
    memcpy(buf, data + 1 + n, size - 1 - n);

    p = buf;
    end = buf + (size - 1 - n);

    rc1 = ngx_http_cx_cookie_find(p, end, name, n, &v1);
    rc2 = plain(p, end, name, n, &v2);

    if (rc1 != rc2
        || (rc1 == NGX_OK && (v1.data != v2.data || v1.len != v2.len)))
    {
        abort();
    }

    free(name);
    free(buf);

    return 0;
}
