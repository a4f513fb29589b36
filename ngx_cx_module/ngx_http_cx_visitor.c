
/*
 * ngx_http_cx_visitor.c: the visitor's cx_v cookie, which the widget
 * writes, read strictly: anything that is not exactly the documented
 * format (README "The visitor cookie") is not ours, and the visitor is a
 * new one.
 *
 *   2~ID~VIEWS~VISITS~SURVEYS~TOUCHPOINTS~SOURCE
 *
 * SURVEYS: "" or entries joined by "*", each ID!SHOWN!ANSWERED!DISMISSED
 * (UTC days YYYYMMDD, or 0), the most recent first; TOUCHPOINTS: "" or
 * NAME!VIEWS joined by "*"; SOURCE: UTM_SOURCE!UTM_MEDIUM!UTM_CAMPAIGN!
 * REFERRER_HOST, each lower-case and possibly empty.  The older
 * 1.ID.VIEWS.SESSIONS.SHOWN.ANSWERED is still read.  The page view
 * decision (recontact) and the rules (r.visitor) read it, once a request.
 *
 * The module counts the page view in it (ngx_http_cx_visitor_visit()):
 * VIEWS, the touchpoint's views, and on the first page view of a visit
 * (no cx_s cookie, which lives 30 minutes after the last page view)
 * VISITS and SOURCE; the widget writes SURVEYS.
 */


#include "ngx_http_cx_cookie.h"
#include "ngx_http_cx_token.h"
#include "ngx_http_cx_util.h"
#include "ngx_http_cx_visitor.h"


#define NGX_HTTP_CX_VISITOR_COOKIE     "cx_v"
#define NGX_HTTP_CX_VISIT_COOKIE       "cx_s"
#define NGX_HTTP_CX_VISITOR_COUNT_MAX  9   /* digits */
#define NGX_HTTP_CX_VISITOR_MAX        999999999
#define NGX_HTTP_CX_VISITOR_ID_LEN     22  /* base64url of 16 bytes */
#define NGX_HTTP_CX_VISITOR_YEAR       "31536000"
#define NGX_HTTP_CX_VISIT_AGE          "1800"


static void ngx_http_cx_visitor_init(ngx_http_cx_visitor_t *v);
static void ngx_http_cx_visitor_cookies(ngx_http_request_t *r,
    ngx_str_t *value);
static void ngx_http_cx_visitor_landing(ngx_http_request_t *r,
    ngx_http_cx_visitor_t *v);
static ngx_int_t ngx_http_cx_visitor_arg(ngx_http_request_t *r,
    ngx_str_t *name, ngx_str_t *value);
static void ngx_http_cx_visitor_clean(ngx_http_request_t *r, ngx_str_t *src,
    ngx_uint_t unescape, ngx_str_t *dst);
static u_char *ngx_http_cx_visitor_format(u_char *p,
    ngx_http_cx_visitor_t *v);
static u_char *ngx_http_cx_visitor_print_count(u_char *p, ngx_uint_t n);
static ngx_int_t ngx_http_cx_visitor_header(ngx_http_request_t *r,
    u_char *value, size_t len);
static ngx_int_t ngx_http_cx_visitor_parse_v1(u_char *p, u_char *last,
    ngx_http_cx_visitor_t *v);
static u_char *ngx_http_cx_visitor_id(u_char *p, u_char *last,
    ngx_http_cx_visitor_t *v, u_char sep);
static u_char *ngx_http_cx_visitor_surveys(u_char *p, u_char *last,
    ngx_http_cx_visitor_t *v);
static u_char *ngx_http_cx_visitor_touchpoints(u_char *p, u_char *last,
    ngx_http_cx_visitor_t *v);
static u_char *ngx_http_cx_visitor_source(u_char *p, u_char *last,
    ngx_http_cx_visitor_t *v);
static u_char *ngx_http_cx_visitor_name(u_char *p, u_char *last,
    ngx_str_t *name, ngx_uint_t empty);
static u_char *ngx_http_cx_visitor_count(u_char *p, u_char *last,
    ngx_uint_t *n);
static u_char *ngx_http_cx_visitor_day(u_char *p, u_char *last,
    ngx_int_t *day);


/*
 * The request's visitor, parsed on first use and kept at *cache (the
 * request's context); no cookie, or not ours: a new visitor (no id).
 */

ngx_http_cx_visitor_t *
ngx_http_cx_visitor_get(ngx_http_request_t *r, void **cache)
{
    ngx_str_t               value[2];
    ngx_http_cx_visitor_t  *v;

    if (*cache) {
        return *cache;
    }

    v = ngx_palloc(r->pool, sizeof(ngx_http_cx_visitor_t));
    if (v == NULL) {
        return NULL;
    }

    /* cx_v and cx_s, in one pass over the Cookie headers */

    ngx_http_cx_visitor_cookies(r, value);

    if (value[0].data == NULL
        || ngx_http_cx_visitor_parse(&value[0], v) != NGX_OK)
    {
        ngx_http_cx_visitor_init(v);
    }

    /*
     * No cx_s (it lives 30 minutes after the last page view): a visit
     * starts with this page view, its source is this request's, as the
     * widget will write them
     */

    if (value[1].data == NULL) {
        ngx_http_cx_visitor_landing(r, v);
    }

    *cache = v;

    return v;
}


/*
 * A new visitor: the fields, not the survey and touchpoint arrays, which
 * only their counts make valid (no memzero of ~600 bytes a page view)
 */

static void
ngx_http_cx_visitor_init(ngx_http_cx_visitor_t *v)
{
    ngx_uint_t  i;

    ngx_str_null(&v->id);
    v->views = 0;
    v->visits = 0;
    v->shown = -1;
    v->answered = -1;
    v->nsurveys = 0;
    v->ntouchpoints = 0;
    ngx_str_null(&v->surveys_text);

    for (i = 0; i < ngx_http_cx_source_n; i++) {
        ngx_str_null(&v->source[i]);
    }

    v->new_visit = 0;
}


/* value[0] cx_v, value[1] cx_s: the first of each, data NULL if none */

static void
ngx_http_cx_visitor_cookies(ngx_http_request_t *r, ngx_str_t *value)
{
    ngx_uint_t         i;
    ngx_table_elt_t  **h;

    static ngx_str_t  names[] = {
        ngx_string(NGX_HTTP_CX_VISITOR_COOKIE),
        ngx_string(NGX_HTTP_CX_VISIT_COOKIE)
    };

    value[0].data = NULL;
    value[1].data = NULL;

    h = r->headers_in.cookies.elts;

    for (i = 0; i < r->headers_in.cookies.nelts; i++) {
        if (ngx_http_cx_cookie_find_n(h[i]->value.data,
                                      h[i]->value.data + h[i]->value.len,
                                      names, value, 2)
            == 0)
        {
            return;
        }
    }
}


/*
 * The first page view of a visit (it counts in r.visitor.visits, not in
 * the cookie's VISITS until the widget writes it): the source is the
 * request's utm_source, utm_medium, utm_campaign (names in any case) and
 * the Referer's host unless it is this site's.
 */

static void
ngx_http_cx_visitor_landing(ngx_http_request_t *r, ngx_http_cx_visitor_t *v)
{
    u_char     *p, *last, *host;
    ngx_str_t   value;
    ngx_uint_t  i;

    static ngx_str_t  utm[] = {
        ngx_string("utm_source"),
        ngx_string("utm_medium"),
        ngx_string("utm_campaign")
    };

    v->new_visit = 1;

    for (i = 0; i < 3; i++) {
        ngx_str_null(&v->source[i]);

        if (ngx_http_cx_visitor_arg(r, &utm[i], &value) == NGX_OK) {
            ngx_http_cx_visitor_clean(r, &value, 1, &v->source[i]);
        }
    }

    ngx_str_null(&v->source[ngx_http_cx_source_referrer]);

    if (r->headers_in.referer == NULL) {
        return;
    }

    p = r->headers_in.referer->value.data;
    last = p + r->headers_in.referer->value.len;

    p = ngx_strlcasestrn(p, last, (u_char *) "://", 3 - 1);
    if (p == NULL) {
        return;
    }

    host = p + 3;

    for (p = host; p < last && *p != '/' && *p != ':' && *p != '?'
                   && *p != '#'; p++)
    {
        /* void */
    }

    value.data = host;
    value.len = p - host;

    if (value.len == 0
        || (r->headers_in.server.len == value.len
            && ngx_strncasecmp(r->headers_in.server.data, value.data,
                               value.len) == 0))
    {
        return;
    }

    ngx_http_cx_visitor_clean(r, &value, 0,
                              &v->source[ngx_http_cx_source_referrer]);
}


/* the first argument of that name, compared case-insensitively */

static ngx_int_t
ngx_http_cx_visitor_arg(ngx_http_request_t *r, ngx_str_t *name,
    ngx_str_t *value)
{
    u_char  *p, *last, *amp, *eq;

    p = r->args.data;
    last = p + r->args.len;

    while (p && p < last) {
        amp = ngx_strlchr(p, last, '&');
        amp = amp ? amp : last;
        eq = ngx_strlchr(p, amp, '=');

        if (eq && (size_t) (eq - p) == name->len
            && ngx_strncasecmp(p, name->data, name->len) == 0)
        {
            value->data = eq + 1;
            value->len = amp - eq - 1;
            return NGX_OK;
        }

        p = amp + 1;
    }

    return NGX_DECLINED;
}


/*
 * A part of the source as the cookie keeps it: percent-decoded (for an
 * argument), lower-case, anything but [a-z0-9_.-] as "_", at most 64
 * bytes; on no memory, empty
 */

static void
ngx_http_cx_visitor_clean(ngx_http_request_t *r, ngx_str_t *src,
    ngx_uint_t unescape, ngx_str_t *dst)
{
    u_char  *p, *q, *end, c;

    dst->len = 0;
    dst->data = ngx_pnalloc(r->pool, src->len);

    if (dst->data == NULL || src->len == 0) {
        ngx_str_null(dst);
        return;
    }

    p = src->data;
    q = dst->data;

    if (unescape) {
        ngx_unescape_uri(&q, &p, src->len, NGX_UNESCAPE_URI);
        end = q;
        q = dst->data;

    } else {
        end = ngx_cpymem(q, p, src->len);
    }

    for (p = q; p < end && p - q < NGX_HTTP_CX_VISITOR_SOURCE_MAX; p++) {
        c = ngx_tolower(*p);

        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
              || c == '_' || c == '.' || c == '-'))
        {
            c = '_';
        }

        *p = c;
    }

    dst->len = p - q;

    if (dst->len == 0) {
        ngx_str_null(dst);
    }
}


/*
 * Counts this page view in the visitor's cookie and sends it back
 * (Set-Cookie cx_v, and cx_s for the visit): a new visitor gets a random
 * id; touchpoint (may be empty) moves first in the list with one more
 * view, the least recent falls off past NGX_HTTP_CX_VISITOR_TOUCHPOINTS.
 */

ngx_int_t
ngx_http_cx_visitor_visit(ngx_http_request_t *r, ngx_http_cx_visitor_t *v,
    ngx_str_t *touchpoint)
{
    u_char                            *p, *start;
    size_t                             len;
    uint64_t                           rnd[2];
    ngx_str_t                          src, dst;
    ngx_uint_t                         i, n;
    ngx_http_cx_visitor_touchpoint_t   t;

    if (v->id.len == 0) {
        rnd[0] = ngx_http_cx_random64();
        rnd[1] = ngx_http_cx_random64();

        v->id.data = ngx_pnalloc(r->pool, NGX_HTTP_CX_VISITOR_ID_LEN + 2);
        if (v->id.data == NULL) {
            return NGX_ERROR;
        }

        src.data = (u_char *) rnd;
        src.len = 16;
        ngx_encode_base64url(&v->id, &src);
    }

    if (v->views < NGX_HTTP_CX_VISITOR_MAX) {
        v->views++;
    }

    if (v->new_visit && v->visits < NGX_HTTP_CX_VISITOR_MAX) {
        v->visits++;
    }

    v->new_visit = 0;

    if (touchpoint->len) {
        for (i = 0; i < v->ntouchpoints; i++) {
            if (v->touchpoints[i].name.len == touchpoint->len
                && ngx_memcmp(v->touchpoints[i].name.data, touchpoint->data,
                              touchpoint->len) == 0)
            {
                break;
            }
        }

        if (i == v->ntouchpoints) {
            t.name = *touchpoint;
            t.views = 0;
            n = ngx_min(v->ntouchpoints + 1,
                        NGX_HTTP_CX_VISITOR_TOUCHPOINTS);
            i = n - 1;
            v->ntouchpoints = n;

        } else {
            t = v->touchpoints[i];
        }

        ngx_memmove(&v->touchpoints[1], &v->touchpoints[0],
                    i * sizeof(ngx_http_cx_visitor_touchpoint_t));

        if (t.views < NGX_HTTP_CX_VISITOR_MAX) {
            t.views++;
        }

        v->touchpoints[0] = t;
    }

    /* the cookie's length, the numbers at their longest */

    len = sizeof("cx_v=2~~~~~~!!!; Path=/; Max-Age=" NGX_HTTP_CX_VISITOR_YEAR
                 "; SameSite=Lax; Secure") - 1
          + v->id.len + 2 * NGX_HTTP_CX_VISITOR_COUNT_MAX;

    len += v->surveys_text.len;

    for (i = 0; i < v->ntouchpoints; i++) {
        len += v->touchpoints[i].name.len + 2 + NGX_HTTP_CX_VISITOR_COUNT_MAX;
    }

    for (i = 0; i < ngx_http_cx_source_n; i++) {
        len += v->source[i].len;
    }

    start = ngx_pnalloc(r->pool, len);
    if (start == NULL) {
        return NGX_ERROR;
    }

    p = ngx_cpymem(start, "cx_v=", 5);
    p = ngx_http_cx_visitor_format(p, v);
    p = ngx_cpymem(p, "; Path=/; Max-Age=" NGX_HTTP_CX_VISITOR_YEAR
                      "; SameSite=Lax",
                   sizeof("; Path=/; Max-Age=" NGX_HTTP_CX_VISITOR_YEAR
                          "; SameSite=Lax") - 1);
    dst.data = start;
    dst.len = p - start;

#if (NGX_HTTP_SSL)
    if (r->connection->ssl) {
        dst.len = ngx_cpymem(p, "; Secure", 8) - start;
    }
#endif

    if (ngx_http_cx_visitor_header(r, dst.data, dst.len) != NGX_OK) {
        return NGX_ERROR;
    }

#if (NGX_HTTP_SSL)
    if (r->connection->ssl) {
        return ngx_http_cx_visitor_header(r, (u_char *) "cx_s=1; Path=/; "
                   "Max-Age=" NGX_HTTP_CX_VISIT_AGE "; SameSite=Lax; Secure",
                   sizeof("cx_s=1; Path=/; Max-Age=" NGX_HTTP_CX_VISIT_AGE
                          "; SameSite=Lax; Secure") - 1);
    }
#endif

    return ngx_http_cx_visitor_header(r, (u_char *) "cx_s=1; Path=/; "
               "Max-Age=" NGX_HTTP_CX_VISIT_AGE "; SameSite=Lax",
               sizeof("cx_s=1; Path=/; Max-Age=" NGX_HTTP_CX_VISIT_AGE
                      "; SameSite=Lax") - 1);
}


/* 2~ID~VIEWS~VISITS~SURVEYS~TOUCHPOINTS~SOURCE; no ngx_sprintf(): it
   runs on every page view */

static u_char *
ngx_http_cx_visitor_format(u_char *p, ngx_http_cx_visitor_t *v)
{
    ngx_uint_t  i;

    *p++ = '2';
    *p++ = '~';
    p = ngx_cpymem(p, v->id.data, v->id.len);
    *p++ = '~';
    p = ngx_http_cx_visitor_print_count(p, v->views);
    *p++ = '~';
    p = ngx_http_cx_visitor_print_count(p, v->visits);
    *p++ = '~';

    /*
     * the module never changes SURVEYS (the widget writes them) and reads
     * them strictly, so they go back as they came: no day printed again
     */

    p = ngx_cpymem(p, v->surveys_text.data, v->surveys_text.len);
    *p++ = '~';

    for (i = 0; i < v->ntouchpoints; i++) {
        if (i) {
            *p++ = '*';
        }

        p = ngx_cpymem(p, v->touchpoints[i].name.data,
                       v->touchpoints[i].name.len);
        *p++ = '!';
        p = ngx_http_cx_visitor_print_count(p, v->touchpoints[i].views);
    }

    for (i = 0; i < ngx_http_cx_source_n; i++) {
        *p++ = i ? '!' : '~';
        p = ngx_cpymem(p, v->source[i].data, v->source[i].len);
    }

    return p;
}


/* a count, in decimal */

static u_char *
ngx_http_cx_visitor_print_count(u_char *p, ngx_uint_t n)
{
    u_char  *q, buf[NGX_INT_T_LEN];

    q = buf + NGX_INT_T_LEN;

    do {
        *--q = (u_char) ('0' + n % 10);
        n /= 10;
    } while (n);

    return ngx_cpymem(p, q, buf + NGX_INT_T_LEN - q);
}


static ngx_int_t
ngx_http_cx_visitor_header(ngx_http_request_t *r, u_char *value, size_t len)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Set-Cookie");
    h->value.data = value;
    h->value.len = len;

    return NGX_OK;
}


/* [A-Za-z0-9_-] */
static const u_char  ngx_http_cx_visitor_id_char[256] = {
    ['-'] = 1, ['_'] = 1,
    ['0'] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    ['A'] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
            1, 1, 1, 1, 1,
    ['a'] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
            1, 1, 1, 1, 1,
};


/* NGX_OK and *v, or NGX_DECLINED: not ours (v is then half filled) */

ngx_int_t
ngx_http_cx_visitor_parse(ngx_str_t *value, ngx_http_cx_visitor_t *v)
{
    u_char      *p, *last, *surveys;
    ngx_uint_t   i;

    p = value->data;
    last = p + value->len;

    ngx_http_cx_visitor_init(v);

    if (last - p < 2) {
        return NGX_DECLINED;
    }

    if (p[0] == '1' && p[1] == '.') {
        return ngx_http_cx_visitor_parse_v1(p + 2, last, v);
    }

    if (p[0] != '2' || p[1] != '~') {
        return NGX_DECLINED;
    }

    p = ngx_http_cx_visitor_id(p + 2, last, v, '~');

    if (p == NULL
        || (p = ngx_http_cx_visitor_count(p, last, &v->views)) == NULL
        || p == last || *p++ != '~'
        || (p = ngx_http_cx_visitor_count(p, last, &v->visits)) == NULL
        || p == last || *p++ != '~')
    {
        return NGX_DECLINED;
    }

    surveys = p;

    p = ngx_http_cx_visitor_surveys(p, last, v);

    if (p == NULL) {
        return NGX_DECLINED;
    }

    v->surveys_text.data = surveys;
    v->surveys_text.len = p - surveys;

    if (p == last || *p++ != '~'
        || (p = ngx_http_cx_visitor_touchpoints(p, last, v)) == NULL
        || p == last || *p++ != '~'
        || (p = ngx_http_cx_visitor_source(p, last, v)) == NULL
        || p != last)
    {
        return NGX_DECLINED;
    }

    for (i = 0; i < v->nsurveys; i++) {
        v->shown = ngx_max(v->shown, v->surveys[i].shown);
        v->answered = ngx_max(v->answered, v->surveys[i].answered);
    }

    return NGX_OK;
}


/* 1.ID.VIEWS.SESSIONS.SHOWN.ANSWERED, what widgets before 2 wrote */

static ngx_int_t
ngx_http_cx_visitor_parse_v1(u_char *p, u_char *last,
    ngx_http_cx_visitor_t *v)
{
    p = ngx_http_cx_visitor_id(p, last, v, '.');

    if (p == NULL
        || (p = ngx_http_cx_visitor_count(p, last, &v->views)) == NULL
        || p == last || *p++ != '.'
        || (p = ngx_http_cx_visitor_count(p, last, &v->visits)) == NULL
        || p == last || *p++ != '.'
        || (p = ngx_http_cx_visitor_day(p, last, &v->shown)) == NULL
        || p == last || *p++ != '.'
        || (p = ngx_http_cx_visitor_day(p, last, &v->answered)) == NULL
        || p != last)
    {
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/* the id and the separator after it */

static u_char *
ngx_http_cx_visitor_id(u_char *p, u_char *last, ngx_http_cx_visitor_t *v,
    u_char sep)
{
    u_char  *start;

    start = p;

    while (p < last && ngx_http_cx_visitor_id_char[*p]) {
        p++;
    }

    if (p - start < NGX_HTTP_CX_VISITOR_ID_MIN
        || p - start > NGX_HTTP_CX_VISITOR_ID_MAX
        || p == last || *p != sep)
    {
        return NULL;
    }

    v->id.data = start;
    v->id.len = p - start;

    return p + 1;
}


/* "" or ID!SHOWN!ANSWERED!DISMISSED, joined by "*" */

static u_char *
ngx_http_cx_visitor_surveys(u_char *p, u_char *last, ngx_http_cx_visitor_t *v)
{
    ngx_http_cx_visitor_survey_t  *s;

    if (p < last && *p == '~') {
        return p;
    }

    for ( ;; ) {
        if (v->nsurveys == NGX_HTTP_CX_VISITOR_SURVEYS) {
            return NULL;
        }

        s = &v->surveys[v->nsurveys++];

        p = ngx_http_cx_visitor_name(p, last, &s->id, 0);

        if (p == NULL || p == last || *p++ != '!'
            || (p = ngx_http_cx_visitor_day(p, last, &s->shown)) == NULL
            || p == last || *p++ != '!'
            || (p = ngx_http_cx_visitor_day(p, last, &s->answered)) == NULL
            || p == last || *p++ != '!'
            || (p = ngx_http_cx_visitor_day(p, last, &s->dismissed)) == NULL)
        {
            return NULL;
        }

        if (p == last || *p != '*') {
            return p;
        }

        p++;
    }
}


/* "" or NAME!VIEWS, joined by "*" */

static u_char *
ngx_http_cx_visitor_touchpoints(u_char *p, u_char *last,
    ngx_http_cx_visitor_t *v)
{
    ngx_http_cx_visitor_touchpoint_t  *t;

    if (p < last && *p == '~') {
        return p;
    }

    for ( ;; ) {
        if (v->ntouchpoints == NGX_HTTP_CX_VISITOR_TOUCHPOINTS) {
            return NULL;
        }

        t = &v->touchpoints[v->ntouchpoints++];

        p = ngx_http_cx_visitor_name(p, last, &t->name, 0);

        if (p == NULL || p == last || *p++ != '!'
            || (p = ngx_http_cx_visitor_count(p, last, &t->views)) == NULL)
        {
            return NULL;
        }

        if (p == last || *p != '*') {
            return p;
        }

        p++;
    }
}


/* UTM_SOURCE!UTM_MEDIUM!UTM_CAMPAIGN!REFERRER, each may be empty */

static u_char *
ngx_http_cx_visitor_source(u_char *p, u_char *last, ngx_http_cx_visitor_t *v)
{
    ngx_uint_t  i;

    for (i = 0; i < ngx_http_cx_source_n; i++) {
        if (i > 0) {
            if (p == last || *p++ != '!') {
                return NULL;
            }
        }

        p = ngx_http_cx_visitor_name(p, last, &v->source[i], 1);

        if (p == NULL) {
            return NULL;
        }
    }

    return p;
}


/* a name: [a-z0-9_.-], 1 (or 0 if empty may be) to 64 bytes */

static u_char *
ngx_http_cx_visitor_name(u_char *p, u_char *last, ngx_str_t *name,
    ngx_uint_t empty)
{
    u_char  *start;

    start = p;

    while (p < last && *p != '!' && *p != '*' && *p != '~') {
        p++;
    }

    name->data = start;
    name->len = p - start;

    if (name->len == 0) {
        return empty ? p : NULL;
    }

    if (name->len > NGX_HTTP_CX_VISITOR_SOURCE_MAX
        || !ngx_http_cx_name_valid(start, name->len))
    {
        return NULL;
    }

    return p;
}


/* 0, or 1-9 digits without a leading zero */

static u_char *
ngx_http_cx_visitor_count(u_char *p, u_char *last, ngx_uint_t *n)
{
    u_char  *start;

    start = p;
    *n = 0;

    while (p < last && *p >= '0' && *p <= '9'
           && p - start < NGX_HTTP_CX_VISITOR_COUNT_MAX + 1)
    {
        *n = *n * 10 + (*p++ - '0');
    }

    if (p == start || p - start > NGX_HTTP_CX_VISITOR_COUNT_MAX
        || (*start == '0' && p - start > 1))
    {
        return NULL;
    }

    return p;
}


/* 0 (never), or a UTC day YYYYMMDD as a day number */

static u_char *
ngx_http_cx_visitor_day(u_char *p, u_char *last, ngx_int_t *day)
{
    ngx_uint_t  i, y, m, d;

    if (p < last && *p == '0' && (p + 1 == last || p[1] < '0' || p[1] > '9'))
    {
        *day = -1;
        return p + 1;
    }

    if (last - p < 8) {
        return NULL;
    }

    for (i = 0; i < 8; i++) {
        if (p[i] < '0' || p[i] > '9') {
            return NULL;
        }
    }

    y = (p[0] - '0') * 1000 + (p[1] - '0') * 100 + (p[2] - '0') * 10
        + (p[3] - '0');
    m = (p[4] - '0') * 10 + (p[5] - '0');
    d = (p[6] - '0') * 10 + (p[7] - '0');

    *day = ngx_http_cx_visitor_days(y, m, d);

    return (*day < 0) ? NULL : p + 8;
}


/* days since 1970-01-01 of a valid date from 2000 on, or -1 */

ngx_int_t
ngx_http_cx_visitor_days(ngx_uint_t y, ngx_uint_t m, ngx_uint_t d)
{
    ngx_uint_t  mdays, leap;

    static ngx_uint_t  month_days[] = {
        31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
    };

    if (y < 2000 || y > 9999 || m < 1 || m > 12 || d < 1) {
        return -1;
    }

    leap = (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0));
    mdays = month_days[m - 1] + (m == 2 ? leap : 0);

    if (d > mdays) {
        return -1;
    }

    /* days from the civil date, March-based years */

    y -= (m <= 2);
    m = (m > 2) ? m - 3 : m + 9;

    return (ngx_int_t) (y * 365 + y / 4 - y / 100 + y / 400
                        + (153 * m + 2) / 5 + d - 1)
           - 719468;
}


/* the visitor's history of one survey, or NULL */

ngx_http_cx_visitor_survey_t *
ngx_http_cx_visitor_survey(ngx_http_cx_visitor_t *v, ngx_str_t *id)
{
    ngx_uint_t  i;

    for (i = 0; i < v->nsurveys; i++) {
        if (v->surveys[i].id.len == id->len
            && ngx_memcmp(v->surveys[i].id.data, id->data, id->len) == 0)
        {
            return &v->surveys[i];
        }
    }

    return NULL;
}
