
/*
 * ngx_http_cx_collect.c: the cx_collect handler -- widget events and
 * survey answers in (POST, form-encoded or JSON).  Everything a visitor
 * sends is checked: the method, size and type of the body (read by hand,
 * never past NGX_HTTP_CX_BODY_MAX bytes), its origin, every field (names,
 * the survey, the score on the survey's scale, the comment, the page;
 * a comment after its answer is event=commented, with the answer's score),
 * the token issued with the survey tag, and what this worker has already
 * seen of the token (ngx_http_cx_token_use()).  An accepted event is
 * queued for the next flush and answered 204 at once; the flush script
 * applies it at most once per token, within the token's and the site's
 * limits on custom events (ngx_http_cx_flush.c).
 */


#include "ngx_http_cx_module.h"
#include "ngx_http_cx_body.h"
#include "ngx_http_cx_collect.h"
#include "ngx_http_cx_counter.h"
#include "ngx_http_cx_events.h"
#include "ngx_http_cx_json.h"
#include "ngx_http_cx_metrics.h"
#include "ngx_http_cx_pageview.h"
#include "ngx_http_cx_survey.h"
#include "ngx_http_cx_token.h"
#include "ngx_http_cx_util.h"


#define NGX_HTTP_CX_BODY_MAX     4096
#define NGX_HTTP_CX_COMMENT_MAX  1000
#define NGX_HTTP_CX_PAGE_MAX     256


typedef struct {
    ngx_str_t                    survey;
    ngx_str_t                    touchpoint;
    ngx_str_t                    event;
    ngx_str_t                    score;
    ngx_str_t                    comment;
    ngx_str_t                    token;
    ngx_str_t                    page;
    ngx_uint_t                   score_type;
    ngx_http_cx_event_e          kind;      /* the widget's, or custom */
    ngx_str_t                    referer_path;
    ngx_str_t                    body;      /* NGX_HTTP_CX_BODY_MAX bytes */
    const char                  *error;
} ngx_http_cx_collect_t;


typedef struct {
    ngx_str_t                    name;
    size_t                       offset;
} ngx_http_cx_collect_field_t;


static ngx_int_t ngx_http_cx_collect_handler(ngx_http_request_t *r);
static void ngx_http_cx_collect_body(ngx_http_request_t *r);
static void ngx_http_cx_collect_read(ngx_http_request_t *r);
static ngx_int_t ngx_http_cx_collect_take(ngx_http_request_t *r,
    ngx_http_cx_collect_t *c);
static ngx_int_t ngx_http_cx_collect_unread(ngx_http_request_t *r,
    ngx_int_t rc);
static void ngx_http_cx_collect_done(ngx_http_request_t *r,
    ngx_http_cx_collect_t *c);
static ngx_int_t ngx_http_cx_collect_process(ngx_http_request_t *r,
    ngx_http_cx_collect_t *c);
static ngx_int_t ngx_http_cx_collect_fields(ngx_http_request_t *r,
    ngx_http_cx_fields_t *f, ngx_http_cx_collect_t *c);
static const char *ngx_http_cx_field_error(ngx_http_request_t *r,
    ngx_str_t *field, const char *why);
static ngx_int_t ngx_http_cx_collect_check(ngx_http_request_t *r,
    ngx_http_cx_collect_t *c, ngx_http_cx_record_t *rec);
static ngx_int_t ngx_http_cx_collect_score(ngx_http_cx_collect_t *c,
    ngx_http_cx_survey_type_t *type, ngx_int_t *score);
static ngx_int_t ngx_http_cx_collect_commented(ngx_http_cx_main_conf_t *cmcf,
    ngx_http_cx_collect_t *c, ngx_http_cx_survey_t *s, ngx_int_t score);
static const char *ngx_http_cx_collect_text(u_char *p, size_t len);
static ngx_int_t ngx_http_cx_collect_page(ngx_str_t *page);
static ngx_int_t ngx_http_cx_collect_type(ngx_http_request_t *r);
static ngx_int_t ngx_http_cx_collect_origin(ngx_http_request_t *r,
    ngx_http_cx_collect_t *c);
static ngx_int_t ngx_http_cx_same_host(ngx_http_request_t *r, u_char *p,
    u_char *last, u_char **path);
static ngx_int_t ngx_http_cx_collect_error(ngx_http_request_t *r,
    ngx_uint_t status, const char *error);
static ngx_http_cx_stat_e ngx_http_cx_collect_refusal(ngx_uint_t status,
    const char *error);


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
    ngx_int_t               rc;
    ngx_table_elt_t        *allow;
    ngx_http_cx_ctx_t      *ctx;
    ngx_http_cx_collect_t  *c;

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

    ctx = ngx_http_cx_get_ctx(r);
    c = ngx_pcalloc(r->pool, sizeof(ngx_http_cx_collect_t));

    if (ctx == NULL || c == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    c->body.data = ngx_pnalloc(r->pool, NGX_HTTP_CX_BODY_MAX);
    if (c->body.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->collect = c;

    /*
     * The body is taken as nginx reads it, so that one over the limit is
     * refused at its 4097th byte: buffered reading would take a chunked
     * body whole (up to client_max_body_size, in a temporary file) first.
     */

    r->request_body_no_buffering = 1;

    rc = ngx_http_read_client_request_body(r, ngx_http_cx_collect_body);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return ngx_http_cx_collect_unread(r, rc);
    }

    return NGX_DONE;
}


static void
ngx_http_cx_collect_body(ngx_http_request_t *r)
{
    if (r->reading_body) {
        r->read_event_handler = ngx_http_cx_collect_read;
    }

    ngx_http_cx_collect_read(r);
}


/* the read event handler while the body comes, then the answer */

static void
ngx_http_cx_collect_read(ngx_http_request_t *r)
{
    ngx_int_t               rc;
    ngx_http_cx_ctx_t      *ctx;
    ngx_http_cx_collect_t  *c;

    ctx = ngx_http_get_module_ctx(r, ngx_http_cx_module);
    c = ctx->collect;

    for ( ;; ) {
        if (ngx_http_cx_collect_take(r, c) != NGX_OK) {

            /* the rest is not read: nginx discards it after the answer */

            r->read_event_handler = ngx_http_block_reading;
            r->keepalive = 0;
            r->lingering_close = 1;

            ngx_http_finalize_request(r, ngx_http_cx_collect_error(r,
                                          NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                          "body: larger than 4096 bytes"));
            return;
        }

        if (!r->reading_body) {
            break;
        }

        rc = ngx_http_read_unbuffered_request_body(r);

        if (rc >= NGX_HTTP_SPECIAL_RESPONSE || rc == NGX_ERROR) {
            r->read_event_handler = ngx_http_block_reading;
            ngx_http_finalize_request(r, ngx_http_cx_collect_unread(r, rc));
            return;
        }

        if (rc == NGX_AGAIN
            && (r->request_body == NULL || r->request_body->bufs == NULL))
        {
            /* more later: this handler is called again */
            return;
        }
    }

    r->read_event_handler = ngx_http_block_reading;

    ngx_http_cx_collect_done(r, c);
}


/*
 * What nginx has read of the body since the last call moves into
 * c->body; its buffers are free for more.  NGX_DECLINED: the body is
 * larger than NGX_HTTP_CX_BODY_MAX.
 */

static ngx_int_t
ngx_http_cx_collect_take(ngx_http_request_t *r, ngx_http_cx_collect_t *c)
{
    size_t                    size;
    ngx_buf_t                *b;
    ngx_chain_t              *cl;
    ngx_http_request_body_t  *rb;

    rb = r->request_body;

    if (rb == NULL) {
        return NGX_OK;
    }

    while (rb->bufs) {
        cl = rb->bufs;
        b = cl->buf;

        size = ngx_buf_in_memory(b) ? (size_t) (b->last - b->pos) : 0;

        if ((b->in_file && !ngx_buf_in_memory(b))
            || size > NGX_HTTP_CX_BODY_MAX - c->body.len)
        {
            /* a file only when read before (client_body_in_file_only) */
            return NGX_DECLINED;
        }

        if (size) {
            ngx_memcpy(c->body.data + c->body.len, b->pos, size);
            c->body.len += size;
            b->pos = b->last;
        }

        rb->bufs = cl->next;
        ngx_free_chain(r->pool, cl);
    }

    return NGX_OK;
}


/* the body could not be read: a JSON answer where the client waits one */

static ngx_int_t
ngx_http_cx_collect_unread(ngx_http_request_t *r, ngx_int_t rc)
{
    if (r->connection->error || r->connection->timedout
        || (rc != NGX_HTTP_REQUEST_ENTITY_TOO_LARGE
            && rc != NGX_HTTP_BAD_REQUEST))
    {
        /* gone, timed out, or a failure: nginx's own way */
        return (rc == NGX_ERROR) ? NGX_HTTP_INTERNAL_SERVER_ERROR : rc;
    }

    r->keepalive = 0;
    r->lingering_close = 1;

    if (rc == NGX_HTTP_REQUEST_ENTITY_TOO_LARGE) {
        return ngx_http_cx_collect_error(r, rc, "body: larger than "
                                                "client_max_body_size");
    }

    return ngx_http_cx_collect_error(r, rc, "body: invalid chunked encoding");
}


static void
ngx_http_cx_collect_done(ngx_http_request_t *r, ngx_http_cx_collect_t *c)
{
    ngx_int_t  rc;

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

    body = c->body;

    if (body.len == 0) {
        c->error = "body: empty";
        return NGX_HTTP_BAD_REQUEST;
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

    /* the door: what this worker has seen of the token */

    rc = ngx_http_cx_token_use(rec.nonce, c->kind,
                               rec.custom ? &rec.event : NULL);

    if (rc == NGX_BUSY) {
        c->error = "token: already used for this event";
        return NGX_HTTP_TOO_MANY_REQUESTS;
    }

    if (rc == NGX_DECLINED) {
        c->error = "event: at most " ngx_value(NGX_HTTP_CX_TOKEN_CUSTOM)
                   " custom events per token";
        return NGX_HTTP_TOO_MANY_REQUESTS;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "cx collect: queued %V at %V", &rec.event,
                   &rec.touchpoint);

    if (ngx_http_cx_record_add(&rec) != NGX_OK) {
        /* past cx_buffer: counted as dropped, logged at the next flush */
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "cx collect: record dropped");
    }

    ngx_http_cx_stat_inc(r, ngx_http_cx_stat_collected);

    return NGX_HTTP_NO_CONTENT;
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

    /* the widget's own events, each once per token, or custom ones */

    c->kind = ngx_http_cx_event_find(&c->event);

    if (c->kind < ngx_http_cx_event_shown) {
        c->error = "event: reserved for the module";
        return NGX_ERROR;
    }

    if (c->kind == ngx_http_cx_event_custom && cmcf->custom_names == 0) {
        c->error = "event: custom events are off (cx_custom_event_names 0)";
        return NGX_ERROR;
    }

    if (c->token.data == NULL) {
        c->error = "token: missing";
        return NGX_ERROR;
    }

    if (ngx_http_cx_token_verify(r, &c->token, &c->survey, &c->touchpoint,
                                 rec->nonce, &rec->variant, &c->error)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    score = -1;

    if (c->kind == ngx_http_cx_event_answered
        || c->kind == ngx_http_cx_event_commented)
    {
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

    c->error = ngx_http_cx_collect_text(c->comment.data, c->comment.len);

    if (c->error) {
        return NGX_ERROR;
    }

    if (c->kind == ngx_http_cx_event_commented
        && ngx_http_cx_collect_commented(cmcf, c, s, score) != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (c->page.data) {
        if (!ngx_http_cx_collect_page(&c->page)) {
            c->error = "page: not a path (/ then printable ASCII but \" < >, "
                       "at most 256 bytes)";
            return NGX_ERROR;
        }

    } else if (ngx_http_cx_collect_page(&c->referer_path)) {
        c->page = c->referer_path;

    } else if (c->referer_path.len) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "cx collect: the Referer's path is not a page, "
                      "not stored");
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
    rec->custom = (c->kind == ngx_http_cx_event_custom);
    rec->commented = (c->kind == ngx_http_cx_event_commented);
    rec->followup = rec->commented
                    || (score >= 0
                        && score <= ngx_http_cx_followup_threshold(cmcf,
                                                                   s->type));

    return NGX_OK;
}


/*
 * A comment after its answer (event=commented, with the answer's score):
 * one the survey asks for at that score (followup=low: low scores, all,
 * none).  Its follow-up stream entry joins the answer's (the flush).
 */

static ngx_int_t
ngx_http_cx_collect_commented(ngx_http_cx_main_conf_t *cmcf,
    ngx_http_cx_collect_t *c, ngx_http_cx_survey_t *s, ngx_int_t score)
{
    if (c->comment.len == 0) {
        c->error = "comment: missing (event=commented)";
        return NGX_ERROR;
    }

    if (s->followup == NGX_HTTP_CX_FOLLOWUP_NONE
        || (s->followup == NGX_HTTP_CX_FOLLOWUP_LOW
            && score > ngx_http_cx_followup_threshold(cmcf, s->type)))
    {
        c->error = "comment: the survey asks for none at this score "
                   "(followup=)";
        return NGX_ERROR;
    }

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
 * A comment is UTF-8 text as a person types it: NULL, or why not.  No
 * control characters (C0, DEL, C1) but tab, newline and CR LF; no bidi
 * embeddings, overrides or isolates, which reorder what a reader of the
 * follow-up sees (U+202E turns "gnp.exe" into "exe.png").
 */

static const char *
ngx_http_cx_collect_text(u_char *p, size_t len)
{
    u_char    *last;
    uint32_t   u;

    last = p + len;

    while (p < last) {

        if (*p < 0x80) {

            if (*p == '\r' && last - p > 1 && p[1] == '\n') {
                p += 2;
                continue;
            }

            if ((*p < 0x20 && *p != '\t' && *p != '\n') || *p == 0x7f) {
                goto control;
            }

            p++;
            continue;
        }

        u = ngx_utf8_decode(&p, last - p);

        if (u > 0x10ffff || (u >= 0xd800 && u <= 0xdfff)) {
            return "comment: not valid UTF-8 text";
        }

        if (u <= 0x9f) {
            goto control;
        }

        if ((u >= 0x202a && u <= 0x202e) || (u >= 0x2066 && u <= 0x2069)) {
            return "comment: a bidirectional control (U+202A-U+202E, "
                   "U+2066-U+2069)";
        }
    }

    return NULL;

control:

    return "comment: a control character (only tab and newline are allowed)";
}


/*
 * A page, from the field or the Referer: a path as browsers send it --
 * "/" then printable ASCII, with the bytes they always escape (space,
 * quotes, angle brackets) escaped -- of at most NGX_HTTP_CX_PAGE_MAX.
 */

static ngx_int_t
ngx_http_cx_collect_page(ngx_str_t *page)
{
    u_char  *p, *last;

    if (page->len == 0 || page->len > NGX_HTTP_CX_PAGE_MAX
        || page->data[0] != '/')
    {
        return 0;
    }

    last = page->data + page->len;

    for (p = page->data; p < last; p++) {
        if (*p <= ' ' || *p >= 0x7f || *p == '"' || *p == '<' || *p == '>') {
            return 0;
        }
    }

    return 1;
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

    origin = ngx_http_cx_header_find(&r->headers_in.headers,
                                     (u_char *) "Origin", 6, 0);

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


static ngx_int_t
ngx_http_cx_collect_error(ngx_http_request_t *r, ngx_uint_t status,
    const char *error)
{
    if (error == NULL) {
        error = "body: invalid";
    }

    ngx_http_cx_stat_inc(r, ngx_http_cx_collect_refusal(status, error));

    /* the JSON sender adds nosniff */

    return ngx_http_cx_json_error(r, status, NULL, error);
}


/* the metric of a refusal: by status, then by the field the error names */

static ngx_http_cx_stat_e
ngx_http_cx_collect_refusal(ngx_uint_t status, const char *error)
{
    if (status == NGX_HTTP_REQUEST_ENTITY_TOO_LARGE) {
        return ngx_http_cx_stat_refused_too_large;
    }

    if (status == NGX_HTTP_TOO_MANY_REQUESTS) {
        return (ngx_strncmp(error, "token:", 6) == 0)
               ? ngx_http_cx_stat_refused_replay
               : ngx_http_cx_stat_refused_token_events;
    }

    if (ngx_strncmp(error, "token:", 6) == 0) {
        return ngx_http_cx_stat_refused_token;
    }

    if (ngx_strncmp(error, "comment:", 8) == 0) {
        return ngx_http_cx_stat_refused_comment;
    }

    if (ngx_strncmp(error, "page:", 5) == 0) {
        return ngx_http_cx_stat_refused_page;
    }

    return ngx_http_cx_stat_refused_other;
}
