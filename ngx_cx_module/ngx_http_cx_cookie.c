
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
    ngx_str_t  n;

    if (len == 0) {
        return NGX_DECLINED;
    }

    n.data = name;
    n.len = len;
    value->data = NULL;

    return ngx_http_cx_cookie_find_n(p, end, &n, value, 1) == 0
           ? NGX_OK : NGX_DECLINED;
}


/*
 * Several cookies in one pass: values[i] of names[i] (no empty name) is
 * set the first time that name appears, if its data is NULL on entry.
 * Returns how many are still not found.
 */

ngx_uint_t
ngx_http_cx_cookie_find_n(u_char *p, u_char *end, ngx_str_t *names,
    ngx_str_t *values, ngx_uint_t n)
{
    u_char      *v, *semi, c;
    ngx_uint_t   i, k, left;

    left = 0;

    for (k = 0; k < n; k++) {
        left += (values[k].data == NULL);
    }

    while (left && p < end) {

        c = ngx_tolower(*p);

        for (k = 0; k < n; k++) {

            if (values[k].data != NULL
                || (size_t) (end - p) < names[k].len
                || c != ngx_tolower(names[k].data[0]))
            {
                continue;
            }

            for (i = 1; i < names[k].len; i++) {
                if (ngx_tolower(p[i]) != ngx_tolower(names[k].data[i])) {
                    break;
                }
            }

            if (i < names[k].len) {
                continue;
            }

            for (v = p + names[k].len; v < end && *v == ' '; v++) {
                /* void */
            }

            if (v < end && *v == '=') {
                for (v++; v < end && *v == ' '; v++) { /* void */ }

                values[k].data = v;
                v = memchr(v, ';', end - v);
                values[k].len = (v ? v : end) - values[k].data;
                left--;

                break;
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

    return left;
}
