
/*
 * ngx_http_cx_lua_builtins.c: the functions of Lua's string and table
 * libraries (and tonumber) as rules get them.  Each charges the work it
 * does to the call's budget, by the bytes it touches (a unit per 8,
 * ngx_http_cx_lua_work()) or the elements it moves, before doing it when
 * that is known: LuaJIT's own would do it inside one instruction, and a
 * string they make that exists already costs no allocation either.  The
 * ones that call back into Lua (sort's comparator, format's __tostring)
 * do it through ngx_http_cx_lua_callback() or ngx_http_cx_lua_builtin(),
 * which count the nesting.  Pattern matching is ngx_http_cx_lua_string.c.
 *
 * Most call LuaJIT's function (an upvalue) once the arguments are
 * checked, so that it cannot fail for them: an error raised by LuaJIT's
 * function called from C would have no position.  sub, byte, insert,
 * sort and maxn are our own.
 *
 * LuaJIT's tostring hands a __tostring over as a tail call, without a
 * bytecode: with tostring itself as the __tostring it would loop for
 * ever where no count hook sees it.  Ours calls the metamethod, counted.
 */


#include "ngx_http_cx_lua.h"


static int ngx_http_cx_lua_case(lua_State *L);
static int ngx_http_cx_lua_rep(lua_State *L);
static int ngx_http_cx_lua_sub(lua_State *L);
static int ngx_http_cx_lua_byte(lua_State *L);
static int ngx_http_cx_lua_char(lua_State *L);
static int ngx_http_cx_lua_format(lua_State *L);
static int ngx_http_cx_lua_tonumber(lua_State *L);
static int ngx_http_cx_lua_tostring(lua_State *L);
static int ngx_http_cx_lua_insert(lua_State *L);
static int ngx_http_cx_lua_maxn(lua_State *L);
static int ngx_http_cx_lua_sort(lua_State *L);
static void ngx_http_cx_lua_sift(lua_State *L, ngx_http_cx_lua_vm_t *vm,
    size_t i, size_t n);
static int ngx_http_cx_lua_less(lua_State *L, ngx_http_cx_lua_vm_t *vm,
    size_t i, size_t j);
static int ngx_http_cx_lua_lessthan(lua_State *L);
static lua_Integer ngx_http_cx_lua_pos(lua_Integer pos, size_t len);


/* { name, ours, the library's function it calls (NULL: none) } */

static const struct {
    const char      *name;
    lua_CFunction    func;
    const char      *lib;
} ngx_http_cx_lua_builtins[] = {

    { "lower", ngx_http_cx_lua_case, "string" },
    { "upper", ngx_http_cx_lua_case, "string" },
    { "reverse", ngx_http_cx_lua_case, "string" },
    { "rep", ngx_http_cx_lua_rep, "string" },
    { "sub", ngx_http_cx_lua_sub, NULL },
    { "byte", ngx_http_cx_lua_byte, NULL },
    { "char", ngx_http_cx_lua_char, "string" },
    { "format", ngx_http_cx_lua_format, "string" },
    { "tonumber", ngx_http_cx_lua_tonumber, "_G" },
    { "tostring", ngx_http_cx_lua_tostring, "_G" },
    { "insert", ngx_http_cx_lua_insert, NULL },
    { "maxn", ngx_http_cx_lua_maxn, NULL },
    { "sort", ngx_http_cx_lua_sort, NULL },

    { NULL, NULL, NULL }
};


/*
 * Adds the functions to the table of primitives on top of the stack, and
 * string_max, the longest string a rule file may hold
 */

void
ngx_http_cx_lua_builtins_init(lua_State *L)
{
    ngx_uint_t  i;

    for (i = 0; ngx_http_cx_lua_builtins[i].name; i++) {

        if (ngx_http_cx_lua_builtins[i].lib) {
            lua_getglobal(L, ngx_http_cx_lua_builtins[i].lib);
            lua_getfield(L, -1, ngx_http_cx_lua_builtins[i].name);
            lua_remove(L, -2);
            lua_pushcclosure(L, ngx_http_cx_lua_builtins[i].func, 1);

        } else if (ngx_http_cx_lua_builtins[i].func == ngx_http_cx_lua_sort) {
            lua_pushcfunction(L, ngx_http_cx_lua_lessthan);
            lua_pushcclosure(L, ngx_http_cx_lua_sort, 1);

        } else {
            lua_pushcfunction(L, ngx_http_cx_lua_builtins[i].func);
        }

        lua_setfield(L, -2, ngx_http_cx_lua_builtins[i].name);
    }

    lua_pushinteger(L, NGX_HTTP_CX_LUA_STRING_MAX);
    lua_setfield(L, -2, "string_max");
}


/* string.lower(s), string.upper(s), string.reverse(s) */

static int
ngx_http_cx_lua_case(lua_State *L)
{
    size_t  len;

    (void) luaL_checklstring(L, 1, &len);
    lua_settop(L, 1);

    ngx_http_cx_lua_work(L, ngx_http_cx_lua_vm_of(L), len);

    ngx_http_cx_lua_call_wrapped(L, 1, NULL, 1, 1);

    return 1;
}


/*
 * string.rep(s, n [, sep]): what it makes is known before: over the
 * memory cap it fails as an allocation would, else it is charged first
 */

static int
ngx_http_cx_lua_rep(lua_State *L)
{
    size_t                 len, sep;
    uint64_t               total;
    lua_Integer            n;
    ngx_http_cx_lua_vm_t  *vm;

    (void) luaL_checklstring(L, 1, &len);
    n = luaL_checkinteger(L, 2);
    sep = 0;

    if (!lua_isnoneornil(L, 3)) {
        (void) luaL_checklstring(L, 3, &sep);
    }

    lua_settop(L, 3);

    if (n <= 0) {
        lua_pushliteral(L, "");
        return 1;
    }

    vm = ngx_http_cx_lua_vm_of(L);

    if (len + sep == 0) {
        lua_pushliteral(L, "");
        return 1;
    }

    if ((uint64_t) n >= vm->max) {
        return ngx_http_cx_lua_nomemory(L, vm);
    }

    total = ((uint64_t) len + sep) * (uint64_t) n - sep;

    if (total >= vm->max || vm->used > vm->max - total) {
        return ngx_http_cx_lua_nomemory(L, vm);
    }

    ngx_http_cx_lua_work(L, vm, (size_t) total);

    ngx_http_cx_lua_call_wrapped(L, 1, NULL, 3, 1);

    return 1;
}


/* string.sub(s, i [, j]) */

static int
ngx_http_cx_lua_sub(lua_State *L)
{
    size_t       len;
    const char  *s;
    lua_Integer  i, j;

    s = luaL_checklstring(L, 1, &len);
    i = ngx_http_cx_lua_pos(luaL_checkinteger(L, 2), len);
    j = ngx_http_cx_lua_pos(luaL_optinteger(L, 3, -1), len);

    if (i < 1) {
        i = 1;
    }

    if (j > (lua_Integer) len) {
        j = len;
    }

    if (i > j) {
        lua_pushliteral(L, "");
        return 1;
    }

    ngx_http_cx_lua_work(L, ngx_http_cx_lua_vm_of(L), (size_t) (j - i + 1));

    lua_pushlstring(L, s + i - 1, (size_t) (j - i + 1));

    return 1;
}


/* string.byte(s [, i [, j]]) */

static int
ngx_http_cx_lua_byte(lua_State *L)
{
    int          n;
    size_t       len;
    const char  *s;
    lua_Integer  i, j, k;

    s = luaL_checklstring(L, 1, &len);
    i = ngx_http_cx_lua_pos(luaL_optinteger(L, 2, 1), len);
    j = ngx_http_cx_lua_pos(luaL_optinteger(L, 3, i), len);

    if (i < 1) {
        i = 1;
    }

    if (j > (lua_Integer) len) {
        j = len;
    }

    if (i > j) {
        return 0;
    }

    if (j - i >= INT_MAX || !lua_checkstack(L, (int) (j - i + 1))) {
        return luaL_error(L, "string slice too long");
    }

    n = (int) (j - i + 1);

    ngx_http_cx_lua_work(L, ngx_http_cx_lua_vm_of(L), (size_t) n * 8);

    for (k = i; k <= j; k++) {
        lua_pushinteger(L, (u_char) s[k - 1]);
    }

    return n;
}


/* string.char(...) */

static int
ngx_http_cx_lua_char(lua_State *L)
{
    int          i, n;
    lua_Integer  c;

    n = lua_gettop(L);

    for (i = 1; i <= n; i++) {
        c = luaL_checkinteger(L, i);
        luaL_argcheck(L, c >= 0 && c <= 255, i, "invalid value");
    }

    ngx_http_cx_lua_work(L, ngx_http_cx_lua_vm_of(L), (size_t) n * 8);

    ngx_http_cx_lua_call_wrapped(L, 1, NULL, n, 1);

    return 1;
}


/*
 * string.format(fmt, ...): charged for the format and the strings it
 * copies before, for what it made after; "%s" of a value with
 * __tostring calls back into Lua, counted
 */

static int
ngx_http_cx_lua_format(lua_State *L)
{
    int                    i, n;
    size_t                 len, total;
    ngx_http_cx_lua_vm_t  *vm;

    (void) luaL_checklstring(L, 1, &total);

    n = lua_gettop(L);

    for (i = 2; i <= n; i++) {
        if (lua_type(L, i) == LUA_TSTRING) {
            (void) lua_tolstring(L, i, &len);
            total += len;
        }
    }

    vm = ngx_http_cx_lua_vm_of(L);

    ngx_http_cx_lua_work(L, vm, total + (size_t) n * 8);

    ngx_http_cx_lua_call_wrapped(L, 1, "format", n, 1);

    (void) lua_tolstring(L, -1, &len);
    ngx_http_cx_lua_work(L, vm, len);

    return 1;
}


/* tonumber(e [, base]): reading a string touches all of it */

static int
ngx_http_cx_lua_tonumber(lua_State *L)
{
    int          n;
    size_t       len;
    lua_Integer  base;

    n = lua_gettop(L);

    if (n == 1 && lua_type(L, 1) == LUA_TNUMBER) {
        return 1;
    }

    luaL_checkany(L, 1);

    if (n >= 2 && !lua_isnil(L, 2)) {
        base = luaL_checkinteger(L, 2);
        luaL_argcheck(L, base >= 2 && base <= 36, 2, "base out of range");
    }

    len = 0;

    if (lua_type(L, 1) == LUA_TSTRING) {
        (void) lua_tolstring(L, 1, &len);
    }

    ngx_http_cx_lua_work(L, ngx_http_cx_lua_vm_of(L), len);

    ngx_http_cx_lua_call_wrapped(L, 1, NULL, n, 1);

    return 1;
}


/* tostring(v): __tostring called back, counted; LuaJIT's for the rest */

static int
ngx_http_cx_lua_tostring(lua_State *L)
{
    luaL_checkany(L, 1);
    lua_settop(L, 1);

    if (lua_type(L, 1) == LUA_TSTRING) {
        return 1;
    }

    if (luaL_getmetafield(L, 1, "__tostring")) {
        ngx_http_cx_lua_work(L, ngx_http_cx_lua_vm_of(L), 0);

        lua_insert(L, 1);
        ngx_http_cx_lua_callback(L, 1, 1);

        return 1;
    }

    ngx_http_cx_lua_call_wrapped(L, 1, NULL, 1, 1);

    return 1;
}


/*
 * table.insert(t, [pos,] v): a position from 1 to #t + 1, as in Lua 5.3
 * (LuaJIT's moves every element between #t and any position, ~2^31 of
 * them for -2^31); a unit per element moved
 */

static int
ngx_http_cx_lua_insert(lua_State *L)
{
    lua_Integer  e, pos, i;

    luaL_checktype(L, 1, LUA_TTABLE);

    e = (lua_Integer) lua_objlen(L, 1) + 1;

    switch (lua_gettop(L)) {

    case 2:
        pos = e;
        ngx_http_cx_lua_work(L, ngx_http_cx_lua_vm_of(L), 0);
        break;

    case 3:
        pos = luaL_checkinteger(L, 2);
        luaL_argcheck(L, pos >= 1 && pos <= e, 2, "position out of bounds");

        (void) ngx_http_cx_lua_charge(L, ngx_http_cx_lua_vm_of(L),
                                      (size_t) (e - pos + 1));

        for (i = e; i > pos; i--) {
            lua_rawgeti(L, 1, (int) i - 1);
            lua_rawseti(L, 1, (int) i);
        }

        break;

    default:
        return luaL_error(L, "wrong number of arguments to 'insert'");
    }

    lua_rawseti(L, 1, (int) pos);

    return 0;
}


/* table.maxn(t): the largest positive numeric key; a unit per entry */

static int
ngx_http_cx_lua_maxn(lua_State *L)
{
    size_t                 n;
    lua_Number             m, k;
    ngx_http_cx_lua_vm_t  *vm;

    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);

    vm = ngx_http_cx_lua_vm_of(L);
    m = 0;
    n = 0;

    lua_pushnil(L);

    while (lua_next(L, 1)) {
        lua_pop(L, 1);

        if (lua_type(L, -1) == LUA_TNUMBER) {
            k = lua_tonumber(L, -1);

            if (k > m) {
                m = k;
            }
        }

        if (++n == 256) {
            (void) ngx_http_cx_lua_charge(L, vm, n);
            n = 0;
        }
    }

    (void) ngx_http_cx_lua_charge(L, vm, n + 1);

    lua_pushnumber(L, m);

    return 1;
}


/*
 * table.sort(t [, comp]): a heap sort, in place, without recursion, in
 * at most 2 n log2 n comparisons whatever comp answers; each costs a
 * unit and, for strings, the bytes it compares
 */

static int
ngx_http_cx_lua_sort(lua_State *L)
{
    size_t                 n, i;
    ngx_http_cx_lua_vm_t  *vm;

    luaL_checktype(L, 1, LUA_TTABLE);

    if (!lua_isnoneornil(L, 2)) {
        luaL_checktype(L, 2, LUA_TFUNCTION);
    }

    lua_settop(L, 2);
    luaL_checkstack(L, 8, "table too big to sort");

    vm = ngx_http_cx_lua_vm_of(L);
    n = lua_objlen(L, 1);

    for (i = n / 2; i >= 1; i--) {
        ngx_http_cx_lua_sift(L, vm, i, n);
    }

    for (i = n; i > 1; i--) {
        lua_rawgeti(L, 1, 1);
        lua_rawgeti(L, 1, (int) i);
        lua_rawseti(L, 1, 1);
        lua_rawseti(L, 1, (int) i);

        ngx_http_cx_lua_sift(L, vm, 1, i - 1);
    }

    return 0;
}


/* moves t[i] down the heap t[1..n] */

static void
ngx_http_cx_lua_sift(lua_State *L, ngx_http_cx_lua_vm_t *vm, size_t i,
    size_t n)
{
    size_t  c;

    while (i <= n / 2) {
        c = 2 * i;

        if (c < n && ngx_http_cx_lua_less(L, vm, c, c + 1)) {
            c++;
        }

        if (!ngx_http_cx_lua_less(L, vm, i, c)) {
            return;
        }

        lua_rawgeti(L, 1, (int) i);
        lua_rawgeti(L, 1, (int) c);
        lua_rawseti(L, 1, (int) i);
        lua_rawseti(L, 1, (int) c);

        i = c;
    }
}


/* t[i] < t[j], by comp (argument 2) or as Lua's "<" */

static int
ngx_http_cx_lua_less(lua_State *L, ngx_http_cx_lua_vm_t *vm, size_t i,
    size_t j)
{
    int          rc, ta, tb;
    size_t       la, lb;
    const char  *a, *b;

    lua_rawgeti(L, 1, (int) i);
    lua_rawgeti(L, 1, (int) j);

    if (!lua_isnil(L, 2)) {
        ngx_http_cx_lua_work(L, vm, 0);

        lua_pushvalue(L, 2);
        lua_insert(L, -3);
        ngx_http_cx_lua_callback(L, 2, 1);

        goto done;
    }

    ta = lua_type(L, -2);
    tb = lua_type(L, -1);

    if (ta == LUA_TNUMBER && tb == LUA_TNUMBER) {
        rc = lua_tonumber(L, -2) < lua_tonumber(L, -1);
        lua_pop(L, 2);
        return rc;
    }

    if (ta == LUA_TSTRING && tb == LUA_TSTRING) {
        a = lua_tolstring(L, -2, &la);
        b = lua_tolstring(L, -1, &lb);

        ngx_http_cx_lua_work(L, vm, ngx_min(la, lb));

        rc = ngx_memcmp(a, b, ngx_min(la, lb));
        lua_pop(L, 2);

        return rc < 0 || (rc == 0 && la < lb);
    }

    /* anything else: __lt, or an error; a call, counted */

    ngx_http_cx_lua_work(L, vm, 0);

    ngx_http_cx_lua_call_wrapped(L, 1, "sort", 2, 1);

done:

    rc = lua_toboolean(L, -1);
    lua_pop(L, 1);

    return rc;
}


static int
ngx_http_cx_lua_lessthan(lua_State *L)
{
    lua_pushboolean(L, lua_lessthan(L, 1, 2));

    return 1;
}


/* a string position, negative from the end, as Lua's string library */

static lua_Integer
ngx_http_cx_lua_pos(lua_Integer pos, size_t len)
{
    if (pos >= 0) {
        return pos;
    }

    if (pos < -(lua_Integer) len) {
        return 0;
    }

    return (lua_Integer) len + pos + 1;
}
