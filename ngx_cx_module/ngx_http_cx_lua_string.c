
/*
 * ngx_http_cx_lua_string.c: string.find, match, gmatch and gsub of the
 * rules' sandbox, on our matcher (ngx_http_cx_lua_pattern.c), with the
 * results of LuaJIT's own: the same matches, captures and errors.  Every
 * step counts against the call's instruction budget, and so does every
 * byte copied into a result.
 *
 * A replacement function of gsub, or a replacement table with a
 * metatable (its __index may run Lua), is called through
 * ngx_http_cx_lua_callback(): nested C calls back into Lua are bounded.
 * A gsub that may call back keeps its matcher and result in a userdata,
 * so that a level of such nesting costs a few hundred bytes of C stack;
 * a long result goes to memory of the Lua allocator too.
 *
 * ngx_http_cx_lua_string_init() makes the table of C primitives the
 * sandbox (lua/sandbox.lua) is built with: these, and those of
 * ngx_http_cx_lua_cx.c and ngx_http_cx_lua_glob.c.
 */


#include "ngx_http_cx_lua_pattern.h"


#define NGX_HTTP_CX_LUA_GSUB_INLINE  64

/* so that a gsub calling back into Lua keeps its frame small */
#if (defined __GNUC__)
#define NGX_HTTP_CX_NOINLINE         __attribute__((noinline))
#else
#define NGX_HTTP_CX_NOINLINE
#endif


/* the result of gsub: inline while short, then a userdata in a slot */

typedef struct {
    u_char                      *data;
    size_t                       len;
    size_t                       size;
    int                          slot;
    u_char                       inline_[NGX_HTTP_CX_LUA_GSUB_INLINE];
} ngx_http_cx_lua_buf_t;


typedef struct {
    ngx_http_cx_pat_t            pt;
    ngx_http_cx_lua_buf_t        buf;
} ngx_http_cx_lua_gsub_t;


static int ngx_http_cx_lua_find(lua_State *L);
static int ngx_http_cx_lua_match(lua_State *L);
static int ngx_http_cx_lua_find_aux(lua_State *L, ngx_uint_t find);
static ngx_uint_t ngx_http_cx_lua_special(const u_char *p, size_t lp);
static ngx_int_t ngx_http_cx_lua_plain(lua_State *L, const u_char *s,
    size_t ls, const u_char *p, size_t lp);
static int ngx_http_cx_lua_gmatch(lua_State *L);
static int ngx_http_cx_lua_gmatch_next(lua_State *L);
static int ngx_http_cx_lua_gsub(lua_State *L);
static int ngx_http_cx_lua_gsub_here(lua_State *L) NGX_HTTP_CX_NOINLINE;
static int ngx_http_cx_lua_gsub_run(lua_State *L, ngx_http_cx_lua_gsub_t *g)
    NGX_HTTP_CX_NOINLINE;
static void ngx_http_cx_lua_replace(ngx_http_cx_pat_t *pt,
    ngx_http_cx_lua_buf_t *b, size_t s, size_t e, int tr);
static void ngx_http_cx_lua_replace_string(ngx_http_cx_pat_t *pt,
    ngx_http_cx_lua_buf_t *b, size_t s, size_t e);
static int ngx_http_cx_lua_index(lua_State *L);
static void ngx_http_cx_lua_add(ngx_http_cx_pat_t *pt,
    ngx_http_cx_lua_buf_t *b, const u_char *p, size_t len);
static void ngx_http_cx_lua_capture(ngx_http_cx_pat_t *pt, ngx_uint_t i,
    size_t s, size_t e);
static int ngx_http_cx_lua_captures(ngx_http_cx_pat_t *pt, size_t s,
    size_t e, ngx_uint_t whole);
static void ngx_http_cx_lua_resume(ngx_http_cx_pat_t *pt);


static const luaL_Reg  ngx_http_cx_lua_primitives[] = {
    { "find", ngx_http_cx_lua_find },
    { "match", ngx_http_cx_lua_match },
    { "gmatch", ngx_http_cx_lua_gmatch },
    { "gsub", ngx_http_cx_lua_gsub },
    { NULL, NULL }
};


/* pushes the table of primitives the sandbox is built with */

void
ngx_http_cx_lua_string_init(lua_State *L)
{
    const luaL_Reg  *f;

    lua_createtable(L, 0, 32);

    for (f = ngx_http_cx_lua_primitives; f->name; f++) {
        lua_pushcfunction(L, f->func);
        lua_setfield(L, -2, f->name);
    }

    ngx_http_cx_lua_cx_init(L);
    ngx_http_cx_lua_glob_init(L);
}


static int
ngx_http_cx_lua_find(lua_State *L)
{
    return ngx_http_cx_lua_find_aux(L, 1);
}


static int
ngx_http_cx_lua_match(lua_State *L)
{
    return ngx_http_cx_lua_find_aux(L, 0);
}


static int
ngx_http_cx_lua_find_aux(lua_State *L, ngx_uint_t find)
{
    int                 n;
    size_t              ls, lp, start;
    ngx_int_t           init, e;
    ngx_uint_t          anchored;
    const u_char       *s, *p;
    ngx_http_cx_pat_t   pt;

    s = (const u_char *) luaL_checklstring(L, 1, &ls);
    p = (const u_char *) luaL_checklstring(L, 2, &lp);
    init = luaL_optint(L, 3, 1);

    /* as LuaJIT: from the end when negative, within the subject */

    if (init < 0) {
        init += (ngx_int_t) ls;

    } else {
        init--;
    }

    if (init < 0) {
        init = 0;

    } else if ((size_t) init > ls) {
        init = ls;
    }

    if (find && (lua_toboolean(L, 4) || !ngx_http_cx_lua_special(p, lp))) {
        e = ngx_http_cx_lua_plain(L, s + init, ls - init, p, lp);

        if (e < 0) {
            lua_pushnil(L);
            return 1;
        }

        lua_pushinteger(L, init + e + 1);
        lua_pushinteger(L, init + e + lp);
        return 2;
    }

    anchored = (lp && p[0] == '^');

    if (anchored) {
        p++;
        lp--;
    }

    ngx_http_cx_pat_compile(&pt, L, s, ls, p, lp);

    e = ngx_http_cx_pat_find(&pt, init, anchored, &start);

    if (e < 0) {
        ngx_http_cx_pat_charge(&pt);
        lua_pushnil(L);
        return 1;
    }

    if (find) {
        lua_pushinteger(L, start + 1);
        lua_pushinteger(L, e);
        n = ngx_http_cx_lua_captures(&pt, 0, 0, 0) + 2;

    } else {
        n = ngx_http_cx_lua_captures(&pt, start, e, 1);
    }

    ngx_http_cx_pat_charge(&pt);

    return n;
}


/* whether p has a byte that makes find() match a pattern (all of p) */

static ngx_uint_t
ngx_http_cx_lua_special(const u_char *p, size_t lp)
{
    size_t  i;

    for (i = 0; i < lp; i++) {
        switch (p[i]) {
        case '^': case '$': case '*': case '+': case '?':
        case '.': case '(': case '[': case '%': case '-':
            return 1;
        }
    }

    return 0;
}


/* p in s, charged by the bytes looked at: its offset, or -1 */

static ngx_int_t
ngx_http_cx_lua_plain(lua_State *L, const u_char *s, size_t ls,
    const u_char *p, size_t lp)
{
    size_t                 work, left;
    const u_char          *q, *end, *from;
    ngx_http_cx_lua_vm_t  *vm;

    if (lp == 0) {
        return 0;
    }

    if (lp > ls) {
        return -1;
    }

    vm = ngx_http_cx_lua_vm_of(L);
    left = ngx_http_cx_lua_left(vm);
    work = 0;
    from = s;
    end = s + ls - lp + 1;

    while (from < end) {
        q = memchr(from, p[0], end - from);

        if (q == NULL) {
            work += end - from;
            break;
        }

        work += q - from + lp;

        if (work > left) {
            (void) ngx_http_cx_lua_charge(L, vm, work);
        }

        if (ngx_memcmp(q + 1, p + 1, lp - 1) == 0) {
            (void) ngx_http_cx_lua_charge(L, vm, work);
            return q - s;
        }

        from = q + 1;
    }

    (void) ngx_http_cx_lua_charge(L, vm, work);

    return -1;
}


static int
ngx_http_cx_lua_gmatch(lua_State *L)
{
    luaL_checkstring(L, 1);
    luaL_checkstring(L, 2);
    lua_settop(L, 2);
    lua_pushinteger(L, 0);
    lua_pushcclosure(L, ngx_http_cx_lua_gmatch_next, 3);

    return 1;
}


static int
ngx_http_cx_lua_gmatch_next(lua_State *L)
{
    int                 n;
    size_t              ls, lp, start, next;
    ngx_int_t           e;
    lua_Integer         pos;
    const u_char       *s, *p;
    ngx_http_cx_pat_t   pt;

    s = (const u_char *) lua_tolstring(L, lua_upvalueindex(1), &ls);
    p = (const u_char *) lua_tolstring(L, lua_upvalueindex(2), &lp);
    pos = lua_tointeger(L, lua_upvalueindex(3));

    if (pos < 0 || (size_t) pos > ls) {
        return 0;
    }

    /* no anchor here: in gmatch, LuaJIT reads a leading '^' as itself */

    ngx_http_cx_pat_compile(&pt, L, s, ls, p, lp);

    e = ngx_http_cx_pat_find(&pt, (size_t) pos, 0, &start);

    if (e < 0) {
        ngx_http_cx_pat_charge(&pt);
        return 0;
    }

    next = (size_t) e + ((size_t) e == start);

    lua_pushinteger(L, (lua_Integer) next);
    lua_replace(L, lua_upvalueindex(3));

    n = ngx_http_cx_lua_captures(&pt, start, e, 1);

    ngx_http_cx_pat_charge(&pt);

    return n;
}


static int
ngx_http_cx_lua_gsub(lua_State *L)
{
    int                       tr;
    ngx_http_cx_lua_gsub_t   *g;

    tr = lua_type(L, 3);

    if (tr == LUA_TSTRING || tr == LUA_TNUMBER) {
        return ngx_http_cx_lua_gsub_here(L);
    }

    /*
     * The replacement may call gsub again: what a level keeps goes in
     * a userdata, not on the C stack (checked again in gsub_run)
     */

    lua_settop(L, 4);
    lua_pushnil(L);

    g = lua_newuserdata(L, sizeof(ngx_http_cx_lua_gsub_t));

    return ngx_http_cx_lua_gsub_run(L, g);
}


/* a replacement string: no call back into Lua, all on the stack */

static int
ngx_http_cx_lua_gsub_here(lua_State *L)
{
    ngx_http_cx_lua_gsub_t  g;

    lua_settop(L, 4);
    lua_pushnil(L);

    return ngx_http_cx_lua_gsub_run(L, &g);
}


/* gsub with the slot for its result at 5, what it keeps in g */

static int
ngx_http_cx_lua_gsub_run(lua_State *L, ngx_http_cx_lua_gsub_t *g)
{
    int                      tr, max, n;
    size_t                   srcl, lp, pos, k;
    ngx_int_t                e;
    ngx_uint_t               anchored;
    const u_char            *src, *p, *q;
    ngx_http_cx_pat_t       *pt;
    ngx_http_cx_lua_buf_t   *b;

    pt = &g->pt;
    b = &g->buf;

    src = (const u_char *) luaL_checklstring(L, 1, &srcl);
    p = (const u_char *) luaL_checklstring(L, 2, &lp);
    tr = lua_type(L, 3);
    max = luaL_optint(L, 4, (int) (srcl + 1));

    anchored = (lp && p[0] == '^');

    if (anchored) {
        p++;
        lp--;
    }

    /* a frozen table (a userdata proxy) serves as the table it stands for */

    if (!(tr == LUA_TNUMBER || tr == LUA_TSTRING || tr == LUA_TFUNCTION
          || tr == LUA_TTABLE || tr == LUA_TUSERDATA))
    {
        return luaL_argerror(L, 3, "string/function/table expected");
    }

    b->data = b->inline_;
    b->len = 0;
    b->size = NGX_HTTP_CX_LUA_GSUB_INLINE;
    b->slot = 5;

    ngx_http_cx_pat_compile(pt, L, src, srcl, p, lp);

    pos = 0;
    n = 0;

    while (n < max) {

        if (pt->first < 256 && !anchored && pos < srcl) {
            /* up to where a match can start, unchanged */

            q = memchr(src + pos, (int) pt->first, srcl - pos);
            k = (q ? (size_t) (q - src) : srcl) - pos;

            ngx_http_cx_lua_add(pt, b, src + pos, k);
            pos += k;
        }

        e = ngx_http_cx_pat_match(pt, pos);

        if (e >= 0) {
            n++;
            ngx_http_cx_lua_replace(pt, b, pos, e, tr);
        }

        if (e >= 0 && (size_t) e > pos) {
            pos = e;

        } else if (pos < srcl) {
            ngx_http_cx_lua_add(pt, b, src + pos, 1);
            pos++;

        } else {
            break;
        }

        if (anchored) {
            break;
        }
    }

    ngx_http_cx_lua_add(pt, b, src + pos, srcl - pos);

    ngx_http_cx_pat_spend_bytes(pt, b->len);
    ngx_http_cx_pat_charge(pt);

    lua_pushlstring(L, (const char *) b->data, b->len);
    lua_pushinteger(L, n);

    return 2;
}


/* what replaces the match s..e */

static void
ngx_http_cx_lua_replace(ngx_http_cx_pat_t *pt, ngx_http_cx_lua_buf_t *b,
    size_t s, size_t e, int tr)
{
    int          n;
    size_t       len;
    lua_State   *L;
    const char  *v;

    L = pt->L;

    switch (tr) {

    case LUA_TFUNCTION:
        lua_pushvalue(L, 3);
        n = ngx_http_cx_lua_captures(pt, s, e, 1);
        ngx_http_cx_pat_charge(pt);
        ngx_http_cx_lua_callback(L, n, 1);
        ngx_http_cx_lua_resume(pt);
        break;

    case LUA_TTABLE:
    case LUA_TUSERDATA:
        ngx_http_cx_lua_capture(pt, 0, s, e);

        if (tr == LUA_TTABLE && !lua_getmetatable(L, 3)) {
            lua_rawget(L, 3);
            break;
        }

        /* __index may run Lua: a call like any other */

        if (tr == LUA_TTABLE) {
            lua_pop(L, 1);
        }

        lua_pushcfunction(L, ngx_http_cx_lua_index);
        lua_insert(L, -2);
        lua_pushvalue(L, 3);
        lua_insert(L, -2);

        ngx_http_cx_pat_charge(pt);
        ngx_http_cx_lua_callback(L, 2, 1);
        ngx_http_cx_lua_resume(pt);
        break;

    default:
        ngx_http_cx_lua_replace_string(pt, b, s, e);
        return;
    }

    if (!lua_toboolean(L, -1)) {
        lua_pop(L, 1);
        ngx_http_cx_lua_add(pt, b, pt->subject + s, e - s);
        return;
    }

    if (!lua_isstring(L, -1)) {
        (void) luaL_error(L, "invalid replacement value (a %s)",
                          luaL_typename(L, -1));
        return;
    }

    v = lua_tolstring(L, -1, &len);
    ngx_http_cx_lua_add(pt, b, (const u_char *) v, len);
    lua_pop(L, 1);
}


/*
 * A replacement string: "%0" is the match, "%1" to "%9" a capture, '%'
 * before anything else that thing (as in LuaJIT, a '%' at the very end
 * stands for a NUL byte)
 */

static void
ngx_http_cx_lua_replace_string(ngx_http_cx_pat_t *pt,
    ngx_http_cx_lua_buf_t *b, size_t s, size_t e)
{
    size_t         l, i, j, len;
    u_char         c;
    lua_State     *L;
    const char    *v;
    const u_char  *r;

    L = pt->L;
    r = (const u_char *) lua_tolstring(L, 3, &l);

    for (i = 0; i < l; i = j + 1) {

        /* the bytes up to the next '%' as they are */

        for (j = i; j < l && r[j] != '%'; j++) { /* void */ }

        ngx_http_cx_lua_add(pt, b, r + i, j - i);

        if (j == l) {
            break;
        }

        j++;
        c = (j < l) ? r[j] : '\0';

        if (c < '0' || c > '9') {
            ngx_http_cx_lua_add(pt, b, &c, 1);
            continue;
        }

        if (c == '0') {
            ngx_http_cx_lua_add(pt, b, pt->subject + s, e - s);
            continue;
        }

        ngx_http_cx_lua_capture(pt, c - '1', s, e);

        v = lua_tolstring(L, -1, &len);
        ngx_http_cx_lua_add(pt, b, (const u_char *) v, len);
        lua_pop(L, 1);
    }
}


/* t[k] with t and k on the stack, in a protected call */

static int
ngx_http_cx_lua_index(lua_State *L)
{
    lua_gettable(L, 1);

    return 1;
}


/* appends to the result; charged by the bytes */

static void
ngx_http_cx_lua_add(ngx_http_cx_pat_t *pt, ngx_http_cx_lua_buf_t *b,
    const u_char *p, size_t len)
{
    size_t   size;
    u_char  *mem;

    if (len == 0) {
        return;
    }

    ngx_http_cx_pat_spend_bytes(pt, len);

    if (b->size - b->len < len) {
        size = ngx_max(b->size * 2, b->len + len);

        if (size < b->len) {
            (void) luaL_error(pt->L, "string too long");
        }

        mem = lua_newuserdata(pt->L, size);
        ngx_memcpy(mem, b->data, b->len);
        lua_replace(pt->L, b->slot);

        b->data = mem;
        b->size = size;
    }

    ngx_memcpy(b->data + b->len, p, len);
    b->len += len;
}


/* pushes capture i of the match s..e (the match itself if none) */

static void
ngx_http_cx_lua_capture(ngx_http_cx_pat_t *pt, ngx_uint_t i, size_t s,
    size_t e)
{
    ngx_http_cx_pat_cap_t  *cap;

    if (i >= pt->ncaps) {
        if (i != 0) {
            (void) luaL_error(pt->L, "invalid capture index %%%d in "
                              "replacement string", (int) i + 1);
        }

        ngx_http_cx_pat_spend_bytes(pt, e - s);
        lua_pushlstring(pt->L, (const char *) pt->subject + s, e - s);
        return;
    }

    if (pt->unfinished & ((uint32_t) 1 << i)) {
        (void) luaL_error(pt->L, "unfinished capture (a '(' without ')')");
    }

    cap = &pt->caps[i];

    if (cap->len == NGX_HTTP_CX_PAT_POSITION) {
        lua_pushinteger(pt->L, (lua_Integer) cap->start + 1);
        return;
    }

    ngx_http_cx_pat_spend_bytes(pt, cap->len);
    lua_pushlstring(pt->L, (const char *) pt->subject + cap->start, cap->len);
}


/* pushes every capture, or the whole match when there is none and whole */

static int
ngx_http_cx_lua_captures(ngx_http_cx_pat_t *pt, size_t s, size_t e,
    ngx_uint_t whole)
{
    ngx_uint_t  i, n;

    n = (pt->ncaps == 0 && whole) ? 1 : pt->ncaps;

    luaL_checkstack(pt->L, (int) n, "too many captures");

    for (i = 0; i < n; i++) {
        ngx_http_cx_lua_capture(pt, i, s, e);
    }

    return (int) n;
}


/* after a call back into Lua: what is left of the budget now */

static void
ngx_http_cx_lua_resume(ngx_http_cx_pat_t *pt)
{
    pt->left = ngx_http_cx_lua_left(pt->vm);
    pt->from = pt->left;
}
