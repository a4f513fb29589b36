
/*
 * ngx_http_cx_lua_request.c: the request as rules see it, "r".  Tables
 * made once per VM whose __index functions read the request being
 * evaluated (nothing is copied until a rule asks), in two shapes: an
 * empty r that every call can be given, and one with its views as plain
 * fields for rule files that write only tables they make (one table read
 * less per view, see lua/sandbox.lua); the visitor, parsed strictly from
 * the cx_v cookie; the time, in cx_rules_time_zone (ngx_http_cx_tz.c).
 *
 * A read costs the call's budget what it touches: the bytes it looks
 * through and those of the string it makes.  r.args decodes an argument
 * once per request, into the request's pool, counted against the rules'
 * memory cap.
 */


#include "ngx_http_cx_lua.h"
#include "ngx_http_cx_cookie.h"
#include "ngx_http_cx_visitor.h"


/* an argument r.args has decoded for this request */

typedef struct {
    ngx_str_t                    name;      /* in the query */
    ngx_str_t                    value;     /* in the request's pool */
} ngx_http_cx_lua_arg_t;


typedef struct {
    ngx_array_t                  args;      /* ngx_http_cx_lua_arg_t */
    size_t                       size;      /* bytes of the pool's */
} ngx_http_cx_lua_args_t;


static ngx_http_cx_lua_req_t *ngx_http_cx_lua_current(lua_State *L,
    ngx_uint_t what);
static void ngx_http_cx_lua_view(lua_State *L, lua_CFunction index);
static void ngx_http_cx_lua_protect(lua_State *L, int idx);
static void ngx_http_cx_lua_member(lua_State *L, int set);
static int ngx_http_cx_lua_readonly(lua_State *L);
static int ngx_http_cx_lua_time_missing(lua_State *L);
static int ngx_http_cx_lua_r_index(lua_State *L);
static int ngx_http_cx_lua_header_index(lua_State *L);
static int ngx_http_cx_lua_cookie_index(lua_State *L);
static int ngx_http_cx_lua_resp_header_index(lua_State *L);
static int ngx_http_cx_lua_args_index(lua_State *L);
static int ngx_http_cx_lua_time_index(lua_State *L);
static int ngx_http_cx_lua_visitor_index(lua_State *L);
static int ngx_http_cx_lua_visitor_table(lua_State *L,
    ngx_http_cx_visitor_t *v, const char *key, size_t len);
static int ngx_http_cx_lua_zero(lua_State *L);
static void ngx_http_cx_lua_push_str(lua_State *L, ngx_str_t *s);
static void ngx_http_cx_lua_push_read(lua_State *L, ngx_str_t *s,
    size_t looked);
static size_t ngx_http_cx_lua_list_len(ngx_list_t *list);
static ngx_int_t ngx_http_cx_lua_arg(lua_State *L, ngx_http_cx_lua_req_t *req,
    ngx_str_t *name, ngx_str_t *value);
static ngx_int_t ngx_http_cx_lua_arg_find(ngx_http_request_t *r,
    ngx_str_t *name, ngx_str_t *value);
static ngx_int_t ngx_http_cx_lua_path(ngx_http_cx_lua_req_t *req);


/* the visitor of a request without memory for its own: a new one */
static ngx_http_cx_visitor_t  ngx_http_cx_lua_no_visitor = {
    .shown = -1, .answered = -1
};


/* the request rules are evaluating, set around each call */
ngx_http_cx_lua_req_t  *ngx_http_cx_lua_req;


/* the request, and a note of what the running call reads of it */

static ngx_http_cx_lua_req_t *
ngx_http_cx_lua_current(lua_State *L, ngx_uint_t what)
{
    if (ngx_http_cx_lua_req == NULL) {
        luaL_error(L, "r is only readable while trigger() or touchpoint() "
                      "runs");
    }

    ngx_http_cx_lua_req->reads |= what;

    return ngx_http_cx_lua_req;
}


/*
 * Pushes what the VM keeps of r, in this order:
 *
 *   r      an empty read-only table: reads go to a hidden table of its
 *          views (r.header, r.visitor, ...: plain table reads) and from
 *          there to ngx_http_cx_lua_r_index() for the request's own
 *          fields; r.time reads go to C, so the module knows what a call
 *          read (for the touchpoint memo).  Every call can get it.
 *   fast   r with the same views as plain fields, and r.time a plain
 *          table of data: for trigger(r) of rule files that write only
 *          tables they make, which the sandbox has checked (a field of
 *          fast could be overwritten, not added to).
 *   time   that table of data, which ngx_http_cx_lua_time_data() fills
 *          once a second.
 *
 * All of them and the views are in the registry's set "cx.views", which
 * the sandbox's table functions and setmetatable() keep rules off.
 */

ngx_int_t
ngx_http_cx_lua_request_init(lua_State *L)
{
    int         set, views, fast, time;
    ngx_uint_t  i;

    static const struct {
        const char      *name;
        lua_CFunction    index;
    } lookups[] = {
        { "header", ngx_http_cx_lua_header_index },
        { "cookie", ngx_http_cx_lua_cookie_index },
        { "resp_header", ngx_http_cx_lua_resp_header_index },
        { "args", ngx_http_cx_lua_args_index },
        { "visitor", ngx_http_cx_lua_visitor_index },
    };

    lua_createtable(L, 0, 12);
    set = lua_gettop(L);

    lua_createtable(L, 0, 8);
    views = lua_gettop(L);

    lua_createtable(L, 0, 8);
    fast = lua_gettop(L);

    for (i = 0; i < sizeof(lookups) / sizeof(lookups[0]); i++) {
        ngx_http_cx_lua_view(L, lookups[i].index);
        ngx_http_cx_lua_member(L, set);

        lua_pushvalue(L, -1);
        lua_setfield(L, views, lookups[i].name);
        lua_setfield(L, fast, lookups[i].name);
    }

    ngx_http_cx_lua_view(L, ngx_http_cx_lua_time_index);
    ngx_http_cx_lua_member(L, set);
    lua_setfield(L, views, "time");

    /*
     * fast.touchpoint is set before a call when it is known: its key is
     * made now, so that setting it never has to grow the table
     */

    lua_pushliteral(L, "touchpoint");
    lua_pushboolean(L, 0);
    lua_rawset(L, fast);
    lua_pushliteral(L, "touchpoint");
    lua_pushnil(L);
    lua_rawset(L, fast);

    /* the time as data: what is not in it is a typo */

    lua_createtable(L, 0, 10);
    time = lua_gettop(L);

    lua_pushcfunction(L, ngx_http_cx_lua_time_missing);
    ngx_http_cx_lua_protect(L, time);

    ngx_http_cx_lua_member(L, set);
    lua_pushvalue(L, time);
    lua_setfield(L, fast, "time");

    /* fast: the request's own fields in C, read-only */

    lua_pushcfunction(L, ngx_http_cx_lua_r_index);
    ngx_http_cx_lua_protect(L, fast);

    lua_pushvalue(L, fast);
    ngx_http_cx_lua_member(L, set);
    lua_pop(L, 1);

    /* r: through the table of views, then C */

    lua_createtable(L, 0, 1);
    lua_pushcfunction(L, ngx_http_cx_lua_r_index);
    lua_setfield(L, -2, "__index");
    lua_setmetatable(L, views);

    lua_pushvalue(L, views);
    ngx_http_cx_lua_view(L, NULL);
    ngx_http_cx_lua_member(L, set);

    /* set, views, fast, time, r: keep the set, leave r, fast, time */

    lua_insert(L, fast);
    lua_pushvalue(L, set);
    lua_setfield(L, LUA_REGISTRYINDEX, "cx.views");
    lua_remove(L, set);
    lua_remove(L, set);

    return NGX_OK;
}


/* set[value on top] = true; the value stays */

static void
ngx_http_cx_lua_member(lua_State *L, int set)
{
    lua_pushvalue(L, -1);
    lua_pushboolean(L, 1);
    lua_rawset(L, set);
}


/* an empty table whose reads go to index (or to the value on top) */

static void
ngx_http_cx_lua_view(lua_State *L, lua_CFunction index)
{
    if (index) {
        lua_pushcfunction(L, index);
    }

    lua_createtable(L, 0, 0);
    lua_insert(L, -2);
    ngx_http_cx_lua_protect(L, -2);
}


/*
 * Gives the table at idx a hidden metatable: reads of what it lacks go
 * to the value on top (popped), writes to what it lacks fail
 */

static void
ngx_http_cx_lua_protect(lua_State *L, int idx)
{
    if (idx < 0) {
        idx = lua_gettop(L) + idx + 1;
    }

    lua_createtable(L, 0, 3);
    lua_insert(L, -2);
    lua_setfield(L, -2, "__index");

    lua_pushcfunction(L, ngx_http_cx_lua_readonly);
    lua_setfield(L, -2, "__newindex");

    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");

    lua_setmetatable(L, idx);
}


static int
ngx_http_cx_lua_readonly(lua_State *L)
{
    return luaL_error(L, "r is read-only");
}


static int
ngx_http_cx_lua_time_missing(lua_State *L)
{
    return luaL_error(L, "r.time has no field \"%s\"",
                      lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2)
                                                    : "");
}


static void
ngx_http_cx_lua_push_str(lua_State *L, ngx_str_t *s)
{
    if (s->data == NULL) {
        lua_pushnil(L);
        return;
    }

    lua_pushlstring(L, (const char *) s->data, s->len);
}


/*
 * A view's value (NULL data: nil), charged: looked is what the read
 * looked through to find it (in bytes, as ngx_http_cx_lua_work() counts)
 */

static void
ngx_http_cx_lua_push_read(lua_State *L, ngx_str_t *s, size_t looked)
{
    if (s == NULL || s->data == NULL) {
        ngx_http_cx_lua_work(L, ngx_http_cx_lua_vm_of(L), looked);
        lua_pushnil(L);
        return;
    }

    ngx_http_cx_lua_work(L, ngx_http_cx_lua_vm_of(L), looked + s->len);
    lua_pushlstring(L, (const char *) s->data, s->len);
}


/* the elements of a list: a header list's length */

static size_t
ngx_http_cx_lua_list_len(ngx_list_t *list)
{
    size_t            n;
    ngx_list_part_t  *part;

    n = 0;

    for (part = &list->part; part; part = part->next) {
        n += part->nelts;
    }

    return n;
}


/* a compare of a few bytes that the compiler inlines */
#define ngx_http_cx_lua_key(key, len, s)                                    \
    (len == sizeof(s) - 1 && ngx_memcmp(key, s, sizeof(s) - 1) == 0)


/*
 * The fields r, r.visitor and r.time have: what the index functions
 * below answer, and no other.  A rule file that reads another (a literal
 * r.visitor.view) fails nginx -t (lua/check.lua): a field added below
 * must be added here too.
 */

static const char  *ngx_http_cx_lua_r_fields[] = {
    "path", "uri", "host", "method", "query", "status", "scheme",
    "touchpoint", "header", "cookie", "resp_header", "args", "visitor",
    "time", NULL
};

static const char  *ngx_http_cx_lua_visitor_fields[] = {
    "id", "views", "sessions", "visits", "new", "days_since_shown",
    "days_since_answered", "last_shown", "last_answered", "last_dismissed",
    "touchpoints", "source", NULL
};

static const char  *ngx_http_cx_lua_time_fields[] = {
    "year", "month", "day", "hour", "minute", "wday", "date", "epoch",
    "offset", NULL
};


/* pushes { r = { path = true, ... }, visitor = { ... }, time = { ... } } */

void
ngx_http_cx_lua_fields(lua_State *L)
{
    ngx_uint_t    i, k;
    const char  **f;

    static const char  *names[] = { "r", "visitor", "time" };
    static const char **lists[] = {
        ngx_http_cx_lua_r_fields, ngx_http_cx_lua_visitor_fields,
        ngx_http_cx_lua_time_fields
    };

    lua_createtable(L, 0, 3);

    for (k = 0; k < 3; k++) {
        lua_createtable(L, 0, 16);

        for (f = lists[k], i = 0; f[i]; i++) {
            lua_pushboolean(L, 1);
            lua_setfield(L, -2, f[i]);
        }

        lua_setfield(L, -2, names[k]);
    }
}


static int
ngx_http_cx_lua_r_index(lua_State *L)
{
    size_t                  len;
    ngx_str_t               tp;
    const char             *key;
    ngx_http_request_t     *r;
    ngx_http_cx_lua_req_t  *req;

    len = 0;
    key = (lua_type(L, 2) == LUA_TSTRING) ? lua_tolstring(L, 2, &len) : "";

    if (ngx_http_cx_lua_key(key, len, "path")) {
        req = ngx_http_cx_lua_current(L, NGX_HTTP_CX_LUA_READ_PATH);

        if (ngx_http_cx_lua_path(req) != NGX_OK) {
            return luaL_error(L, "no memory");
        }

        ngx_http_cx_lua_push_read(L, &req->path, 0);

        return 1;
    }

    req = ngx_http_cx_lua_current(L, NGX_HTTP_CX_LUA_READ_OTHER);
    r = req->r;

    if (ngx_http_cx_lua_key(key, len, "uri")) {
        ngx_http_cx_lua_push_read(L, &r->uri, 0);

    } else if (ngx_http_cx_lua_key(key, len, "host")) {
        if (r->headers_in.server.len) {
            ngx_http_cx_lua_push_str(L, &r->headers_in.server);

        } else {
            lua_pushnil(L);
        }

    } else if (ngx_http_cx_lua_key(key, len, "method")) {
        ngx_http_cx_lua_push_str(L, &r->method_name);

    } else if (ngx_http_cx_lua_key(key, len, "query")) {
        tp.data = r->args.data ? r->args.data : (u_char *) "";
        tp.len = r->args.len;
        ngx_http_cx_lua_push_read(L, &tp, 0);

    } else if (ngx_http_cx_lua_key(key, len, "status")) {
        lua_pushinteger(L, r->headers_out.status);

    } else if (ngx_http_cx_lua_key(key, len, "scheme")) {
#if (NGX_HTTP_SSL)
        if (r->connection->ssl) {
            lua_pushliteral(L, "https");
            return 1;
        }
#endif
        lua_pushliteral(L, "http");

    } else if (ngx_http_cx_lua_key(key, len, "touchpoint")) {
        if (req->touchpoint(r, req->ctx, &tp) == NGX_OK) {
            ngx_http_cx_lua_push_str(L, &tp);

        } else {
            lua_pushnil(L);
        }

    } else {
        return luaL_error(L, "r has no field \"%s\"", key);
    }

    return 1;
}


/*
 * The path the visitor asked for, percent-decoded, without arguments:
 * "/" for the home page, even once the index module has made the URI
 * "/index.html" (that one is r.uri).
 */

static ngx_int_t
ngx_http_cx_lua_path(ngx_http_cx_lua_req_t *req)
{
    if (req->path.data) {
        return NGX_OK;
    }

    return ngx_http_cx_lua_decode_path(req->r, &req->path);
}


ngx_int_t
ngx_http_cx_lua_decode_path(ngx_http_request_t *r, ngx_str_t *path)
{
    u_char  *dst, *src, *q, *last;
    size_t   len;

    if (r->unparsed_uri.len == 0) {
        *path = r->uri;
        return NGX_OK;
    }

    src = r->unparsed_uri.data;
    last = src + r->unparsed_uri.len;

    for (q = src; q < last && *q != '?' && *q != '%'; q++) { /* void */ }

    if (q == last || *q == '?') {
        /* nothing to decode */
        path->data = src;
        path->len = q - src;
        return NGX_OK;
    }

    q = ngx_strlchr(q, last, '?');
    len = (q ? q : last) - src;

    path->data = ngx_pnalloc(r->pool, len);
    if (path->data == NULL) {
        return NGX_ERROR;
    }

    dst = path->data;

    ngx_unescape_uri(&dst, &src, len, 0);

    path->len = dst - path->data;

    return NGX_OK;
}


/* r.header[name]: case-insensitive, "_" matches "-" */

static int
ngx_http_cx_lua_header_index(lua_State *L)
{
    size_t                  len;
    u_char                 *name;
    ngx_table_elt_t        *h;
    ngx_http_cx_lua_req_t  *req;

    req = ngx_http_cx_lua_current(L, NGX_HTTP_CX_LUA_READ_OTHER);

    if (lua_type(L, 2) != LUA_TSTRING) {
        lua_pushnil(L);
        return 1;
    }

    name = (u_char *) lua_tolstring(L, 2, &len);

    h = ngx_http_cx_header_find(&req->r->headers_in.headers, name, len,
                                NGX_HTTP_CX_HEADER_DASHES);

    ngx_http_cx_lua_push_read(L, h ? &h->value : NULL,
                              ngx_http_cx_lua_list_len(
                                  &req->r->headers_in.headers) * 2);

    return 1;
}


/* r.resp_header[name]: the response's, as the upstream sent them */

static int
ngx_http_cx_lua_resp_header_index(lua_State *L)
{
    size_t                  len;
    u_char                 *name;
    ngx_str_t               value;
    ngx_http_cx_lua_req_t  *req;
    u_char                  buf[NGX_OFF_T_LEN];

    req = ngx_http_cx_lua_current(L, NGX_HTTP_CX_LUA_READ_OTHER);

    if (lua_type(L, 2) != LUA_TSTRING) {
        lua_pushnil(L);
        return 1;
    }

    name = (u_char *) lua_tolstring(L, 2, &len);

    if (ngx_http_cx_lua_resp_header(req->r, name, len, buf, &value)
        != NGX_OK)
    {
        value.data = NULL;
    }

    ngx_http_cx_lua_push_read(L, &value,
                              ngx_http_cx_lua_list_len(
                                  &req->r->headers_out.headers) * 2);

    return 1;
}


/*
 * A response header by name: NGX_OK with its value, NGX_DECLINED.
 * Content-Length is printed into buf (NGX_OFF_T_LEN bytes).
 */

ngx_int_t
ngx_http_cx_lua_resp_header(ngx_http_request_t *r, u_char *name, size_t len,
    u_char *buf, ngx_str_t *value)
{
    ngx_table_elt_t  *h;

    /* kept out of the header list by nginx */

    if (len == sizeof("Content-Type") - 1
        && ngx_strncasecmp(name, (u_char *) "Content-Type", len) == 0)
    {
        *value = r->headers_out.content_type;
        return value->len ? NGX_OK : NGX_DECLINED;
    }

    if (len == sizeof("Content-Length") - 1
        && ngx_strncasecmp(name, (u_char *) "Content-Length", len) == 0
        && r->headers_out.content_length_n >= 0)
    {
        value->data = buf;
        value->len = ngx_sprintf(buf, "%O", r->headers_out.content_length_n)
                     - buf;
        return NGX_OK;
    }

    h = ngx_http_cx_header_find(&r->headers_out.headers, name, len,
                                NGX_HTTP_CX_HEADER_DASHES);

    if (h == NULL) {
        return NGX_DECLINED;
    }

    *value = h->value;

    return NGX_OK;
}


/* r.cookie[name]: the first cookie of that name, case-insensitive */

static int
ngx_http_cx_lua_cookie_index(lua_State *L)
{
    size_t                  looked;
    ngx_str_t               name, value;
    ngx_uint_t              i;
    ngx_table_elt_t       **h;
    ngx_http_cx_lua_req_t  *req;

    req = ngx_http_cx_lua_current(L, NGX_HTTP_CX_LUA_READ_OTHER);

    if (lua_type(L, 2) != LUA_TSTRING) {
        lua_pushnil(L);
        return 1;
    }

    name.data = (u_char *) lua_tolstring(L, 2, &name.len);

    if (ngx_http_cx_lua_cookie(req->r, &name, &value) != NGX_OK) {
        value.data = NULL;
    }

    /* what the search looked through: the Cookie headers */

    h = req->r->headers_in.cookies.elts;
    looked = 0;

    for (i = 0; i < req->r->headers_in.cookies.nelts; i++) {
        looked += h[i]->value.len;
    }

    ngx_http_cx_lua_push_read(L, &value, looked);

    return 1;
}


/* the first cookie of that name in the Cookie headers */

ngx_int_t
ngx_http_cx_lua_cookie(ngx_http_request_t *r, ngx_str_t *name,
    ngx_str_t *value)
{
    ngx_uint_t         i;
    ngx_table_elt_t  **h;

    /*
     * a name with a separator is no cookie's, and would be compared
     * across pairs: from every pair on, as long as it is
     */

    if (ngx_strlchr(name->data, name->data + name->len, ';')
        || ngx_strlchr(name->data, name->data + name->len, ','))
    {
        return NGX_DECLINED;
    }

    h = r->headers_in.cookies.elts;

    for (i = 0; i < r->headers_in.cookies.nelts; i++) {
        if (ngx_http_cx_cookie_find(h[i]->value.data,
                                    h[i]->value.data + h[i]->value.len,
                                    name->data, name->len, value)
            == NGX_OK)
        {
            return NGX_OK;
        }
    }

    return NGX_DECLINED;
}


/*
 * r.args[name]: the first argument of that name, unescaped; decoded once
 * per request, kept in the request's pool (the search is as costly as
 * the decoding: a read looks through the query either way)
 */

static int
ngx_http_cx_lua_args_index(lua_State *L)
{
    ngx_int_t               rc;
    ngx_str_t               name, value;
    ngx_http_cx_lua_req_t  *req;

    req = ngx_http_cx_lua_current(L, NGX_HTTP_CX_LUA_READ_OTHER);

    if (lua_type(L, 2) != LUA_TSTRING) {
        lua_pushnil(L);
        return 1;
    }

    name.data = (u_char *) lua_tolstring(L, 2, &name.len);

    rc = ngx_http_cx_lua_arg(L, req, &name, &value);

    if (rc == NGX_ERROR) {
        return luaL_error(L, "no memory");
    }

    ngx_http_cx_lua_push_read(L, rc == NGX_OK ? &value : NULL,
                              req->r->args.len);

    return 1;
}


static ngx_int_t
ngx_http_cx_lua_arg(lua_State *L, ngx_http_cx_lua_req_t *req,
    ngx_str_t *name, ngx_str_t *value)
{
    u_char                  *p, *dst, *src;
    ngx_str_t                v;
    ngx_uint_t               i;
    ngx_http_request_t      *r;
    ngx_http_cx_lua_vm_t    *vm;
    ngx_http_cx_lua_arg_t   *arg;
    ngx_http_cx_lua_args_t  *args;

    r = req->r;
    args = req->ctx->rules_args;

    if (args) {
        arg = args->args.elts;

        for (i = 0; i < args->args.nelts; i++) {
            if (arg[i].name.len == name->len
                && ngx_strncasecmp(arg[i].name.data, name->data, name->len)
                   == 0)
            {
                *value = arg[i].value;
                return NGX_OK;
            }
        }
    }

    if (ngx_http_cx_lua_arg_find(r, name, &v) != NGX_OK) {
        return NGX_DECLINED;
    }

    /* what rules make in the pool counts as the VM's memory */

    vm = ngx_http_cx_lua_vm_of(L);

    if (vm->used + (args ? args->size : 0) + v.len
        + sizeof(ngx_http_cx_lua_args_t) > vm->max)
    {
        return ngx_http_cx_lua_nomemory(L, vm);
    }

    (void) ngx_http_cx_lua_charge(L, vm, v.len);

    if (args == NULL) {
        args = ngx_palloc(r->pool, sizeof(ngx_http_cx_lua_args_t));
        if (args == NULL) {
            return NGX_ERROR;
        }

        if (ngx_array_init(&args->args, r->pool, 4,
                           sizeof(ngx_http_cx_lua_arg_t))
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        args->size = sizeof(ngx_http_cx_lua_args_t)
                     + 4 * sizeof(ngx_http_cx_lua_arg_t);
        req->ctx->rules_args = args;
    }

    dst = ngx_pnalloc(r->pool, v.len);
    if (dst == NULL) {
        return NGX_ERROR;
    }

    for (p = v.data; p < v.data + v.len; p++) {
        dst[p - v.data] = (*p == '+') ? ' ' : *p;
    }

    src = dst;
    p = dst;
    ngx_unescape_uri(&p, &src, v.len, 0);

    if (args->args.nelts == args->args.nalloc) {
        args->size += args->args.nalloc * sizeof(ngx_http_cx_lua_arg_t);
    }

    arg = ngx_array_push(&args->args);
    if (arg == NULL) {
        return NGX_ERROR;
    }

    /* "name=" is in the query, before the value */
    arg->name.data = v.data - 1 - name->len;
    arg->name.len = name->len;
    arg->value.data = dst;
    arg->value.len = p - dst;

    args->size += v.len;

    *value = arg->value;

    return NGX_OK;
}


/*
 * The first "name=value" of the query, the name compared as nginx's
 * $arg_NAME does (case-insensitively), in one pass: a long name is
 * compared only where an argument of its length starts
 */

static ngx_int_t
ngx_http_cx_lua_arg_find(ngx_http_request_t *r, ngx_str_t *name,
    ngx_str_t *value)
{
    u_char  *p, *amp, *last;

    if (name->len == 0 || r->args.len == 0) {
        return NGX_DECLINED;
    }

    p = r->args.data;
    last = p + r->args.len;

    for ( ;; ) {
        amp = ngx_strlchr(p, last, '&');

        if (amp == NULL) {
            amp = last;
        }

        if ((size_t) (amp - p) > name->len && p[name->len] == '='
            && ngx_strncasecmp(p, name->data, name->len) == 0)
        {
            value->data = p + name->len + 1;
            value->len = amp - value->data;
            return NGX_OK;
        }

        if (amp == last) {
            return NGX_DECLINED;
        }

        p = amp + 1;
    }
}


/* r.time: now, in cx_rules_time_zone */

static int
ngx_http_cx_lua_time_index(lua_State *L)
{
    size_t                  len;
    u_char                 *p;
    ngx_int_t               wday;
    const char             *key;
    ngx_http_cx_lua_req_t  *req;
    u_char                  date[sizeof("2025-01-01")];

    req = ngx_http_cx_lua_current(L, NGX_HTTP_CX_LUA_READ_OTHER);

    (void) ngx_http_cx_lua_time(ngx_http_cx_lua_vm_of(L), req);

    len = 0;
    key = (lua_type(L, 2) == LUA_TSTRING) ? lua_tolstring(L, 2, &len) : "";

    if (ngx_http_cx_lua_key(key, len, "hour")) {
        lua_pushinteger(L, req->tm.ngx_tm_hour);

    } else if (ngx_http_cx_lua_key(key, len, "minute")) {
        lua_pushinteger(L, req->tm.ngx_tm_min);

    } else if (ngx_http_cx_lua_key(key, len, "wday")) {
        /* ISO 8601: Monday 1 .. Sunday 7 */
        wday = req->tm.ngx_tm_wday;
        lua_pushinteger(L, wday == 0 ? 7 : wday);

    } else if (ngx_http_cx_lua_key(key, len, "day")) {
        lua_pushinteger(L, req->tm.ngx_tm_mday);

    } else if (ngx_http_cx_lua_key(key, len, "month")) {
        lua_pushinteger(L, req->tm.ngx_tm_mon);

    } else if (ngx_http_cx_lua_key(key, len, "year")) {
        lua_pushinteger(L, req->tm.ngx_tm_year);

    } else if (ngx_http_cx_lua_key(key, len, "date")) {
        p = ngx_sprintf(date, "%4d-%02d-%02d", req->tm.ngx_tm_year,
                        req->tm.ngx_tm_mon, req->tm.ngx_tm_mday);
        lua_pushlstring(L, (const char *) date, p - date);

    } else if (ngx_http_cx_lua_key(key, len, "epoch")) {
        lua_pushnumber(L, (lua_Number) req->now);

    } else if (ngx_http_cx_lua_key(key, len, "offset")) {
        lua_pushinteger(L, req->offset);

    } else {
        return luaL_error(L, "r.time has no field \"%s\"", key);
    }

    return 1;
}


/* the request's time in cx_rules_time_zone, computed once */

ngx_tm_t *
ngx_http_cx_lua_time(ngx_http_cx_lua_vm_t *vm, ngx_http_cx_lua_req_t *req)
{
    if (!req->tm_done) {
        req->now = ngx_http_cx_lua_now();

        ngx_http_cx_lua_second(vm, req->now);

        req->offset = vm->tm_offset;
        req->tm = vm->tm;
        req->tm_done = 1;
    }

    return &req->tm;
}


/* vm->tm and vm->tm_offset of the second now, computed once a second */

void
ngx_http_cx_lua_second(ngx_http_cx_lua_vm_t *vm, time_t now)
{
    if (vm->tm_at == now && now != 0) {
        return;
    }

    vm->tm_offset = ngx_http_cx_tz_offset(&vm->conf->tz, now);
    ngx_gmtime(now + vm->tm_offset, &vm->tm);
    vm->tm_at = now;
}


/*
 * Fills the fast r's table of the time for the current second: a
 * protected call (lua_cpcall(), the VM as its argument), made before a
 * trigger(r) when the second has changed.  The fields are those of
 * ngx_http_cx_lua_time_index().
 */

int
ngx_http_cx_lua_time_data(lua_State *L)
{
    int                    t;
    u_char                *p;
    time_t                 now;
    ngx_int_t              wday;
    ngx_tm_t              *tm;
    ngx_http_cx_lua_vm_t  *vm;
    u_char                 date[sizeof("2025-01-01")];

    vm = lua_touserdata(L, 1);

    now = ngx_time();
    ngx_http_cx_lua_second(vm, now);
    tm = &vm->tm;

    lua_rawgeti(L, LUA_REGISTRYINDEX, vm->time);
    t = lua_gettop(L);

#define ngx_http_cx_lua_field(name, push)                                   \
    lua_pushliteral(L, name);                                               \
    push;                                                                   \
    lua_rawset(L, t)

    /* ISO 8601: Monday 1 .. Sunday 7 */
    wday = tm->ngx_tm_wday;

    p = ngx_sprintf(date, "%4d-%02d-%02d", tm->ngx_tm_year, tm->ngx_tm_mon,
                    tm->ngx_tm_mday);

    ngx_http_cx_lua_field("hour", lua_pushinteger(L, tm->ngx_tm_hour));
    ngx_http_cx_lua_field("minute", lua_pushinteger(L, tm->ngx_tm_min));
    ngx_http_cx_lua_field("wday", lua_pushinteger(L, wday == 0 ? 7 : wday));
    ngx_http_cx_lua_field("day", lua_pushinteger(L, tm->ngx_tm_mday));
    ngx_http_cx_lua_field("month", lua_pushinteger(L, tm->ngx_tm_mon));
    ngx_http_cx_lua_field("year", lua_pushinteger(L, tm->ngx_tm_year));
    ngx_http_cx_lua_field("date",
                          lua_pushlstring(L, (const char *) date, p - date));
    ngx_http_cx_lua_field("epoch", lua_pushnumber(L, (lua_Number) now));
    ngx_http_cx_lua_field("offset", lua_pushinteger(L, vm->tm_offset));

#undef ngx_http_cx_lua_field

    vm->time_at = now;

    return 0;
}


/* r.visitor */

static int
ngx_http_cx_lua_visitor_index(lua_State *L)
{
    size_t                      len;
    ngx_int_t                   today, day;
    const char                 *key;
    ngx_http_cx_lua_req_t      *req;
    ngx_http_cx_lua_visitor_t  *v;

    req = ngx_http_cx_lua_current(L, NGX_HTTP_CX_LUA_READ_OTHER);
    v = ngx_http_cx_lua_visitor(req);

    len = 0;
    key = (lua_type(L, 2) == LUA_TSTRING) ? lua_tolstring(L, 2, &len) : "";

    if (ngx_http_cx_lua_key(key, len, "id")) {
        ngx_http_cx_lua_push_str(L, &v->id);
        return 1;
    }

    if (ngx_http_cx_lua_key(key, len, "views")) {
        lua_pushinteger(L, v->views);
        return 1;
    }

    if (ngx_http_cx_lua_key(key, len, "sessions")) {
        lua_pushinteger(L, v->sessions);
        return 1;
    }

    if (ngx_http_cx_lua_key(key, len, "visits")) {
        /* this page view's visit included */
        lua_pushinteger(L, v->sessions
                           + ((ngx_http_cx_visitor_t *) v->full)->new_visit);
        return 1;
    }

    if (ngx_http_cx_lua_key(key, len, "new")) {
        lua_pushboolean(L, !v->valid);
        return 1;
    }

    if (ngx_http_cx_lua_key(key, len, "days_since_shown")) {
        day = v->shown;

    } else if (ngx_http_cx_lua_key(key, len, "days_since_answered")) {
        day = v->answered;

    } else {
        return ngx_http_cx_lua_visitor_table(L, v->full, key, len);
    }

    if (day < 0) {
        lua_pushnil(L);
        return 1;
    }

    /* a day in the future (a visitor's clock) counts as today */

    today = ngx_http_cx_lua_now() / 86400;
    lua_pushinteger(L, today > day ? today - day : 0);

    return 1;
}


/*
 * r.visitor.touchpoints (views by touchpoint, 0 for any other), .source
 * (utm_source, utm_medium, utm_campaign, referrer of this visit), and
 * .last_shown, .last_answered, .last_dismissed (days ago by survey): a
 * new table on each read, a few entries at most
 */

static int
ngx_http_cx_lua_visitor_table(lua_State *L, ngx_http_cx_visitor_t *v,
    const char *key, size_t len)
{
    ngx_int_t                      day, today;
    ngx_uint_t                     i, what;
    ngx_http_cx_visitor_survey_t  *s;

    static const char  *sources[] = {
        "utm_source", "utm_medium", "utm_campaign", "referrer"
    };

    if (ngx_http_cx_lua_key(key, len, "touchpoints")) {
        lua_createtable(L, 0, v->ntouchpoints);

        for (i = 0; i < v->ntouchpoints; i++) {
            lua_pushlstring(L, (const char *) v->touchpoints[i].name.data,
                            v->touchpoints[i].name.len);
            lua_pushinteger(L, v->touchpoints[i].views);
            lua_rawset(L, -3);
        }

        if (luaL_newmetatable(L, "cx.visitor.touchpoints")) {
            lua_pushcfunction(L, ngx_http_cx_lua_zero);
            lua_setfield(L, -2, "__index");
        }

        lua_setmetatable(L, -2);

        return 1;
    }

    if (ngx_http_cx_lua_key(key, len, "source")) {
        lua_createtable(L, 0, ngx_http_cx_source_n);

        for (i = 0; i < ngx_http_cx_source_n; i++) {
            if (v->source[i].len) {
                lua_pushlstring(L, (const char *) v->source[i].data,
                                v->source[i].len);
                lua_setfield(L, -2, sources[i]);
            }
        }

        return 1;
    }

    if (ngx_http_cx_lua_key(key, len, "last_shown")) {
        what = 0;

    } else if (ngx_http_cx_lua_key(key, len, "last_answered")) {
        what = 1;

    } else if (ngx_http_cx_lua_key(key, len, "last_dismissed")) {
        what = 2;

    } else {
        return luaL_error(L, "r.visitor has no field \"%s\"", key);
    }

    today = ngx_http_cx_lua_now() / 86400;
    lua_createtable(L, 0, v->nsurveys);

    for (i = 0; i < v->nsurveys; i++) {
        s = &v->surveys[i];
        day = (what == 0) ? s->shown : (what == 1) ? s->answered
                                                   : s->dismissed;

        if (day < 0) {
            continue;
        }

        /* a day in the future (a visitor's clock) counts as today */

        lua_pushlstring(L, (const char *) s->id.data, s->id.len);
        lua_pushinteger(L, today > day ? today - day : 0);
        lua_rawset(L, -3);
    }

    return 1;
}


/* the views of a touchpoint the visitor has not seen */

static int
ngx_http_cx_lua_zero(lua_State *L)
{
    lua_pushinteger(L, 0);
    return 1;
}


ngx_http_cx_lua_visitor_t *
ngx_http_cx_lua_visitor(ngx_http_cx_lua_req_t *req)
{
    ngx_http_cx_visitor_t      *full;
    ngx_http_cx_lua_visitor_t  *v;

    v = &req->visitor;

    if (v->parsed) {
        return v;
    }

    v->parsed = 1;

    full = ngx_http_cx_visitor_get(req->r, &req->ctx->visitor);

    if (full == NULL) {
        /* no memory: a new visitor, as without a cookie */
        full = &ngx_http_cx_lua_no_visitor;
    }

    v->full = full;
    v->id = full->id;
    v->views = full->views;
    v->sessions = full->visits;
    v->shown = full->shown;
    v->answered = full->answered;
    v->valid = (full->id.len != 0);

    return v;
}
