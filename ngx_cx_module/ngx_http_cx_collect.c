
/*
 * ngx_http_cx_collect.c: the cx_collect handler -- widget events and
 * survey answers in (POST, form-encoded or JSON).  Everything a visitor
 * sends is checked: the method, size and type of the body, its origin,
 * every field (names, the survey, the score on the survey's scale, the
 * comment), and the token issued with the survey tag.  An accepted event
 * is queued for the next flush and answered 204 at once; the flush script
 * applies it at most once per token (ngx_http_cx_redis.c).
 */


#include "ngx_http_cx_module.h"
#include "ngx_http_cx_body.h"
#include "ngx_http_cx_counter.h"
#include "ngx_http_cx_json.h"


#define NGX_HTTP_CX_PAGE_MAX  256


typedef struct {
    ngx_str_t                    survey;
    ngx_str_t                    touchpoint;
    ngx_str_t                    event;
    ngx_str_t                    score;
    ngx_str_t                    comment;
    ngx_str_t                    token;
    ngx_str_t                    page;
    ngx_uint_t                   score_type;
    ngx_str_t                    referer_path;
    const char                  *error;
} ngx_http_cx_collect_t;


typedef struct {
    ngx_str_t                    name;
    size_t                       offset;
} ngx_http_cx_collect_field_t;


static ngx_int_t ngx_http_cx_collect_handler(ngx_http_request_t *r);
static void ngx_http_cx_collect_body(ngx_http_request_t *r);
static ngx_int_t ngx_http_cx_collect_process(ngx_http_request_t *r,
    ngx_http_cx_collect_t *c);
static ngx_int_t ngx_http_cx_collect_read(ngx_http_request_t *r,
    ngx_str_t *body);
static ngx_int_t ngx_http_cx_collect_fields(ngx_http_request_t *r,
    ngx_http_cx_fields_t *f, ngx_http_cx_collect_t *c);
static const char *ngx_http_cx_field_error(ngx_http_request_t *r,
    ngx_str_t *field, const char *why);
static ngx_int_t ngx_http_cx_collect_check(ngx_http_request_t *r,
    ngx_http_cx_collect_t *c, ngx_http_cx_record_t *rec);
static ngx_int_t ngx_http_cx_collect_score(ngx_http_cx_collect_t *c,
    ngx_http_cx_survey_type_t *type, ngx_int_t *score);
static ngx_int_t ngx_http_cx_collect_type(ngx_http_request_t *r);
static ngx_int_t ngx_http_cx_collect_origin(ngx_http_request_t *r,
    ngx_http_cx_collect_t *c);
static ngx_int_t ngx_http_cx_same_host(ngx_http_request_t *r, u_char *p,
    u_char *last, u_char **path);
static ngx_table_elt_t *ngx_http_cx_header_in(ngx_http_request_t *r,
    const char *name, size_t len);
static ngx_int_t ngx_http_cx_collect_error(ngx_http_request_t *r,
    ngx_uint_t status, const char *error);


static ngx_http_cx_collect_field_t  ngx_http_cx_collect_fields_known[] = {
    { ngx_string("survey"), offsetof(ngx_http_cx_collect_t, survey) },
    { ngx_string("touchpoint"), offsetof(ngx_http_cx_collect_t, touchpoint) },
    { ngx_string("event"), offsetof(ngx_http_cx_collect_t, event) },
    { ngx_string("score"), offsetof(ngx_http_cx_collect_t, score) },
    { ngx_string("comment"), offsetof(ngx_http_cx_collect_t, comment) },
    { ngx_string("token"), offsetof(ngx_http_cx_collect_t, token) },
    { ngx_string("page"), offsetof(ngx_http_cx_collect_t, page) },
    { ngx_null_string, 0 }
};


char *
ngx_http_cx_collect(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_core_loc_conf_t  *clcf;
    ngx_http_cx_main_conf_t   *cmcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_cx_collect_handler;

    /* the module's own endpoint: never a page view, never injected */
    ((ngx_http_cx_loc_conf_t *) conf)->endpoint = 1;

    /* checked once the whole configuration is read: needs cx_redis */

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_cx_module);

    if (cmcf->collect_file == NULL) {
        cmcf->collect_file = cf->conf_file->file.name.data;
        cmcf->collect_line = cf->conf_file->line;
    }

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_cx_collect_handler(ngx_http_request_t *r)
{
    ngx_int_t         rc;
    ngx_table_elt_t  *allow;

    if (r->method != NGX_HTTP_POST) {
        allow = ngx_list_push(&r->headers_out.headers);

        if (allow) {
            allow->hash = 1;
            ngx_str_set(&allow->key, "Allow");
            ngx_str_set(&allow->value, "POST");
        }

        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_http_cx_collect_error(r, NGX_HTTP_NOT_ALLOWED,
                                         "method: only POST is accepted");
    }

    if (r->headers_in.content_length_n > NGX_HTTP_CX_BODY_MAX) {
        r->keepalive = 0;
        return ngx_http_cx_collect_error(r,
                                         NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                         "body: larger than 4096 bytes");
    }

    if (ngx_http_cx_collect_type(r) == NGX_DECLINED) {
        r->keepalive = 0;
        return ngx_http_cx_collect_error(r,
                                         NGX_HTTP_UNSUPPORTED_MEDIA_TYPE,
                                         "body: the type must be "
                                         "application/x-www-form-urlencoded "
                                         "or application/json");
    }

    r->request_body_in_single_buf = 1;

    rc = ngx_http_read_client_request_body(r, ngx_http_cx_collect_body);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


static void
ngx_http_cx_collect_body(ngx_http_request_t *r)
{
    ngx_int_t               rc;
    ngx_http_cx_collect_t  *c;

    c = ngx_pcalloc(r->pool, sizeof(ngx_http_cx_collect_t));
    if (c == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    rc = ngx_http_cx_collect_process(r, c);

    if (rc == NGX_ERROR) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    if (rc != NGX_HTTP_NO_CONTENT) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "cx collect: %i %s", rc, c->error);
        ngx_http_finalize_request(r, ngx_http_cx_collect_error(r, rc,
                                                               c->error));
        return;
    }

    r->headers_out.status = NGX_HTTP_NO_CONTENT;
    r->headers_out.content_length_n = 0;
    r->header_only = 1;

    ngx_http_finalize_request(r, ngx_http_send_header(r));
}


/* an HTTP status: 204 when the event is queued, else why not in c->error */

static ngx_int_t
ngx_http_cx_collect_process(ngx_http_request_t *r, ngx_http_cx_collect_t *c)
{
    ngx_int_t              rc;
    ngx_str_t              body;
    ngx_http_cx_record_t   rec;
    ngx_http_cx_fields_t  *f;

    rc = ngx_http_cx_collect_origin(r, c);
    if (rc != NGX_OK) {
        return rc;
    }

    rc = ngx_http_cx_collect_read(r, &body);
    if (rc != NGX_OK) {
        c->error = (rc == NGX_HTTP_BAD_REQUEST) ? "body: empty"
                   : "body: larger than 4096 bytes";
        return rc;
    }

    f = ngx_pcalloc(r->pool, sizeof(ngx_http_cx_fields_t));
    if (f == NULL) {
        return NGX_ERROR;
    }

    if (ngx_http_cx_collect_type(r) == NGX_HTTP_CX_FIELD_INTEGER) {
        rc = ngx_http_cx_body_json(r->pool, body.data,
                                   body.data + body.len, f);
        c->score_type = NGX_HTTP_CX_FIELD_INTEGER;

    } else {
        rc = ngx_http_cx_body_form(r->pool, body.data,
                                   body.data + body.len, f);
        c->score_type = NGX_HTTP_CX_FIELD_STRING;
    }

    if (rc != NGX_OK) {
        c->error = f->error;
        return NGX_HTTP_BAD_REQUEST;
    }

    if (ngx_http_cx_collect_fields(r, f, c) != NGX_OK) {
        return NGX_HTTP_BAD_REQUEST;
    }

    ngx_memzero(&rec, sizeof(ngx_http_cx_record_t));

    if (ngx_http_cx_collect_check(r, c, &rec) != NGX_OK) {
        return NGX_HTTP_BAD_REQUEST;
    }

    if (ngx_http_cx_record_add(&rec) != NGX_OK) {
        /* past cx_buffer: counted as dropped, logged at the next flush */
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "cx collect: record dropped");
    }

    ngx_http_cx_stat_inc(r, ngx_http_cx_stat_collected);

    return NGX_HTTP_NO_CONTENT;
}


static ngx_int_t
ngx_http_cx_collect_read(ngx_http_request_t *r, ngx_str_t *body)
{
    u_char       *p;
    size_t        len;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    if (r->request_body == NULL || r->request_body->bufs == NULL) {
        return NGX_HTTP_BAD_REQUEST;
    }

    len = 0;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        b = cl->buf;

        if (b->in_file && !ngx_buf_in_memory(b)) {
            /* client_body_buffer_size below 4k: never read files here */
            return NGX_HTTP_REQUEST_ENTITY_TOO_LARGE;
        }

        len += b->last - b->pos;
    }

    if (len == 0) {
        return NGX_HTTP_BAD_REQUEST;
    }

    if (len > NGX_HTTP_CX_BODY_MAX) {
        return NGX_HTTP_REQUEST_ENTITY_TOO_LARGE;
    }

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    body->data = p;
    body->len = len;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        p = ngx_cpymem(p, cl->buf->pos, cl->buf->last - cl->buf->pos);
    }

    return NGX_OK;
}


/* known fields by name, each at most once; unknown ones are ignored */

static ngx_int_t
ngx_http_cx_collect_fields(ngx_http_request_t *r, ngx_http_cx_fields_t *f,
    ngx_http_cx_collect_t *c)
{
    ngx_str_t                    *dst;
    ngx_uint_t                    i;
    ngx_http_cx_field_t          *fld;
    ngx_http_cx_collect_field_t  *k;

    for (i = 0; i < f->n; i++) {
        fld = &f->field[i];

        for (k = ngx_http_cx_collect_fields_known; k->name.len; k++) {
            if (k->name.len == fld->name.len
                && ngx_strncmp(k->name.data, fld->name.data, k->name.len)
                   == 0)
            {
                break;
            }
        }

        if (k->name.len == 0) {
            continue;
        }

        dst = (ngx_str_t *) ((u_char *) c + k->offset);

        if (dst->data) {
            c->error = ngx_http_cx_field_error(r, &k->name,
                                               "given more than once");
            return NGX_ERROR;
        }

        if (k->offset == offsetof(ngx_http_cx_collect_t, score)) {

            /* JSON: a number without fraction or exponent; form: text */

            if (fld->type != c->score_type) {
                c->error = "score: not an integer";
                return NGX_ERROR;
            }

        } else if (fld->type != NGX_HTTP_CX_FIELD_STRING) {
            c->error = ngx_http_cx_field_error(r, &k->name,
                                               "must be a string");
            return NGX_ERROR;
        }

        *dst = fld->value;

        if (dst->data == NULL) {
            /* an empty value is still "given" */
            dst->data = (u_char *) "";
        }
    }

    return NGX_OK;
}


static const char *
ngx_http_cx_field_error(ngx_http_request_t *r, ngx_str_t *field,
    const char *why)
{
    u_char  *p;

    p = ngx_pnalloc(r->pool, field->len + ngx_strlen(why) + 3);
    if (p == NULL) {
        return "out of memory";
    }

    ngx_sprintf(p, "%V: %s%Z", field, why);

    return (const char *) p;
}


/* every field in turn; the record is filled as they pass */

static ngx_int_t
ngx_http_cx_collect_check(ngx_http_request_t *r, ngx_http_cx_collect_t *c,
    ngx_http_cx_record_t *rec)
{
    u_char                   *p;
    ngx_int_t                 score;
    ngx_http_cx_survey_t     *s;
    ngx_http_cx_srv_conf_t   *cscf;
    ngx_http_cx_main_conf_t  *cmcf;

    cmcf = ngx_http_get_module_main_conf(r, ngx_http_cx_module);
    cscf = ngx_http_get_module_srv_conf(r, ngx_http_cx_module);

#define ngx_http_cx_need(f, name)                                            \
    if (c->f.data == NULL) {                                                  \
        c->error = name ": missing";                                          \
        return NGX_ERROR;                                                     \
    }                                                                         \
    if (!ngx_http_cx_name_valid(c->f.data, c->f.len)) {                       \
        c->error = name ": not a valid name ([a-z0-9_.-], 1 to 64 bytes)";    \
        return NGX_ERROR;                                                     \
    }

    ngx_http_cx_need(survey, "survey");

    s = ngx_http_cx_survey_find(cmcf, &c->survey);
    if (s == NULL) {
        c->error = "survey: not a survey of this site";
        return NGX_ERROR;
    }

    ngx_http_cx_need(touchpoint, "touchpoint");
    ngx_http_cx_need(event, "event");

#undef ngx_http_cx_need

    if ((c->event.len == 4 && ngx_strncmp(c->event.data, "view", 4) == 0)
        || (c->event.len == 9
            && ngx_strncmp(c->event.data, "triggered", 9) == 0))
    {
        c->error = "event: reserved for the module";
        return NGX_ERROR;
    }

    if (c->token.data == NULL) {
        c->error = "token: missing";
        return NGX_ERROR;
    }

    if (ngx_http_cx_token_verify(r, &c->token, &c->survey, &c->touchpoint,
                                 rec->nonce, &c->error)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    score = -1;

    if (c->event.len == 8 && ngx_strncmp(c->event.data, "answered", 8) == 0) {
        if (ngx_http_cx_collect_score(c, s->type, &score) != NGX_OK) {
            return NGX_ERROR;
        }

    } else if (c->score.data || c->comment.data) {
        c->error = c->score.data ? "score: only with event=answered"
                                 : "comment: only with event=answered";
        return NGX_ERROR;
    }

    if (c->comment.len > NGX_HTTP_CX_COMMENT_MAX) {
        c->error = "comment: longer than 1000 bytes";
        return NGX_ERROR;
    }

    if (!ngx_http_cx_utf8_valid(c->comment.data, c->comment.len)) {
        c->error = "comment: not valid UTF-8 text";
        return NGX_ERROR;
    }

    if (c->page.data) {
        for (p = c->page.data; p < c->page.data + c->page.len; p++) {
            if (*p <= ' ' || *p >= 0x7f) {
                break;
            }
        }

        if (c->page.len == 0 || c->page.len > NGX_HTTP_CX_PAGE_MAX
            || c->page.data[0] != '/' || p != c->page.data + c->page.len)
        {
            c->error = "page: not a path (printable ASCII from /, "
                       "at most 256 bytes)";
            return NGX_ERROR;
        }

    } else if (c->referer_path.len <= NGX_HTTP_CX_PAGE_MAX) {
        c->page = c->referer_path;
    }

    rec->site = cscf->site;
    rec->survey = s->id;
    rec->type = s->type->name;
    rec->touchpoint = c->touchpoint;
    rec->event = c->event;
    rec->comment = c->comment;
    rec->page = c->page;
    rec->score = score;
    rec->time = ngx_time();
    rec->followup = (score >= 0
                     && score <= ngx_http_cx_followup_threshold(cmcf,
                                                                s->type));

    return NGX_OK;
}


/* an integer on the survey's scale: digits only, no sign, no padding */

static ngx_int_t
ngx_http_cx_collect_score(ngx_http_cx_collect_t *c,
    ngx_http_cx_survey_type_t *type, ngx_int_t *score)
{
    ngx_int_t  n;

    if (c->score.data == NULL) {
        c->error = "score: missing (event=answered)";
        return NGX_ERROR;
    }

    n = (c->score.len && c->score.len <= 2
         && (c->score.len == 1 || c->score.data[0] != '0'))
        ? ngx_atoi(c->score.data, c->score.len) : NGX_ERROR;

    if (n == NGX_ERROR) {
        c->error = "score: not an integer";
        return NGX_ERROR;
    }

    if (n < type->min || n > type->max) {
        c->error = (type->index == 0) ? "score: out of range 0-10 for nps"
                   : (type->index == 1) ? "score: out of range 1-5 for csat"
                   : "score: out of range 1-7 for ces";
        return NGX_ERROR;
    }

    *score = n;

    return NGX_OK;
}


/*
 * NGX_HTTP_CX_FIELD_INTEGER for JSON (the type of score it takes),
 * NGX_HTTP_CX_FIELD_STRING for forms, NGX_DECLINED for anything else.
 */

static ngx_int_t
ngx_http_cx_collect_type(ngx_http_request_t *r)
{
    u_char      *p, *last;
    ngx_str_t    type;

    if (r->headers_in.content_type == NULL) {
        return NGX_DECLINED;
    }

    type = r->headers_in.content_type->value;
    last = type.data + type.len;

    for (p = type.data; p < last && *p != ';' && *p != ' '; p++) {
        /* void */
    }

    type.len = p - type.data;

    if (type.len == sizeof("application/json") - 1
        && ngx_strncasecmp(type.data, (u_char *) "application/json",
                           type.len) == 0)
    {
        return NGX_HTTP_CX_FIELD_INTEGER;
    }

    if (type.len == sizeof("application/x-www-form-urlencoded") - 1
        && ngx_strncasecmp(type.data,
                           (u_char *) "application/x-www-form-urlencoded",
                           type.len) == 0)
    {
        return NGX_HTTP_CX_FIELD_STRING;
    }

    return NGX_DECLINED;
}


/*
 * CSRF: an Origin, or else a Referer, when present, must name this
 * server as the client reached it (the Host header).  The Referer's path
 * is the default page of a follow-up.
 */

static ngx_int_t
ngx_http_cx_collect_origin(ngx_http_request_t *r, ngx_http_cx_collect_t *c)
{
    u_char           *path;
    ngx_str_t        *v;
    ngx_table_elt_t  *origin, *referer;

    origin = ngx_http_cx_header_in(r, "Origin", 6);

    if (origin) {
        v = &origin->value;

        if (ngx_http_cx_same_host(r, v->data, v->data + v->len, &path)
            != NGX_OK
            || path != v->data + v->len)
        {
            c->error = "origin: cross-origin posts are not accepted";
            return NGX_HTTP_FORBIDDEN;
        }
    }

    referer = r->headers_in.referer;

    if (referer == NULL) {
        return NGX_OK;
    }

    v = &referer->value;

    if (ngx_http_cx_same_host(r, v->data, v->data + v->len, &path)
        != NGX_OK)
    {
        if (origin) {
            /* the Origin vouches; the Referer only names the page */
            return NGX_OK;
        }

        c->error = "referer: cross-origin posts are not accepted";
        return NGX_HTTP_FORBIDDEN;
    }

    c->referer_path.data = path;
    c->referer_path.len = v->data + v->len - path;

    /* the path only: no query string, no fragment */

    for (path = c->referer_path.data;
         path < c->referer_path.data + c->referer_path.len;
         path++)
    {
        if (*path == '?' || *path == '#') {
            c->referer_path.len = path - c->referer_path.data;
            break;
        }
    }

    return NGX_OK;
}


/* "scheme://host[:port]..." naming the request's Host; *path after it */

static ngx_int_t
ngx_http_cx_same_host(ngx_http_request_t *r, u_char *p, u_char *last,
    u_char **path)
{
    u_char     *host;
    ngx_str_t  *want;

    if (r->headers_in.host == NULL) {
        return NGX_DECLINED;
    }

    want = &r->headers_in.host->value;

    if (last - p > 8 && ngx_strncasecmp(p, (u_char *) "https://", 8) == 0) {
        p += 8;

    } else if (last - p > 7
               && ngx_strncasecmp(p, (u_char *) "http://", 7) == 0)
    {
        p += 7;

    } else {
        return NGX_DECLINED;
    }

    host = p;

    while (p < last && *p != '/' && *p != '?' && *p != '#') {
        p++;
    }

    if ((size_t) (p - host) != want->len
        || ngx_strncasecmp(host, want->data, want->len) != 0)
    {
        return NGX_DECLINED;
    }

    *path = p;

    return NGX_OK;
}


static ngx_table_elt_t *
ngx_http_cx_header_in(ngx_http_request_t *r, const char *name, size_t len)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    part = &r->headers_in.headers.part;
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

        if (h[i].key.len == len
            && ngx_strncasecmp(h[i].key.data, (u_char *) name, len) == 0)
        {
            return &h[i];
        }
    }
}


static ngx_int_t
ngx_http_cx_collect_error(ngx_http_request_t *r, ngx_uint_t status,
    const char *error)
{
    return ngx_http_cx_json_error(r, status, NULL, error);
}
