
/*
 * fuzz/visitor/fuzz_visitor.c: libFuzzer harness for the cx_v visitor
 * cookie (ngx_cx_module/ngx_http_cx_visitor.c, README "The visitor
 * cookie").  The input is the cookie's value.  Beyond "no crash, no read
 * out of bounds" (ASan, UBSan), for a value the reader accepts it checks
 * the parts against their documented bounds, then has the module count
 * a page view (ngx_http_cx_visitor_visit(), a stand-in request) and
 * checks the Set-Cookie it writes: documented characters and attributes,
 * at most 1498 bytes of value, and read again it is the visitor read
 * first with that page view counted (round trip).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <stdlib.h>
#include <time.h>

#include "ngx_http_cx_visitor.h"


#define COUNT_MAX   999999999
#define VALUE_MAX   1498    /* every part at its longest */
#define ALLOCS      64
#define HEADERS     4


/* stand-ins for what the reader and writer use of nginx */

static void             *allocs[ALLOCS];
static ngx_uint_t        nallocs;
static ngx_table_elt_t   headers[HEADERS];
static ngx_uint_t        nheaders;


void *
ngx_pnalloc(ngx_pool_t *pool, size_t size)
{
    /* one malloc each: a write past it is an ASan report */

    if (nallocs == ALLOCS) {
        abort();
    }

    allocs[nallocs] = malloc(size ? size : 1);

    return allocs[nallocs++];
}


void *
ngx_palloc(ngx_pool_t *pool, size_t size)
{
    return ngx_pnalloc(pool, size);
}


void *
ngx_list_push(ngx_list_t *l)
{
    if (nheaders == HEADERS) {
        abort();
    }

    return &headers[nheaders++];
}


void
ngx_gmtime(time_t t, ngx_tm_t *tp)
{
    struct tm  tm;

    /* nginx's fields: the full year, months from 1 */

    gmtime_r(&t, &tm);
    tp->ngx_tm_year = tm.tm_year + 1900;
    tp->ngx_tm_mon = tm.tm_mon + 1;
    tp->ngx_tm_mday = tm.tm_mday;
}


/* what the parser's callers use, never reached from here */

uint64_t ngx_http_cx_random64(void) { abort(); }
void ngx_encode_base64url(ngx_str_t *d, ngx_str_t *s) { abort(); }
ngx_uint_t ngx_http_cx_cookie_find_n(u_char *p, u_char *l, ngx_str_t *n,
    ngx_str_t *v, ngx_uint_t k) { abort(); }
u_char *ngx_strlcasestrn(u_char *s1, u_char *last, u_char *s2, size_t n)
    { abort(); }
void ngx_unescape_uri(u_char **dst, u_char **src, size_t size,
    ngx_uint_t type) { abort(); }
ngx_int_t ngx_strncasecmp(u_char *s1, u_char *s2, size_t n) { abort(); }
ngx_int_t ngx_http_output_filter(ngx_http_request_t *r, ngx_chain_t *in)
    { abort(); }
ngx_int_t ngx_http_send_header(ngx_http_request_t *r) { abort(); }
void *ngx_pcalloc(ngx_pool_t *pool, size_t size) { abort(); }
ngx_buf_t *ngx_create_temp_buf(ngx_pool_t *pool, size_t size) { abort(); }
uint32_t ngx_utf8_decode(u_char **p, size_t n) { abort(); }


static void
check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_visitor: %s\n", what);
        abort();
    }
}


static int
same(ngx_str_t *a, ngx_str_t *b)
{
    return a->len == b->len && memcmp(a->data, b->data, a->len) == 0;
}


/* [a-z0-9_.-], min to 64 bytes */

static int
name_ok(ngx_str_t *s, size_t min)
{
    size_t  i;
    u_char  c;

    if (s->len < min || s->len > 64) {
        return 0;
    }

    for (i = 0; i < s->len; i++) {
        c = s->data[i];

        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
              || c == '_' || c == '.' || c == '-'))
        {
            return 0;
        }
    }

    return 1;
}


static int
day_ok(ngx_int_t day)
{
    return day == -1
           || (day >= ngx_http_cx_visitor_days(2000, 1, 1)
               && day <= ngx_http_cx_visitor_days(9999, 12, 31));
}


/* the bounds of an accepted visitor */

static void
check_bounds(ngx_http_cx_visitor_t *v)
{
    size_t      i;
    u_char      c;
    ngx_uint_t  n;
    ngx_int_t   shown, answered;

    check(v->id.len >= 16 && v->id.len <= 64, "id length");

    for (i = 0; i < v->id.len; i++) {
        c = v->id.data[i];
        check((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9') || c == '_' || c == '-', "id byte");
    }

    check(v->views <= COUNT_MAX && v->visits <= COUNT_MAX, "count cap");
    check(v->nsurveys <= 6 && v->ntouchpoints <= 8, "entries cap");

    shown = -1;
    answered = -1;

    for (n = 0; n < v->nsurveys; n++) {
        check(name_ok(&v->surveys[n].id, 1), "survey id");
        check(day_ok(v->surveys[n].shown) && day_ok(v->surveys[n].answered)
              && day_ok(v->surveys[n].dismissed), "survey day");
        shown = ngx_max(shown, v->surveys[n].shown);
        answered = ngx_max(answered, v->surveys[n].answered);
    }

    check(day_ok(v->shown) && day_ok(v->answered), "visitor day");

    if (v->nsurveys) {
        check(v->shown == shown && v->answered == answered, "latest day");
    }

    for (n = 0; n < v->ntouchpoints; n++) {
        check(name_ok(&v->touchpoints[n].name, 1), "touchpoint name");
        check(v->touchpoints[n].views <= COUNT_MAX, "touchpoint cap");
    }

    for (n = 0; n < ngx_http_cx_source_n; n++) {
        check(name_ok(&v->source[n], 0), "source part");
    }
}


/* e: the visitor read first, after the page view (the writer's model) */

static void
model_visit(ngx_http_cx_visitor_t *e, ngx_str_t *tp)
{
    ngx_uint_t                        i;
    ngx_http_cx_visitor_touchpoint_t  t;

    e->views += (e->views < COUNT_MAX);

    if (tp->len == 0) {
        return;
    }

    for (i = 0; i < e->ntouchpoints; i++) {
        if (same(&e->touchpoints[i].name, tp)) {
            break;
        }
    }

    if (i == e->ntouchpoints) {
        t.name = *tp;
        t.views = 0;
        i = (e->ntouchpoints < 8) ? e->ntouchpoints++ : 7;

    } else {
        t = e->touchpoints[i];
    }

    for ( /* void */ ; i > 0; i--) {
        e->touchpoints[i] = e->touchpoints[i - 1];
    }

    t.views += (t.views < COUNT_MAX);
    e->touchpoints[0] = t;
}


static void
check_same(ngx_http_cx_visitor_t *a, ngx_http_cx_visitor_t *b, int v1)
{
    ngx_uint_t  n;

    check(same(&a->id, &b->id), "round trip: id");
    check(a->views == b->views && a->visits == b->visits,
          "round trip: counts");
    check(a->nsurveys == b->nsurveys, "round trip: surveys");

    /* version 1 has no survey entries: its SHOWN, ANSWERED are not kept */

    if (!v1) {
        check(a->shown == b->shown && a->answered == b->answered,
              "round trip: latest days");
    }

    for (n = 0; n < a->nsurveys; n++) {
        check(same(&a->surveys[n].id, &b->surveys[n].id)
              && a->surveys[n].shown == b->surveys[n].shown
              && a->surveys[n].answered == b->surveys[n].answered
              && a->surveys[n].dismissed == b->surveys[n].dismissed,
              "round trip: survey");
    }

    check(a->ntouchpoints == b->ntouchpoints, "round trip: touchpoints");

    for (n = 0; n < a->ntouchpoints; n++) {
        check(same(&a->touchpoints[n].name, &b->touchpoints[n].name)
              && a->touchpoints[n].views == b->touchpoints[n].views,
              "round trip: touchpoint");
    }

    for (n = 0; n < ngx_http_cx_source_n; n++) {
        check(same(&a->source[n], &b->source[n]), "round trip: source");
    }
}


/* the Set-Cookie the writer sent: cx_v=VALUE; attributes */

static void
check_written(ngx_str_t *value, int ssl)
{
    size_t      i, len;
    u_char      c, *p;
    ngx_str_t   h;
    const char  *attrs;

    check(nheaders == 2, "two Set-Cookie");
    check(headers[0].key.len == 10
          && memcmp(headers[0].key.data, "Set-Cookie", 10) == 0,
          "Set-Cookie name");

    h = headers[0].value;
    attrs = ssl ? "; Path=/; Max-Age=31536000; SameSite=Lax; Secure"
                : "; Path=/; Max-Age=31536000; SameSite=Lax";
    len = strlen(attrs);

    check(h.len > 5 + len && memcmp(h.data, "cx_v=", 5) == 0
          && memcmp(h.data + h.len - len, attrs, len) == 0,
          "cx_v attributes");

    p = h.data + 5;
    value->data = p;
    value->len = h.len - 5 - len;

    check(value->len <= VALUE_MAX, "cookie size");

    for (i = 0; i < value->len; i++) {
        c = p[i];
        check((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9') || c == '_' || c == '-'
              || c == '.' || c == '~' || c == '!' || c == '*',
              "cookie byte");
    }

    check(memcmp(headers[1].value.data, "cx_s=1; ", 8) == 0, "cx_s");
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                     v1, ssl;
    u_char                 *copy;
    ngx_str_t               value, tp, written;
    ngx_uint_t              i;
    ngx_connection_t        c;
    ngx_http_request_t      r;
    ngx_http_cx_visitor_t   v, e, w;

    static ngx_str_t  tps[] = {
        ngx_null_string,
        ngx_string("product"),
        ngx_string("t8"),
        ngx_string("a-touchpoint-of-64-bytes.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                   "aaaaa"),
    };

    if (size > 4096) {
        return 0;
    }

    /* an exact copy: reading one byte past it is an ASan report */

    copy = malloc(size ? size : 1);
    memcpy(copy, data, size);
    value.data = copy;
    value.len = size;

    nallocs = 0;
    nheaders = 0;

    if (ngx_http_cx_visitor_parse(&value, &v) != NGX_OK) {
        free(copy);
        return 0;
    }

    check_bounds(&v);
    v1 = (copy[0] == '1');

    /* the page view: which touchpoint, and https, from the length */

    tp = tps[size % 4];
    ssl = (size / 4) % 2;

    e = v;
    model_visit(&e, &tp);

    memset(&r, 0, sizeof(r));
    memset(&c, 0, sizeof(c));
    r.connection = &c;
#if (NGX_HTTP_SSL)
    c.ssl = ssl ? (void *) &c : NULL;
#else
    ssl = 0;
#endif

    check(ngx_http_cx_visitor_visit(&r, &v, &tp) == NGX_OK, "visit");
    check_written(&written, ssl);

    check(ngx_http_cx_visitor_parse(&written, &w) == NGX_OK,
          "round trip: not read again");
    check_bounds(&w);
    check_same(&e, &w, v1);

    for (i = 0; i < nallocs; i++) {
        free(allocs[i]);
    }

    free(copy);

    return 0;
}
