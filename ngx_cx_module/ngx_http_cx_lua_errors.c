
/*
 * ngx_http_cx_lua_errors.c: the rules' failures where marketers look, not
 * only in the error log.  A shared memory zone (all workers; kept across
 * reloads) holds, per configured rule file, its failures counted by kind
 * and its last NGX_HTTP_CX_LUA_ERRORS_LAST distinct errors -- where, what,
 * how often, since when.  cx_metrics prints the counts per file and kind
 * (ngx_http_cx_metrics.c calls in here); /cx/score?report=rules gives the
 * errors as JSON (ngx_http_cx_score.c calls in here), for the dashboard's
 * Rules panel.
 *
 * A file's entry is made when nginx reads its configuration and found by
 * its path on a reload, so its counts go on.  Entries are never freed: an
 * old worker may still write to one while it shuts down.  A file that is
 * no longer configured is not shown; the zone holds the entries of about
 * 200 files.
 */


#include "ngx_http_cx_lua.h"
#include "ngx_http_cx_json.h"


#define NGX_HTTP_CX_LUA_ERRORS_LAST   8
#define NGX_HTTP_CX_LUA_ERRORS_SIZE   (1024 * 1024)
#define NGX_HTTP_CX_LUA_KINDS         4     /* error, result, budget,
                                               memory */


/* one distinct error of a file: the same message counts as one */

typedef struct {
    time_t                       first;
    time_t                       last;
    ngx_uint_t                   seq;       /* the file's, when it was
                                               last seen */
    ngx_uint_t                   count;
    ngx_uint_t                   line;      /* 0: no line */
    u_char                       kind;      /* ngx_http_cx_lua_fail_e - 1 */
    u_char                       touchpoint;    /* in touchpoint(), not
                                                   trigger() */
    u_short                      len;
    u_char                       msg[NGX_HTTP_CX_LUA_MSG_MAX];
} ngx_http_cx_lua_error_t;


typedef struct {
    ngx_queue_t                  queue;
    ngx_atomic_t                 failures[NGX_HTTP_CX_LUA_KINDS];
    time_t                       since;     /* counted from */
    ngx_uint_t                   seq;       /* errors seen */
    ngx_uint_t                   nerrors;
    ngx_http_cx_lua_error_t      errors[NGX_HTTP_CX_LUA_ERRORS_LAST];
    size_t                       len;
    u_char                       file[1];
} ngx_http_cx_lua_errors_file_t;


typedef struct {
    ngx_queue_t                  files;
} ngx_http_cx_lua_errors_sh_t;


typedef struct {
    ngx_http_cx_lua_errors_sh_t *sh;
    ngx_slab_pool_t             *shpool;
    ngx_http_cx_lua_conf_t      *lc;
} ngx_http_cx_lua_errors_ctx_t;


static ngx_int_t ngx_http_cx_lua_errors_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
static ngx_http_cx_lua_errors_file_t *ngx_http_cx_lua_errors_file(
    ngx_http_cx_lua_errors_ctx_t *ctx, ngx_str_t *path, ngx_log_t *log);
static ngx_uint_t ngx_http_cx_lua_errors_line(ngx_str_t *file, u_char **msg,
    size_t *len);
static ngx_http_cx_lua_errors_ctx_t *ngx_http_cx_lua_errors_ctx(
    ngx_http_cx_main_conf_t *cmcf);
static u_char *ngx_http_cx_lua_errors_label(u_char *p, u_char *s,
    size_t len);
static void ngx_http_cx_lua_errors_time(ngx_http_cx_json_t *j, time_t t);


static char  *ngx_http_cx_lua_kinds[NGX_HTTP_CX_LUA_KINDS] = {
    "error", "result", "budget", "memory"
};


/* postconfiguration: the zone, when there are rule files */

ngx_int_t
ngx_http_cx_lua_errors_init_conf(ngx_conf_t *cf, ngx_http_cx_lua_conf_t *lc)
{
    ngx_str_t                      name = ngx_string("ngx_http_cx_rules");
    ngx_shm_zone_t                *zone;
    ngx_http_cx_lua_errors_ctx_t  *ctx;

    ctx = ngx_pcalloc(cf->pool, sizeof(ngx_http_cx_lua_errors_ctx_t));
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    ctx->lc = lc;

    zone = ngx_shared_memory_add(cf, &name, NGX_HTTP_CX_LUA_ERRORS_SIZE,
                                 &ngx_http_cx_module);
    if (zone == NULL) {
        return NGX_ERROR;
    }

    zone->init = ngx_http_cx_lua_errors_init_zone;
    zone->data = ctx;

    lc->errors = zone;

    return NGX_OK;
}


/*
 * The zone made (or found again on a reload): every configured file gets
 * its entry, an old one when the path is the same
 */

static ngx_int_t
ngx_http_cx_lua_errors_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_http_cx_lua_errors_ctx_t  *octx = data;

    ngx_uint_t                      i;
    ngx_http_cx_rules_t           **rules;
    ngx_http_cx_lua_errors_ctx_t   *ctx;

    ctx = shm_zone->data;
    ctx->shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (octx) {
        ctx->sh = octx->sh;

    } else if (shm_zone->shm.exists) {
        ctx->sh = ctx->shpool->data;

    } else {
        ctx->sh = ngx_slab_alloc(ctx->shpool,
                                 sizeof(ngx_http_cx_lua_errors_sh_t));
        if (ctx->sh == NULL) {
            return NGX_ERROR;
        }

        ngx_queue_init(&ctx->sh->files);
        ctx->shpool->data = ctx->sh;
        ctx->shpool->log_nomem = 0;
    }

    ngx_shmtx_lock(&ctx->shpool->mutex);

    rules = ctx->lc->rules.elts;

    for (i = 0; i < ctx->lc->rules.nelts; i++) {
        rules[i]->errors = ngx_http_cx_lua_errors_file(ctx, &rules[i]->file,
                                                       shm_zone->shm.log);
    }

    ngx_shmtx_unlock(&ctx->shpool->mutex);

    return NGX_OK;
}


static ngx_http_cx_lua_errors_file_t *
ngx_http_cx_lua_errors_file(ngx_http_cx_lua_errors_ctx_t *ctx,
    ngx_str_t *path, ngx_log_t *log)
{
    ngx_queue_t                    *q;
    ngx_http_cx_lua_errors_file_t  *f;

    for (q = ngx_queue_head(&ctx->sh->files);
         q != ngx_queue_sentinel(&ctx->sh->files);
         q = ngx_queue_next(q))
    {
        f = ngx_queue_data(q, ngx_http_cx_lua_errors_file_t, queue);

        if (f->len == path->len
            && ngx_memcmp(f->file, path->data, path->len) == 0)
        {
            return f;
        }
    }

    f = ngx_slab_calloc_locked(ctx->shpool,
                               sizeof(ngx_http_cx_lua_errors_file_t)
                               + path->len);
    if (f == NULL) {
        ngx_log_error(NGX_LOG_WARN, log, 0,
                      "cx rules: no room to keep the errors of \"%V\" for "
                      "cx_metrics and report=rules (too many rule files "
                      "since nginx started)", path);
        return NULL;
    }

    f->len = path->len;
    ngx_memcpy(f->file, path->data, path->len);
    f->since = ngx_time();

    ngx_queue_insert_tail(&ctx->sh->files, &f->queue);

    return f;
}


/*
 * A failure of a call of the file's trigger(r) or touchpoint(r): counted
 * by kind, and its message kept -- with the count and the first and
 * last time of the same message, the least recent one making room.  msg
 * is what the error log gets: escaped, "file:line: what" mostly.
 */

void
ngx_http_cx_lua_errors_note(ngx_http_request_t *r, ngx_http_cx_rules_t *rules,
    const char *what, ngx_http_cx_lua_fail_e fail, u_char *msg)
{
    u_char                         *text;
    size_t                          len;
    time_t                          now;
    ngx_uint_t                      i, kind, line, oldest;
    ngx_slab_pool_t                *shpool;
    ngx_http_cx_main_conf_t        *cmcf;
    ngx_http_cx_lua_error_t        *e;
    ngx_http_cx_lua_errors_ctx_t   *ctx;
    ngx_http_cx_lua_errors_file_t  *f;

    f = rules->errors;

    if (f == NULL || fail == ngx_http_cx_lua_ok) {
        return;
    }

    kind = fail - 1;

    (void) ngx_atomic_fetch_add(&f->failures[kind], 1);

    cmcf = ngx_http_get_module_main_conf(r, ngx_http_cx_module);
    ctx = ngx_http_cx_lua_errors_ctx(cmcf);

    if (ctx == NULL) {
        return;
    }

    text = msg;
    len = ngx_strlen(msg);
    line = ngx_http_cx_lua_errors_line(&rules->file, &text, &len);
    now = ngx_time();

    shpool = ctx->shpool;

    ngx_shmtx_lock(&shpool->mutex);

    oldest = 0;
    f->seq++;

    for (i = 0; i < f->nerrors; i++) {
        e = &f->errors[i];

        if (e->len == len && e->line == line && e->kind == kind
            && ngx_memcmp(e->msg, text, len) == 0)
        {
            e->count++;
            e->last = now;
            e->seq = f->seq;
            goto done;
        }

        if (e->seq < f->errors[oldest].seq) {
            oldest = i;
        }
    }

    if (f->nerrors < NGX_HTTP_CX_LUA_ERRORS_LAST) {
        oldest = f->nerrors++;
    }

    e = &f->errors[oldest];

    e->first = now;
    e->last = now;
    e->seq = f->seq;
    e->count = 1;
    e->line = line;
    e->kind = (u_char) kind;
    e->touchpoint = (what[0] == 't' && what[1] == 'o');
    e->len = (u_short) len;
    ngx_memcpy(e->msg, text, len);

done:

    ngx_shmtx_unlock(&shpool->mutex);
}


/*
 * The line of "file:line: what" (LuaJIT's name of the file: "..." and
 * its last 56 bytes when it is longer than 59), msg and len then the
 * "what"; 0 when it has none, msg then without a leading "file: "
 */

static ngx_uint_t
ngx_http_cx_lua_errors_line(ngx_str_t *file, u_char **msg, size_t *len)
{
    u_char      *p, *last, *name;
    size_t       n;
    ngx_uint_t   line;

    p = *msg;
    last = p + *len;
    name = file->data;
    n = file->len;

    if (n >= 60 && (size_t) (last - p) > 3 && ngx_strncmp(p, "...", 3) == 0
        && (size_t) (last - p) > 3 + 56
        && ngx_memcmp(p + 3, name + n - 56, 56) == 0)
    {
        p += 3 + 56;

    } else if ((size_t) (last - p) > n && ngx_memcmp(p, name, n) == 0) {
        p += n;

    } else {
        return 0;
    }

    if (p == last || *p++ != ':') {
        return 0;
    }

    if (p < last && *p == ' ') {
        /* "file: what" */
        *msg = p + 1;
        *len = last - *msg;
        return 0;
    }

    line = 0;

    while (p < last && *p >= '0' && *p <= '9' && line < 100000000) {
        line = line * 10 + (*p++ - '0');
    }

    if (line == 0 || last - p < 2 || p[0] != ':' || p[1] != ' ') {
        return 0;
    }

    *msg = p + 2;
    *len = last - *msg;

    return line;
}


static ngx_http_cx_lua_errors_ctx_t *
ngx_http_cx_lua_errors_ctx(ngx_http_cx_main_conf_t *cmcf)
{
    ngx_http_cx_lua_conf_t  *lc;

    if (cmcf == NULL || cmcf->lua == NULL) {
        return NULL;
    }

    lc = cmcf->lua;

    if (lc->errors == NULL) {
        return NULL;
    }

    return lc->errors->data;
}


/*
 * cx_metrics: cx_rules_file_failures_total{file="...",reason="..."}, a
 * line per configured file and kind.  size() is what print() may write.
 */

size_t
ngx_http_cx_rules_metrics_size(ngx_http_cx_main_conf_t *cmcf)
{
    size_t                    size;
    ngx_uint_t                i;
    ngx_http_cx_rules_t     **rules;
    ngx_http_cx_lua_conf_t   *lc;

    lc = cmcf->lua;

    if (lc == NULL || lc->errors == NULL) {
        return 0;
    }

    size = 256;
    rules = lc->rules.elts;

    for (i = 0; i < lc->rules.nelts; i++) {
        size += NGX_HTTP_CX_LUA_KINDS
                * (2 * rules[i]->file.len + sizeof("cx_rules_file_failures_"
                   "total{file=\"\",reason=\"memory\"} ") + NGX_ATOMIC_T_LEN
                   + 1);
    }

    return size;
}


u_char *
ngx_http_cx_rules_metrics(u_char *p, ngx_http_cx_main_conf_t *cmcf)
{
    ngx_uint_t                      i, k;
    ngx_http_cx_rules_t           **rules;
    ngx_http_cx_lua_conf_t         *lc;
    ngx_http_cx_lua_errors_file_t  *f;

    lc = cmcf->lua;

    if (lc == NULL || lc->errors == NULL) {
        return p;
    }

    p = ngx_sprintf(p, "# HELP cx_rules_file_failures_total Rule calls that "
                       "failed, per rule file and reason (report=rules "
                       "has their messages).\n"
                       "# TYPE cx_rules_file_failures_total counter\n");

    rules = lc->rules.elts;

    for (i = 0; i < lc->rules.nelts; i++) {
        f = rules[i]->errors;

        for (k = 0; k < NGX_HTTP_CX_LUA_KINDS; k++) {
            p = ngx_sprintf(p, "cx_rules_file_failures_total{file=\"");
            p = ngx_http_cx_lua_errors_label(p, rules[i]->file.data,
                                             rules[i]->file.len);
            p = ngx_sprintf(p, "\",reason=\"%s\"} %uA\n",
                            ngx_http_cx_lua_kinds[k],
                            f ? f->failures[k] : 0);
        }
    }

    return p;
}


/* a label value: backslash, double quote and newline escaped */

static u_char *
ngx_http_cx_lua_errors_label(u_char *p, u_char *s, size_t len)
{
    u_char  *last;

    for (last = s + len; s < last; s++) {
        switch (*s) {
        case '\\':
        case '"':
            *p++ = '\\';
            *p++ = *s;
            break;
        case '\n':
            *p++ = '\\';
            *p++ = 'n';
            break;
        default:
            *p++ = *s;
        }
    }

    return p;
}


/*
 * GET /cx/score?report=rules: per configured rule file, its failures by
 * kind and its last errors, the most recent first.  From the zone, so
 * every worker answers the same; no Redis.
 */

ngx_int_t
ngx_http_cx_rules_report(ngx_http_request_t *r)
{
    ngx_str_t                       s;
    ngx_uint_t                      i, k, m, t, n, nfiles;
    ngx_http_cx_json_t              j;
    ngx_http_cx_rules_t           **rules;
    ngx_http_cx_lua_conf_t         *lc;
    ngx_http_cx_main_conf_t        *cmcf;
    ngx_http_cx_lua_error_t        *e, *copy;
    ngx_http_cx_lua_errors_ctx_t   *ctx;
    ngx_http_cx_lua_errors_file_t  *f;
    ngx_uint_t                      order[NGX_HTTP_CX_LUA_ERRORS_LAST];

    cmcf = ngx_http_get_module_main_conf(r, ngx_http_cx_module);
    lc = cmcf->lua;
    ctx = ngx_http_cx_lua_errors_ctx(cmcf);
    nfiles = (lc && ctx) ? lc->rules.nelts : 0;

    copy = ngx_palloc(r->pool, sizeof(ngx_http_cx_lua_error_t)
                               * NGX_HTTP_CX_LUA_ERRORS_LAST);
    if (copy == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* the writer grows as it needs */

    if (ngx_http_cx_json_init(&j, r->pool, 1024 + nfiles * 1024) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_cx_json_object(&j);

    ngx_http_cx_json_key(&j, "report");
    ngx_http_cx_json_cstr(&j, "rules");

    ngx_http_cx_json_key(&j, "files");
    ngx_http_cx_json_array(&j);

    rules = nfiles ? lc->rules.elts : NULL;

    for (i = 0; i < nfiles; i++) {
        f = rules[i]->errors;

        ngx_http_cx_json_object(&j);

        ngx_http_cx_json_key(&j, "file");
        ngx_http_cx_json_str(&j, &rules[i]->file);

        ngx_http_cx_json_key(&j, "since");
        ngx_http_cx_lua_errors_time(&j, f ? f->since : 0);

        ngx_http_cx_json_key(&j, "failures");
        ngx_http_cx_json_object(&j);

        for (k = 0; k < NGX_HTTP_CX_LUA_KINDS; k++) {
            ngx_http_cx_json_key(&j, ngx_http_cx_lua_kinds[k]);
            ngx_http_cx_json_uint(&j, f ? f->failures[k] : 0);
        }

        ngx_http_cx_json_end(&j);

        /* a copy, taken under the lock */

        n = 0;

        if (f) {
            ngx_shmtx_lock(&ctx->shpool->mutex);
            n = f->nerrors;
            ngx_memcpy(copy, f->errors, n * sizeof(ngx_http_cx_lua_error_t));
            ngx_shmtx_unlock(&ctx->shpool->mutex);
        }

        /* the most recent first: a few, sorted by insertion */

        for (k = 0; k < n; k++) {
            order[k] = k;
        }

        for (k = 1; k < n; k++) {
            t = order[k];

            for (m = k; m > 0 && copy[order[m - 1]].seq < copy[t].seq; m--) {
                order[m] = order[m - 1];
            }

            order[m] = t;
        }

        ngx_http_cx_json_key(&j, "errors");
        ngx_http_cx_json_array(&j);

        for (k = 0; k < n; k++) {
            e = &copy[order[k]];

            ngx_http_cx_json_object(&j);

            ngx_http_cx_json_key(&j, "line");
            if (e->line) {
                ngx_http_cx_json_uint(&j, e->line);
            } else {
                ngx_http_cx_json_null(&j);
            }

            ngx_http_cx_json_key(&j, "function");
            ngx_http_cx_json_cstr(&j, e->touchpoint ? "touchpoint"
                                                    : "trigger");

            ngx_http_cx_json_key(&j, "reason");
            ngx_http_cx_json_cstr(&j, ngx_http_cx_lua_kinds[e->kind]);

            ngx_http_cx_json_key(&j, "message");
            s.data = e->msg;
            s.len = e->len;
            ngx_http_cx_json_str(&j, &s);

            ngx_http_cx_json_key(&j, "count");
            ngx_http_cx_json_uint(&j, e->count);

            ngx_http_cx_json_key(&j, "first");
            ngx_http_cx_lua_errors_time(&j, e->first);

            ngx_http_cx_json_key(&j, "last");
            ngx_http_cx_lua_errors_time(&j, e->last);

            ngx_http_cx_json_end(&j);
        }

        ngx_http_cx_json_end(&j);
        ngx_http_cx_json_end(&j);
    }

    ngx_http_cx_json_end(&j);
    ngx_http_cx_json_end(&j);

    return ngx_http_cx_json_respond(r, NGX_HTTP_OK, &j);
}


/* "2026-11-23T15:50:02Z", or null for 0 */

static void
ngx_http_cx_lua_errors_time(ngx_http_cx_json_t *j, time_t t)
{
    u_char     *p;
    ngx_tm_t    tm;
    ngx_str_t   s;
    u_char      buf[sizeof("2026-11-23T15:50:02Z")];

    if (t == 0) {
        ngx_http_cx_json_null(j);
        return;
    }

    ngx_gmtime(t, &tm);

    p = ngx_sprintf(buf, "%4d-%02d-%02dT%02d:%02d:%02dZ",
                    tm.ngx_tm_year, tm.ngx_tm_mon, tm.ngx_tm_mday,
                    tm.ngx_tm_hour, tm.ngx_tm_min, tm.ngx_tm_sec);

    s.data = buf;
    s.len = p - buf;

    ngx_http_cx_json_str(j, &s);
}
