
/*
 * ngx_http_cx_cookie.c: one cookie out of a Cookie header value, read the
 * way nginx's $cookie_NAME reads it: "name=value" pairs separated by ";"
 * or ",", the name compared case-insensitively, spaces allowed after a
 * separator and around "=", the value running to the next ";".  Used for
 * r.cookie[...] and the visitor's cx_v cookie; fuzzed against a plain
 * byte loop (fuzz/cookie).
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_cx_cookie.h"


/* NGX_OK and the value (pointing into p..end), or NGX_DECLINED */

ngx_int_t
ngx_http_cx_cookie_find(u_char *p, u_char *end, u_char *name, size_t len,
    ngx_str_t *value)
{
    u_char      *v, *semi, first;
    ngx_uint_t   i;

    if (len == 0) {
        return NGX_DECLINED;
    }

    first = ngx_tolower(name[0]);

    while ((size_t) (end - p) >= len) {

        if (ngx_tolower(*p) == first) {

            for (i = 1; i < len; i++) {
                if (ngx_tolower(p[i]) != ngx_tolower(name[i])) {
                    break;
                }
            }

            if (i == len) {
                for (v = p + len; v < end && *v == ' '; v++) { /* void */ }

                if (v < end && *v == '=') {
                    for (v++; v < end && *v == ' '; v++) { /* void */ }

                    value->data = v;
                    v = memchr(v, ';', end - v);
                    value->len = (v ? v : end) - value->data;

                    return NGX_OK;
                }
            }
        }

        /* the next ";" or ",", whichever is first */

        semi = memchr(p, ';', end - p);
        v = memchr(p, ',', (semi ? semi : end) - p);

        p = v ? v : semi;

        if (p == NULL) {
            break;
        }

        for (p++; p < end && *p == ' '; p++) { /* void */ }
    }

    return NGX_DECLINED;
}
