
/*
 * ngx_http_cx_lua_glob.c: paths for the rules' library -- glob matching
 * ("*" within a path segment, "**" across, "?"), cx.glob, cx.glob_any,
 * cx.route and cx.prefix.  Frozen lists of globs are compiled once, and
 * the usual shapes match without the general matcher.  Every step of
 * the general matcher counts against the call's instruction budget.
 */


#include "ngx_http_cx_lua.h"


#define NGX_HTTP_CX_LUA_GLOB_MAX     256


/* what a match may still spend, as the pattern matcher counts it */

typedef struct {
    lua_State                   *L;
    ngx_http_cx_lua_vm_t        *vm;
    size_t                       left;
    size_t                       start;
} ngx_http_cx_lua_steps_t;


#define ngx_http_cx_lua_step(st)                                            \
    if (st->left-- == 0) {                                                  \
        st->left = 0;                                                       \
        (void) ngx_http_cx_lua_charge(st->L, st->vm, st->start + 1);        \
    }


/*
 * A glob list compiled once (frozen tables do not change): the usual
 * shapes -- an exact path, a literal around one "*" or "**" -- match
 * without the general matcher.
 */

typedef enum {
    ngx_http_cx_lua_gk_exact = 0,       /* no wildcard */
    ngx_http_cx_lua_gk_star,            /* literal, "*" or "**", literal */
    ngx_http_cx_lua_gk_other            /* anything else */
} ngx_http_cx_lua_gk_e;


struct ngx_http_cx_lua_globs_s {
    ngx_uint_t                   n;
    struct {
        const u_char            *data;
        size_t                   len;
        ngx_http_cx_lua_gk_e     kind;
        size_t                   head;      /* literal before the star */
        size_t                   tail;      /* literal after it */
        ngx_uint_t               deep;      /* "**" */
    }                            glob[1];
};


static ngx_inline ngx_uint_t ngx_http_cx_lua_glob_literal(const u_char *g,
    const u_char *ge);
static int ngx_http_cx_lua_glob(ngx_http_cx_lua_steps_t *st,
    const u_char *s, const u_char *se, const u_char *g, const u_char *ge);
static int ngx_http_cx_lua_glob_fn(lua_State *L);
static int ngx_http_cx_lua_prefix(lua_State *L);
static ngx_http_cx_lua_globs_t *ngx_http_cx_lua_compile(lua_State *L,
    int idx, ngx_uint_t pairs, const char *fname);
static void ngx_http_cx_lua_glob_kind(ngx_http_cx_lua_globs_t *gl,
    ngx_uint_t i);
static ngx_int_t ngx_http_cx_lua_globs_match(lua_State *L,
    ngx_http_cx_lua_globs_t *gl, ngx_uint_t i, const u_char *s, size_t ls);
static int ngx_http_cx_lua_glob_any(lua_State *L);
static int ngx_http_cx_lua_route(lua_State *L);


static const luaL_Reg  ngx_http_cx_lua_glob_functions[] = {
    { "glob", ngx_http_cx_lua_glob_fn },
    { "glob_any", ngx_http_cx_lua_glob_any },
    { "route", ngx_http_cx_lua_route },
    { "prefix", ngx_http_cx_lua_prefix },
    { NULL, NULL }
};


/* adds the functions to the table of primitives on top of the stack */

void
ngx_http_cx_lua_glob_init(lua_State *L)
{
    const luaL_Reg  *f;

    for (f = ngx_http_cx_lua_glob_functions; f->name; f++) {
        lua_pushcfunction(L, f->func);
        lua_setfield(L, -2, f->name);
    }
}


/*
 * Does the string at s_idx match the glob at g_idx?  "*" matches within
 * a path segment, "**" across segments, "?" one character but "/",
 * every other character itself; the whole string must match.  Each step
 * counts against the budget ("*a*a*a*b" backtracks).
 */

int
ngx_http_cx_lua_glob_match(lua_State *L, int s_idx, int g_idx)
{
    size_t         ls, lg;
    const u_char  *s, *g;

    s = (const u_char *) lua_tolstring(L, s_idx, &ls);
    g = (const u_char *) lua_tolstring(L, g_idx, &lg);

    return ngx_http_cx_lua_glob_str(L, s, ls, g, lg);
}


int
ngx_http_cx_lua_glob_str(lua_State *L, const u_char *s, size_t ls,
    const u_char *g, size_t lg)
{
    int                    rc;
    const u_char          *star;
    ngx_http_cx_lua_steps_t  ms;

    if (lg > NGX_HTTP_CX_LUA_GLOB_MAX) {
        return luaL_error(L, "glob pattern longer than %d bytes",
                          NGX_HTTP_CX_LUA_GLOB_MAX);
    }

    /*
     * With at most one "*" (or "**"), and only literals after it, a
     * match takes one pass: charged at once, no step counting
     */

    star = ngx_strlchr((u_char *) g, (u_char *) g + lg, '*');

    if (star == NULL
        || ngx_http_cx_lua_glob_literal(star + (star + 1 < g + lg
                                                && star[1] == '*'
                                                ? 2 : 1), g + lg))
    {
        ms.L = L;
        ms.vm = ngx_http_cx_lua_vm_of(L);
        ms.left = (size_t) -1;

        (void) ngx_http_cx_lua_charge(L, ms.vm, (ls + lg) / 16 + 1);

        return ngx_http_cx_lua_glob(&ms, s, s + ls, g, g + lg);
    }

    ms.L = L;
    ms.vm = ngx_http_cx_lua_vm_of(L);
    ms.left = ngx_http_cx_lua_left(ms.vm);
    ms.start = ms.left;

    rc = ngx_http_cx_lua_glob(&ms, s, s + ls, g, g + lg);

    (void) ngx_http_cx_lua_charge(L, ms.vm, ms.start - ms.left);

    return rc;
}


static ngx_inline ngx_uint_t
ngx_http_cx_lua_glob_literal(const u_char *g, const u_char *ge)
{
    for ( /* void */ ; g < ge; g++) {
        if (*g == '*' || *g == '?') {
            return 0;
        }
    }

    return 1;
}


static int
ngx_http_cx_lua_glob(ngx_http_cx_lua_steps_t *ms, const u_char *s,
    const u_char *se, const u_char *g, const u_char *ge)
{
    ngx_uint_t     deep;
    const u_char  *p;

    while (g < ge) {
        ngx_http_cx_lua_step(ms);

        if (*g == '*') {
            deep = (g + 1 < ge && g[1] == '*');
            g += deep ? 2 : 1;

            if (g == ge) {
                return deep || ngx_strlchr((u_char *) s, (u_char *) se, '/')
                               == NULL;
            }

            if (ngx_http_cx_lua_glob_literal(g, ge)) {
                /* the common "*.html": a literal tail */

                if ((size_t) (se - s) < (size_t) (ge - g)
                    || ngx_memcmp(se - (ge - g), g, ge - g) != 0)
                {
                    return 0;
                }

                return deep || ngx_strlchr((u_char *) s,
                                           (u_char *) se - (ge - g), '/')
                               == NULL;
            }

            /* every split of the rest; "*" stops at "/" */

            for (p = s; /* void */ ; p++) {
                ngx_http_cx_lua_step(ms);

                if (ngx_http_cx_lua_glob(ms, p, se, g, ge)) {
                    return 1;
                }

                if (p == se || (!deep && *p == '/')) {
                    return 0;
                }
            }
        }

        if (s == se || (*g == '?' ? *s == '/' : *g != *s)) {
            return 0;
        }

        s++;
        g++;
    }

    return s == se;
}


/* cx.glob(s, glob): false for an s that is not a string */

static int
ngx_http_cx_lua_glob_fn(lua_State *L)
{
    if (lua_type(L, 2) != LUA_TSTRING) {
        return luaL_error(L, "bad argument #2 to 'cx.glob' (string "
                             "expected)");
    }

    lua_pushboolean(L, lua_type(L, 1) == LUA_TSTRING
                       && ngx_http_cx_lua_glob_match(L, 1, 2));

    return 1;
}


/* cx.prefix(s, prefix) */

static int
ngx_http_cx_lua_prefix(lua_State *L)
{
    size_t       ls, lp;
    const char  *s, *p;

    if (lua_type(L, 2) != LUA_TSTRING) {
        return luaL_error(L, "bad argument #2 to 'cx.prefix' (string "
                             "expected)");
    }

    if (lua_type(L, 1) != LUA_TSTRING) {
        lua_pushboolean(L, 0);
        return 1;
    }

    s = lua_tolstring(L, 1, &ls);
    p = lua_tolstring(L, 2, &lp);

    lua_pushboolean(L, ls >= lp && ngx_memcmp(s, p, lp) == 0);

    return 1;
}


/*
 * The globs of a list at idx -- of strings, or with pairs of {glob,
 * value} pairs -- in C, kept alive in the proxy's metatable.  Compiled
 * once per frozen list; NULL (with the list on the stack unchanged) for
 * a list that is not frozen.
 */

static ngx_http_cx_lua_globs_t *
ngx_http_cx_lua_compile(lua_State *L, int idx, ngx_uint_t pairs,
    const char *fname)
{
    int                         top;
    size_t                      n, i;
    ngx_http_cx_lua_frozen_t   *f;
    ngx_http_cx_lua_globs_t    *gl, **cached;

    f = ngx_http_cx_lua_frozen(L, idx);

    if (f == NULL) {
        return NULL;
    }

    cached = pairs ? &f->route : &f->globs;

    if (*cached) {
        return *cached;
    }

    top = lua_gettop(L);

    lua_getfenv(L, idx);
    n = lua_objlen(L, top + 1);

    gl = lua_newuserdata(L, sizeof(ngx_http_cx_lua_globs_t)
                            + n * sizeof(gl->glob[0]));
    gl->n = n;

    for (i = 0; i < n; i++) {
        lua_rawgeti(L, top + 1, (int) i + 1);

        if (pairs) {
            ngx_http_cx_lua_table_arg(L, top + 3);

            if (lua_type(L, top + 3) != LUA_TTABLE) {
                luaL_error(L, "bad argument #2 to 'cx.%s' (entry %d is "
                              "not a {glob, value} pair)", fname, (int) i + 1);
            }

            lua_rawgeti(L, top + 3, 1);
            lua_replace(L, top + 3);
        }

        if (lua_type(L, top + 3) != LUA_TSTRING) {
            luaL_error(L, "bad argument #2 to 'cx.%s' (entry %d has no "
                          "glob)", fname, (int) i + 1);
        }

        /* the string lives as long as the frozen table */
        gl->glob[i].data = (const u_char *) lua_tolstring(L, top + 3,
                                                          &gl->glob[i].len);
        ngx_http_cx_lua_glob_kind(gl, i);

        lua_pop(L, 1);
    }

    /* anchored in the proxy's metatable, which rules cannot reach */
    lua_getmetatable(L, idx);
    lua_pushstring(L, pairs ? "cx route" : "cx globs");
    lua_pushvalue(L, top + 2);
    lua_rawset(L, -3);

    lua_settop(L, top);

    *cached = gl;

    return gl;
}


static void
ngx_http_cx_lua_glob_kind(ngx_http_cx_lua_globs_t *gl, ngx_uint_t i)
{
    size_t         k, stars, star;
    const u_char  *g;

    g = gl->glob[i].data;
    stars = 0;
    star = 0;

    for (k = 0; k < gl->glob[i].len; k++) {
        if (g[k] == '?') {
            gl->glob[i].kind = ngx_http_cx_lua_gk_other;
            return;
        }

        if (g[k] == '*') {
            if (stars++ == 0) {
                star = k;
            }
        }
    }

    if (stars == 0) {
        gl->glob[i].kind = ngx_http_cx_lua_gk_exact;
        return;
    }

    gl->glob[i].deep = (stars == 2 && g[star + 1] == '*');

    if (stars > 2 || (stars == 2 && !gl->glob[i].deep)) {
        gl->glob[i].kind = ngx_http_cx_lua_gk_other;
        return;
    }

    gl->glob[i].kind = ngx_http_cx_lua_gk_star;
    gl->glob[i].head = star;
    gl->glob[i].tail = gl->glob[i].len - star - stars;
}


/* does s match the i-th glob of a compiled list? */

static ngx_int_t
ngx_http_cx_lua_globs_match(lua_State *L, ngx_http_cx_lua_globs_t *gl,
    ngx_uint_t i, const u_char *s, size_t ls)
{
    size_t         head, tail;
    const u_char  *g;

    g = gl->glob[i].data;

    switch (gl->glob[i].kind) {

    case ngx_http_cx_lua_gk_exact:
        return ls == gl->glob[i].len && ngx_memcmp(s, g, ls) == 0;

    case ngx_http_cx_lua_gk_star:
        head = gl->glob[i].head;
        tail = gl->glob[i].tail;

        return ls >= head + tail
               && ngx_memcmp(s, g, head) == 0
               && ngx_memcmp(s + ls - tail, g + gl->glob[i].len - tail,
                             tail) == 0
               && (gl->glob[i].deep
                   || ngx_strlchr((u_char *) s + head,
                                  (u_char *) s + ls - tail, '/')
                      == NULL);

    default:
        return ngx_http_cx_lua_glob_str(L, s, ls, g, gl->glob[i].len);
    }
}


/* cx.glob_any(s, globs): the first glob matching s, or nil */

static int
ngx_http_cx_lua_glob_any(lua_State *L)
{
    size_t                    i, n, ls;
    const u_char             *s;
    ngx_http_cx_lua_globs_t  *gl;

    gl = ngx_http_cx_lua_compile(L, 2, 0, "glob_any");

    if (gl == NULL && lua_type(L, 2) != LUA_TTABLE) {
        return luaL_error(L, "bad argument #2 to 'cx.glob_any' (table "
                             "expected)");
    }

    if (lua_type(L, 1) != LUA_TSTRING) {
        lua_pushnil(L);
        return 1;
    }

    s = (const u_char *) lua_tolstring(L, 1, &ls);

    if (gl) {
        (void) ngx_http_cx_lua_charge(L, ngx_http_cx_lua_vm_of(L),
                                      (ls / 16 + 1) * gl->n);

        for (i = 0; i < gl->n; i++) {
            if (ngx_http_cx_lua_globs_match(L, gl, i, s, ls)) {
                lua_pushlstring(L, (const char *) gl->glob[i].data,
                                gl->glob[i].len);
                return 1;
            }
        }

        lua_pushnil(L);
        return 1;
    }

    n = lua_objlen(L, 2);

    for (i = 1; i <= n; i++) {
        lua_rawgeti(L, 2, (int) i);

        if (lua_type(L, -1) == LUA_TSTRING
            && ngx_http_cx_lua_glob_match(L, 1, lua_gettop(L)))
        {
            return 1;
        }

        lua_pop(L, 1);
    }

    lua_pushnil(L);

    return 1;
}


/*
 * cx.route(s, routes): routes is a list of {glob, value}; the value of
 * the first glob that matches s, and that glob; nil if none does.
 */

static int
ngx_http_cx_lua_route(lua_State *L)
{
    int                       top;
    size_t                    i, n, ls;
    const u_char             *s;
    ngx_http_cx_lua_globs_t  *gl;

    gl = ngx_http_cx_lua_compile(L, 2, 1, "route");

    ngx_http_cx_lua_table_arg(L, 2);

    if (lua_type(L, 2) != LUA_TTABLE) {
        return luaL_error(L, "bad argument #2 to 'cx.route' (table "
                             "expected)");
    }

    if (lua_type(L, 1) != LUA_TSTRING) {
        lua_pushnil(L);
        return 1;
    }

    s = (const u_char *) lua_tolstring(L, 1, &ls);
    n = gl ? gl->n : lua_objlen(L, 2);
    top = lua_gettop(L);

    if (gl) {
        (void) ngx_http_cx_lua_charge(L, ngx_http_cx_lua_vm_of(L),
                                      (ls / 16 + 1) * n);
    }

    for (i = 0; i < n; i++) {

        if (gl) {
            if (!ngx_http_cx_lua_globs_match(L, gl, i, s, ls)) {
                continue;
            }

            lua_rawgeti(L, 2, (int) i + 1);
            ngx_http_cx_lua_table_arg(L, top + 1);
            lua_rawgeti(L, top + 1, 2);
            lua_rawgeti(L, top + 1, 1);

            return 2;
        }

        lua_rawgeti(L, 2, (int) i + 1);
        ngx_http_cx_lua_table_arg(L, top + 1);

        if (lua_type(L, top + 1) != LUA_TTABLE) {
            return luaL_error(L, "bad argument #2 to 'cx.route' (entry %d "
                                 "is not a {glob, value} pair)", (int) i + 1);
        }

        lua_rawgeti(L, top + 1, 1);

        if (lua_type(L, top + 2) != LUA_TSTRING) {
            return luaL_error(L, "bad argument #2 to 'cx.route' (entry %d "
                                 "has no glob)", (int) i + 1);
        }

        if (ngx_http_cx_lua_glob_match(L, 1, top + 2)) {
            lua_rawgeti(L, top + 1, 2);
            lua_insert(L, -2);
            return 2;
        }

        lua_settop(L, top);
    }

    lua_pushnil(L);

    return 1;
}
