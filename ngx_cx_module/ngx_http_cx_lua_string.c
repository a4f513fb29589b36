
/*
 * ngx_http_cx_lua_string.c: Lua patterns for the rules' sandbox.
 *
 * Lua pattern matching (string.find, match, gmatch, gsub) as in Lua 5.2's
 * lstrlib.c (MIT licence, (C) Lua.org, PUC-Rio), with one change: every
 * step of the matcher counts against the call's instruction budget.  A
 * count hook cannot interrupt a C function, and a pattern such as
 * ".-.-.-x" takes time polynomial in the subject's length: without the
 * count, one string.find on a long header could hold a worker for
 * minutes.
 *
 * ngx_http_cx_lua_string_init() makes the table of C primitives the
 * sandbox (lua/sandbox.lua) is built with: these, and those of
 * ngx_http_cx_lua_cx.c and ngx_http_cx_lua_glob.c.
 */


#include "ngx_http_cx_lua.h"


#define NGX_HTTP_CX_LUA_CAPTURES     32
#define NGX_HTTP_CX_LUA_MATCHDEPTH   200

#define CAP_UNFINISHED               (-1)
#define CAP_POSITION                 (-2)
#define L_ESC                        '%'
#define SPECIALS                     "^$*+?.([%-"
#define uchar(c)                     ((unsigned char) (c))


typedef struct {
    const char                  *src_init;
    const char                  *src_end;
    const char                  *p_end;
    lua_State                   *L;
    ngx_http_cx_lua_vm_t        *vm;
    size_t                       left;      /* steps until the budget */
    size_t                       start;     /* left when last charged */
    int                          matchdepth;
    int                          level;
    struct {
        const char              *init;
        ptrdiff_t                len;
    } capture[NGX_HTTP_CX_LUA_CAPTURES];
} ngx_http_cx_lua_ms_t;


static void ngx_http_cx_lua_ms_init(ngx_http_cx_lua_ms_t *ms, lua_State *L,
    const char *s, size_t ls, const char *p, size_t lp);
static void ngx_http_cx_lua_ms_charge(ngx_http_cx_lua_ms_t *ms);
static const char *match(ngx_http_cx_lua_ms_t *ms, const char *s,
    const char *p);
static void push_onecapture(ngx_http_cx_lua_ms_t *ms, int i, const char *s,
    const char *e);
static int push_captures(ngx_http_cx_lua_ms_t *ms, const char *s,
    const char *e);
static const char *lmemfind(lua_State *L, const char *s1, size_t l1,
    const char *s2, size_t l2);
static int str_find_aux(lua_State *L, int find);
static int str_find(lua_State *L);
static int str_match(lua_State *L);
static int gmatch_aux(lua_State *L);
static int gmatch(lua_State *L);
static int str_gsub(lua_State *L);



static const luaL_Reg  ngx_http_cx_lua_primitives[] = {
    { "find", str_find },
    { "match", str_match },
    { "gmatch", gmatch },
    { "gsub", str_gsub },
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


/* the budget of the matcher ------------------------------------------ */

static void
ngx_http_cx_lua_ms_init(ngx_http_cx_lua_ms_t *ms, lua_State *L,
    const char *s, size_t ls, const char *p, size_t lp)
{
    ms->L = L;
    ms->vm = ngx_http_cx_lua_vm_of(L);
    ms->matchdepth = NGX_HTTP_CX_LUA_MATCHDEPTH;
    ms->src_init = s;
    ms->src_end = s + ls;
    ms->p_end = p + lp;
    ms->left = ngx_http_cx_lua_left(ms->vm);
    ms->start = ms->left;
}


/* adds the steps taken so far to the call's spending */

static void
ngx_http_cx_lua_ms_charge(ngx_http_cx_lua_ms_t *ms)
{
    (void) ngx_http_cx_lua_charge(ms->L, ms->vm, ms->start - ms->left);

    ms->left = ngx_http_cx_lua_left(ms->vm);
    ms->start = ms->left;
}


#define ngx_http_cx_lua_step(ms)                                            \
    if (ms->left-- == 0) {                                                  \
        ms->left = 0;                                                       \
        (void) ngx_http_cx_lua_charge(ms->L, ms->vm, ms->start + 1);        \
    }


/* Lua 5.2's matcher ------------------------------------------------- */

static ptrdiff_t
posrelat(ptrdiff_t pos, size_t len)
{
    if (pos >= 0) {
        return pos;
    }

    if (0u - (size_t) pos > len) {
        return 0;
    }

    return (ptrdiff_t) len + pos + 1;
}


static int
check_capture(ngx_http_cx_lua_ms_t *ms, int l)
{
    l -= '1';

    if (l < 0 || l >= ms->level || ms->capture[l].len == CAP_UNFINISHED) {
        return luaL_error(ms->L, "invalid capture index %%%d", l + 1);
    }

    return l;
}


static int
capture_to_close(ngx_http_cx_lua_ms_t *ms)
{
    int  level;

    level = ms->level;

    for (level--; level >= 0; level--) {
        if (ms->capture[level].len == CAP_UNFINISHED) {
            return level;
        }
    }

    return luaL_error(ms->L, "invalid pattern capture");
}


static const char *
classEnd(ngx_http_cx_lua_ms_t *ms, const char *p)
{
    switch (*p++) {

    case L_ESC:
        if (p == ms->p_end) {
            luaL_error(ms->L, "malformed pattern (ends with '%%')");
        }

        return p + 1;

    case '[':
        if (*p == '^') {
            p++;
        }

        do {
            if (p == ms->p_end) {
                luaL_error(ms->L, "malformed pattern (missing ']')");
            }

            if (*(p++) == L_ESC && p < ms->p_end) {
                p++;
            }

        } while (*p != ']');

        return p + 1;

    default:
        return p;
    }
}


static int
match_class(int c, int cl)
{
    int  res;

    switch (ngx_tolower(cl)) {
    case 'a': res = isalpha(c); break;
    case 'c': res = iscntrl(c); break;
    case 'd': res = isdigit(c); break;
    case 'g': res = isgraph(c); break;
    case 'l': res = islower(c); break;
    case 'p': res = ispunct(c); break;
    case 's': res = isspace(c); break;
    case 'u': res = isupper(c); break;
    case 'w': res = isalnum(c); break;
    case 'x': res = isxdigit(c); break;
    case 'z': res = (c == 0); break;
    default: return (cl == c);
    }

    return (islower(cl) ? res : !res);
}


static int
matchbracketclass(int c, const char *p, const char *ec)
{
    int  sig;

    sig = 1;

    if (*(p + 1) == '^') {
        sig = 0;
        p++;
    }

    while (++p < ec) {
        if (*p == L_ESC) {
            p++;

            if (match_class(c, uchar(*p))) {
                return sig;
            }

        } else if (*(p + 1) == '-' && (p + 2 < ec)) {
            p += 2;

            if (uchar(*(p - 2)) <= c && c <= uchar(*p)) {
                return sig;
            }

        } else if (uchar(*p) == c) {
            return sig;
        }
    }

    return !sig;
}


static int
singlematch(ngx_http_cx_lua_ms_t *ms, const char *s, const char *p,
    const char *ep)
{
    int  c;

    if (s >= ms->src_end) {
        return 0;
    }

    c = uchar(*s);

    switch (*p) {
    case '.': return 1;
    case L_ESC: return match_class(c, uchar(*(p + 1)));
    case '[': return matchbracketclass(c, p, ep - 1);
    default: return (uchar(*p) == c);
    }
}


static const char *
matchbalance(ngx_http_cx_lua_ms_t *ms, const char *s, const char *p)
{
    int  b, e, cont;

    if (p >= ms->p_end - 1) {
        luaL_error(ms->L, "malformed pattern (missing arguments to '%%b')");
    }

    if (s >= ms->src_end || *s != *p) {
        return NULL;
    }

    b = *p;
    e = *(p + 1);
    cont = 1;

    while (++s < ms->src_end) {
        ngx_http_cx_lua_step(ms);

        if (*s == e) {
            if (--cont == 0) {
                return s + 1;
            }

        } else if (*s == b) {
            cont++;
        }
    }

    return NULL;
}


static const char *
max_expand(ngx_http_cx_lua_ms_t *ms, const char *s, const char *p,
    const char *ep)
{
    ptrdiff_t    i;
    const char  *res;

    i = 0;

    while (singlematch(ms, s + i, p, ep)) {
        ngx_http_cx_lua_step(ms);
        i++;
    }

    while (i >= 0) {
        res = match(ms, (s + i), ep + 1);

        if (res) {
            return res;
        }

        i--;
    }

    return NULL;
}


static const char *
min_expand(ngx_http_cx_lua_ms_t *ms, const char *s, const char *p,
    const char *ep)
{
    const char  *res;

    for ( ;; ) {
        res = match(ms, s, ep + 1);

        if (res != NULL) {
            return res;
        }

        if (!singlematch(ms, s, p, ep)) {
            return NULL;
        }

        s++;
    }
}


static const char *
start_capture(ngx_http_cx_lua_ms_t *ms, const char *s, const char *p,
    int what)
{
    int          level;
    const char  *res;

    level = ms->level;

    if (level >= NGX_HTTP_CX_LUA_CAPTURES) {
        luaL_error(ms->L, "too many captures");
    }

    ms->capture[level].init = s;
    ms->capture[level].len = what;
    ms->level = level + 1;

    res = match(ms, s, p);

    if (res == NULL) {
        ms->level--;
    }

    return res;
}


static const char *
end_capture(ngx_http_cx_lua_ms_t *ms, const char *s, const char *p)
{
    int          l;
    const char  *res;

    l = capture_to_close(ms);
    ms->capture[l].len = s - ms->capture[l].init;

    res = match(ms, s, p);

    if (res == NULL) {
        ms->capture[l].len = CAP_UNFINISHED;
    }

    return res;
}


static const char *
match_capture(ngx_http_cx_lua_ms_t *ms, const char *s, int l)
{
    size_t  len;

    l = check_capture(ms, l);
    len = ms->capture[l].len;

    if ((size_t) (ms->src_end - s) >= len
        && ngx_memcmp(ms->capture[l].init, s, len) == 0)
    {
        return s + len;
    }

    return NULL;
}


static const char *
match(ngx_http_cx_lua_ms_t *ms, const char *s, const char *p)
{
    char         previous;
    const char  *ep, *res;

    if (ms->matchdepth-- == 0) {
        luaL_error(ms->L, "pattern too complex");
    }

init:

    ngx_http_cx_lua_step(ms);

    if (p == ms->p_end) {
        goto done;
    }

    switch (*p) {

    case '(':
        if (*(p + 1) == ')') {
            s = start_capture(ms, s, p + 2, CAP_POSITION);

        } else {
            s = start_capture(ms, s, p + 1, CAP_UNFINISHED);
        }

        break;

    case ')':
        s = end_capture(ms, s, p + 1);
        break;

    case '$':
        if ((p + 1) != ms->p_end) {
            goto dflt;
        }

        s = (s == ms->src_end) ? s : NULL;
        break;

    case L_ESC:
        switch (*(p + 1)) {

        case 'b':
            s = matchbalance(ms, s, p + 2);

            if (s != NULL) {
                p += 4;
                goto init;
            }

            break;

        case 'f':
            p += 2;

            if (*p != '[') {
                luaL_error(ms->L, "missing '[' after '%%f' in pattern");
            }

            ep = classEnd(ms, p);
            previous = (s == ms->src_init) ? '\0' : *(s - 1);

            if (!matchbracketclass(uchar(previous), p, ep - 1)
                && matchbracketclass(s < ms->src_end ? uchar(*s) : 0,
                                     p, ep - 1))
            {
                p = ep;
                goto init;
            }

            s = NULL;
            break;

        case '0': case '1': case '2': case '3': case '4':
        case '5': case '6': case '7': case '8': case '9':
            s = match_capture(ms, s, uchar(*(p + 1)));

            if (s != NULL) {
                p += 2;
                goto init;
            }

            break;

        default:
            goto dflt;
        }

        break;

    default:
    dflt:

        ep = classEnd(ms, p);

        if (!singlematch(ms, s, p, ep)) {
            if (*ep == '*' || *ep == '?' || *ep == '-') {
                p = ep + 1;
                goto init;
            }

            s = NULL;
            break;
        }

        switch (*ep) {

        case '?':
            res = match(ms, s + 1, ep + 1);

            if (res != NULL) {
                s = res;

            } else {
                p = ep + 1;
                goto init;
            }

            break;

        case '+':
            s = max_expand(ms, s + 1, p, ep);
            break;

        case '*':
            s = max_expand(ms, s, p, ep);
            break;

        case '-':
            s = min_expand(ms, s, p, ep);
            break;

        default:
            s++;
            p = ep;
            goto init;
        }

        break;
    }

done:

    ms->matchdepth++;

    return s;
}


static void
push_onecapture(ngx_http_cx_lua_ms_t *ms, int i, const char *s,
    const char *e)
{
    ptrdiff_t  l;

    if (i >= ms->level) {
        if (i == 0) {
            lua_pushlstring(ms->L, s, e - s);

        } else {
            luaL_error(ms->L, "invalid capture index");
        }

        return;
    }

    l = ms->capture[i].len;

    if (l == CAP_UNFINISHED) {
        luaL_error(ms->L, "unfinished capture");
    }

    if (l == CAP_POSITION) {
        lua_pushinteger(ms->L, ms->capture[i].init - ms->src_init + 1);

    } else {
        lua_pushlstring(ms->L, ms->capture[i].init, l);
    }
}


static int
push_captures(ngx_http_cx_lua_ms_t *ms, const char *s, const char *e)
{
    int  i, nlevels;

    nlevels = (ms->level == 0 && s) ? 1 : ms->level;

    luaL_checkstack(ms->L, nlevels, "too many captures");

    for (i = 0; i < nlevels; i++) {
        push_onecapture(ms, i, s, e);
    }

    return nlevels;
}


static int
nospecials(const char *p, size_t l)
{
    size_t  i;

    for (i = 0; i < l; i++) {
        if (ngx_strlchr((u_char *) SPECIALS,
                        (u_char *) SPECIALS + sizeof(SPECIALS) - 1, p[i]))
        {
            return 0;
        }
    }

    return 1;
}


/* a plain search, charged by the bytes it compares */

static const char *
lmemfind(lua_State *L, const char *s1, size_t l1, const char *s2, size_t l2)
{
    size_t                 work, left;
    const char            *init, *end;
    ngx_http_cx_lua_vm_t  *vm;

    if (l2 == 0) {
        return s1;
    }

    if (l2 > l1) {
        return NULL;
    }

    vm = ngx_http_cx_lua_vm_of(L);
    left = ngx_http_cx_lua_left(vm);
    work = 0;
    end = s1 + l1 - l2 + 1;

    while (s1 < end) {
        init = memchr(s1, *s2, end - s1);

        if (init == NULL) {
            work += end - s1;
            break;
        }

        work += init - s1 + l2;

        if (work > left) {
            (void) ngx_http_cx_lua_charge(L, vm, work);
        }

        if (ngx_memcmp(init + 1, s2 + 1, l2 - 1) == 0) {
            (void) ngx_http_cx_lua_charge(L, vm, work);
            return init;
        }

        s1 = init + 1;
    }

    (void) ngx_http_cx_lua_charge(L, vm, work);

    return NULL;
}


static int
str_find_aux(lua_State *L, int find)
{
    int                    anchor, n;
    size_t                 ls, lp;
    ptrdiff_t              init;
    const char            *s, *p, *s1, *s2, *res;
    ngx_http_cx_lua_ms_t   ms;

    s = luaL_checklstring(L, 1, &ls);
    p = luaL_checklstring(L, 2, &lp);
    init = posrelat(luaL_optinteger(L, 3, 1), ls);

    if (init < 1) {
        init = 1;

    } else if (init > (ptrdiff_t) ls + 1) {
        lua_pushnil(L);
        return 1;
    }

    if (find && (lua_toboolean(L, 4) || nospecials(p, lp))) {

        s2 = lmemfind(L, s + init - 1, ls - init + 1, p, lp);

        if (s2) {
            lua_pushinteger(L, s2 - s + 1);
            lua_pushinteger(L, s2 - s + lp);
            return 2;
        }

        lua_pushnil(L);
        return 1;
    }

    anchor = (*p == '^');

    if (anchor) {
        p++;
        lp--;
    }

    ngx_http_cx_lua_ms_init(&ms, L, s, ls, p, lp);

    s1 = s + init - 1;

    do {
        ms.level = 0;

        res = match(&ms, s1, p);

        if (res != NULL) {
            ngx_http_cx_lua_ms_charge(&ms);

            if (find) {
                lua_pushinteger(L, s1 - s + 1);
                lua_pushinteger(L, res - s);
                n = push_captures(&ms, NULL, 0);
                return n + 2;
            }

            return push_captures(&ms, s1, res);
        }

    } while (s1++ < ms.src_end && !anchor);

    ngx_http_cx_lua_ms_charge(&ms);

    lua_pushnil(L);
    return 1;
}


static int
str_find(lua_State *L)
{
    return str_find_aux(L, 1);
}


static int
str_match(lua_State *L)
{
    return str_find_aux(L, 0);
}


static int
gmatch_aux(lua_State *L)
{
    size_t                 ls, lp;
    const char            *s, *p, *src, *e;
    lua_Integer            newstart;
    ngx_http_cx_lua_ms_t   ms;

    s = lua_tolstring(L, lua_upvalueindex(1), &ls);
    p = lua_tolstring(L, lua_upvalueindex(2), &lp);

    ngx_http_cx_lua_ms_init(&ms, L, s, ls, p, lp);

    for (src = s + (size_t) lua_tointeger(L, lua_upvalueindex(3));
         src <= ms.src_end;
         src++)
    {
        ms.level = 0;

        e = match(&ms, src, p);

        if (e != NULL) {
            ngx_http_cx_lua_ms_charge(&ms);

            newstart = e - s;

            if (e == src) {
                newstart++;
            }

            lua_pushinteger(L, newstart);
            lua_replace(L, lua_upvalueindex(3));

            return push_captures(&ms, src, e);
        }
    }

    ngx_http_cx_lua_ms_charge(&ms);

    return 0;
}


static int
gmatch(lua_State *L)
{
    luaL_checkstring(L, 1);
    luaL_checkstring(L, 2);
    lua_settop(L, 2);
    lua_pushinteger(L, 0);
    lua_pushcclosure(L, gmatch_aux, 3);

    return 1;
}


static void
add_s(ngx_http_cx_lua_ms_t *ms, luaL_Buffer *b, const char *s,
    const char *e)
{
    size_t       l, i;
    const char  *news;

    news = lua_tolstring(ms->L, 3, &l);

    for (i = 0; i < l; i++) {

        if (news[i] != L_ESC) {
            luaL_addchar(b, news[i]);
            continue;
        }

        i++;

        if (i == l || !isdigit(uchar(news[i]))) {
            if (i == l || news[i] != L_ESC) {
                luaL_error(ms->L, "invalid use of '%%' in replacement "
                                  "string");
            }

            luaL_addchar(b, news[i]);

        } else if (news[i] == '0') {
            luaL_addlstring(b, s, e - s);

        } else {
            push_onecapture(ms, news[i] - '1', s, e);
            luaL_addvalue(b);
        }
    }
}


static void
add_value(ngx_http_cx_lua_ms_t *ms, luaL_Buffer *b, const char *s,
    const char *e, int tr)
{
    int         n;
    lua_State  *L;

    L = ms->L;

    switch (tr) {

    case LUA_TFUNCTION:
        lua_pushvalue(L, 3);
        n = push_captures(ms, s, e);
        ngx_http_cx_lua_ms_charge(ms);
        lua_call(L, n, 1);
        ms->left = ngx_http_cx_lua_left(ms->vm);
        ms->start = ms->left;
        break;

    case LUA_TTABLE:
    case LUA_TUSERDATA:
        push_onecapture(ms, 0, s, e);
        ngx_http_cx_lua_ms_charge(ms);
        lua_gettable(L, 3);
        ms->left = ngx_http_cx_lua_left(ms->vm);
        ms->start = ms->left;
        break;

    default:
        add_s(ms, b, s, e);
        return;
    }

    if (!lua_toboolean(L, -1)) {
        lua_pop(L, 1);
        lua_pushlstring(L, s, e - s);

    } else if (!lua_isstring(L, -1)) {
        luaL_error(L, "invalid replacement value (a %s)",
                   luaL_typename(L, -1));
    }

    luaL_addvalue(b);
}


static int
str_gsub(lua_State *L)
{
    int                    tr, anchor;
    size_t                 srcl, lp, n, max_s;
    const char            *src, *p, *e;
    luaL_Buffer            b;
    ngx_http_cx_lua_ms_t   ms;

    src = luaL_checklstring(L, 1, &srcl);
    p = luaL_checklstring(L, 2, &lp);
    tr = lua_type(L, 3);
    max_s = luaL_optinteger(L, 4, srcl + 1);
    anchor = (*p == '^');
    n = 0;

    luaL_argcheck(L, tr == LUA_TNUMBER || tr == LUA_TSTRING
                     || tr == LUA_TFUNCTION || tr == LUA_TTABLE
                     || tr == LUA_TUSERDATA,
                  3, "string/function/table expected");

    luaL_buffinit(L, &b);

    if (anchor) {
        p++;
        lp--;
    }

    ngx_http_cx_lua_ms_init(&ms, L, src, srcl, p, lp);

    while (n < max_s) {
        ms.level = 0;

        e = match(&ms, src, p);

        if (e) {
            n++;
            add_value(&ms, &b, src, e, tr);
        }

        if (e && e > src) {
            src = e;

        } else if (src < ms.src_end) {
            luaL_addchar(&b, *src++);

        } else {
            break;
        }

        if (anchor) {
            break;
        }
    }

    ngx_http_cx_lua_ms_charge(&ms);

    luaL_addlstring(&b, src, ms.src_end - src);
    luaL_pushresult(&b);
    lua_pushinteger(L, n);

    return 2;
}
