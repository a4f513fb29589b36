
/*
 * ngx_http_cx_lua_try.c: the rules' try mode (cx_rules_try on), for the
 * private nginx of util/cx-rules-try only.  In it:
 *
 *   - the rules' clock is the request's X-CX-Try-Time (seconds since the
 *     epoch), from a loopback client: r.time, the weekday and business
 *     hours helpers, the visitor's days, os.time() and os.date();
 *   - every call of a cx helper writes a notice: where, what it was
 *     given, what it returned ("cx rules try: shop.lua:19:
 *     cx.weekday(r) = true");
 *   - what trigger(r) and touchpoint(r) returned is written too, and so
 *     is every failure and print() (no rate limit);
 *   - every call runs in the VM (no plan, no fast r, no touchpoint memo),
 *     so that what it calls is seen.
 *
 * A configuration with cx_rules_try on cannot count: nginx -t refuses it
 * with cx_redis, cx_collect or cx_score (ngx_http_cx_lua_try_check()).
 */


#include "ngx_http_cx_lua.h"


#define NGX_HTTP_CX_LUA_TRY_VALUE   48      /* bytes of a string shown */
#define NGX_HTTP_CX_LUA_TRY_LINE    1024


static u_char *ngx_http_cx_lua_try_value(lua_State *L, int idx, u_char *p,
    u_char *last);
static int ngx_http_cx_lua_try_trace(lua_State *L);
static int ngx_http_cx_lua_try_traced(lua_State *L);
static int ngx_http_cx_lua_try_now(lua_State *L);


/*
 * nginx -t: try mode only where nothing is counted, and said loudly; the
 * clock header is honoured from loopback clients only
 */

ngx_int_t
ngx_http_cx_lua_try_check(ngx_conf_t *cf, ngx_http_cx_main_conf_t *cmcf)
{
    ngx_http_cx_lua_conf_t  *lc;

    lc = cmcf->lua;

    if (lc == NULL || !lc->try) {
        return NGX_OK;
    }

    if (cmcf->redis_conf || cmcf->collect_file || cmcf->score_file) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"cx_rules_try\" is for the private nginx of "
                      "util/cx-rules-try only: it cannot be used with "
                      "\"cx_redis\", \"cx_collect\" or \"cx_score\"");
        return NGX_ERROR;
    }

    ngx_log_error(NGX_LOG_WARN, cf->log, 0,
                  "\"cx_rules_try\" is on: the rules' clock is taken from "
                  "requests and every helper call is logged (for "
                  "util/cx-rules-try only, never in production)");

    return NGX_OK;
}


/* the time the request asks the rules to see, or 0: the real one */

time_t
ngx_http_cx_lua_try_clock(ngx_http_request_t *r)
{
    u_char               *p, *last;
    time_t                t;
    ngx_uint_t            loopback;
    ngx_table_elt_t      *h;
    struct sockaddr_in   *sin;
#if (NGX_HAVE_INET6)
    struct sockaddr_in6  *sin6;
#endif

    h = ngx_http_cx_header_find(&r->headers_in.headers,
                                (u_char *) "X-CX-Try-Time",
                                sizeof("X-CX-Try-Time") - 1, 0);
    if (h == NULL) {
        return 0;
    }

    loopback = 0;

    switch (r->connection->sockaddr->sa_family) {

    case AF_INET:
        sin = (struct sockaddr_in *) r->connection->sockaddr;
        loopback = ((ntohl(sin->sin_addr.s_addr) >> 24) == 127);
        break;

#if (NGX_HAVE_INET6)
    case AF_INET6:
        sin6 = (struct sockaddr_in6 *) r->connection->sockaddr;
        loopback = IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr);
        break;
#endif
    }

    if (!loopback) {
        return 0;
    }

    t = 0;
    p = h->value.data;
    last = p + h->value.len;

    if (p == last || last - p > 12) {
        return 0;
    }

    for ( /* void */ ; p < last; p++) {
        if (*p < '0' || *p > '9') {
            return 0;
        }

        t = t * 10 + (*p - '0');
    }

    return t;
}


/*
 * Into the table of C primitives on top of the stack, for the sandbox:
 * C.trace(name, f), a helper that says what it was given and returned,
 * and C.now(), the rules' clock
 */

void
ngx_http_cx_lua_try_init(lua_State *L)
{
    lua_pushcfunction(L, ngx_http_cx_lua_try_trace);
    lua_setfield(L, -2, "trace");

    lua_pushcfunction(L, ngx_http_cx_lua_try_now);
    lua_setfield(L, -2, "now");
}


/* C.trace(name, f): f, logging each call */

static int
ngx_http_cx_lua_try_trace(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TSTRING);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_settop(L, 2);
    lua_pushcclosure(L, ngx_http_cx_lua_try_traced, 2);

    return 1;
}


static int
ngx_http_cx_lua_try_traced(lua_State *L)
{
    int                     i, n, top;
    u_char                 *p, *last;
    ngx_log_t              *log;
    lua_Debug               ar;
    ngx_http_cx_lua_vm_t   *vm;
    ngx_http_cx_lua_req_t  *req;
    u_char                  line[NGX_HTTP_CX_LUA_TRY_LINE];

    vm = ngx_http_cx_lua_vm_of(L);
    req = ngx_http_cx_lua_request();
    log = req ? req->r->connection->log : vm->log;

    p = line;
    last = line + sizeof(line) - 4;

    /* where: the rule's line that called */

    if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "Sl", &ar)
        && ar.currentline > 0)
    {
        p = ngx_slprintf(p, last, "%s:%d: ", ar.short_src, ar.currentline);
    }

    p = ngx_slprintf(p, last, "cx.%s(", lua_tostring(L, lua_upvalueindex(1)));

    n = lua_gettop(L);

    for (i = 1; i <= n; i++) {
        if (i > 1) {
            p = ngx_slprintf(p, last, ", ");
        }

        p = ngx_http_cx_lua_try_value(L, i, p, last);
    }

    p = ngx_slprintf(p, last, ") = ");

    /*
     * the call, as the rule would have made it: an error the helper
     * raises gets the rule's file and line, as it would without this
     * closure between them
     */

    ngx_http_cx_lua_call_wrapped(L, 2, lua_tostring(L, lua_upvalueindex(1)),
                                 n, LUA_MULTRET);

    top = lua_gettop(L);

    for (i = 1; i <= top; i++) {
        if (i > 1) {
            p = ngx_slprintf(p, last, ", ");
        }

        p = ngx_http_cx_lua_try_value(L, i, p, last);
    }

    if (top == 0) {
        p = ngx_slprintf(p, last, "nothing");
    }

    ngx_log_error(NGX_LOG_NOTICE, log, 0, "cx rules try: %*s",
                  (size_t) (p - line), line);

    return top;
}


/* a value, as a rule would write it: escaped, long strings cut */

static u_char *
ngx_http_cx_lua_try_value(lua_State *L, int idx, u_char *p, u_char *last)
{
    size_t                 len;
    ngx_uint_t             cut;
    const char            *s;
    ngx_http_cx_lua_vm_t  *vm;

    switch (lua_type(L, idx)) {

    case LUA_TNIL:
        return ngx_slprintf(p, last, "nil");

    case LUA_TBOOLEAN:
        return ngx_slprintf(p, last, lua_toboolean(L, idx) ? "true"
                                                           : "false");

    case LUA_TNUMBER:
        /* a copy: lua_tolstring() would change the value in place */
        lua_pushvalue(L, idx);
        s = lua_tolstring(L, -1, &len);
        p = ngx_slprintf(p, last, "%*s", len, s);
        lua_pop(L, 1);
        return p;

    case LUA_TSTRING:
        s = lua_tolstring(L, idx, &len);
        cut = 0;

        if (len > NGX_HTTP_CX_LUA_TRY_VALUE) {
            len = NGX_HTTP_CX_LUA_TRY_VALUE;
            cut = 1;
        }

        if (last - p < 2) {
            return p;
        }

        *p++ = '"';
        p = ngx_http_cx_lua_log_escape(p, last - 1, (u_char *) s, len,
                                       NULL);
        if (cut) {
            p = ngx_slprintf(p, last, "...");
        }

        return ngx_slprintf(p, last, "\"");

    case LUA_TTABLE:
        vm = ngx_http_cx_lua_vm_of(L);

        lua_rawgeti(L, LUA_REGISTRYINDEX, vm->r);
        lua_rawgeti(L, LUA_REGISTRYINDEX, vm->fast);

        if (lua_rawequal(L, idx, -1) || lua_rawequal(L, idx, -2)) {
            lua_pop(L, 2);
            return ngx_slprintf(p, last, "r");
        }

        lua_pop(L, 2);
        return ngx_slprintf(p, last, "{...}");

    case LUA_TUSERDATA:
        /* a frozen table of the file's */
        return ngx_slprintf(p, last, "{...}");

    default:
        return ngx_slprintf(p, last, "%s", luaL_typename(L, idx));
    }
}


/* C.now(): the rules' clock */

static int
ngx_http_cx_lua_try_now(lua_State *L)
{
    lua_pushnumber(L, (lua_Number) ngx_http_cx_lua_now());

    return 1;
}
