
/*
 * ngx_http_cx_lua_cx.c: the C side of the rules' library.  Frozen tables
 * (read-only proxies for the tables of a rule file) and the base
 * functions that see through them, and print(); the cx helpers rules
 * call on every request (sampling and picks per visitor, time, the
 * visitor's history), in C because the rules VM interprets: a helper in
 * Lua costs several calls where the C one costs one.  lua/cx/init.lua
 * puts them together, with the path helpers of ngx_http_cx_lua_glob.c,
 * as the library "cx".
 */


#include "ngx_http_cx_lua.h"


#define NGX_HTTP_CX_LUA_FROZEN_MAGIC  0x63786672    /* "cxfr" */
#define NGX_HTTP_CX_LUA_PRINT_MAX     1024




static int ngx_http_cx_lua_freeze(lua_State *L);
static int ngx_http_cx_lua_frozen_len(lua_State *L);
static int ngx_http_cx_lua_frozen_readonly(lua_State *L);
static int ngx_http_cx_lua_frozen_next(lua_State *L);
static int ngx_http_cx_lua_frozen_inext(lua_State *L);
static int ngx_http_cx_lua_pairs(lua_State *L);
static int ngx_http_cx_lua_ipairs(lua_State *L);
static int ngx_http_cx_lua_next(lua_State *L);
static int ngx_http_cx_lua_type(lua_State *L);
static int ngx_http_cx_lua_unpack(lua_State *L);
static int ngx_http_cx_lua_rawget(lua_State *L);
static int ngx_http_cx_lua_concat(lua_State *L);
static int ngx_http_cx_lua_print(lua_State *L);
static int ngx_http_cx_lua_impure(lua_State *L);
static int ngx_http_cx_lua_impure_call(lua_State *L);
static int ngx_http_cx_lua_sample(lua_State *L);
static int ngx_http_cx_lua_pick(lua_State *L);
static int ngx_http_cx_lua_weekday(lua_State *L);
static int ngx_http_cx_lua_weekend(lua_State *L);
static int ngx_http_cx_lua_business_hours(lua_State *L);
static int ngx_http_cx_lua_shown_within(lua_State *L);
static int ngx_http_cx_lua_answered_within(lua_State *L);
static int ngx_http_cx_lua_cooled_down(lua_State *L);
static ngx_http_cx_lua_req_t *ngx_http_cx_lua_rule_req(lua_State *L,
    const char *fname);


static const luaL_Reg  ngx_http_cx_lua_cx_functions[] = {

    /* for the sandbox: frozen tables */
    { "freeze", ngx_http_cx_lua_freeze },
    { "pairs", ngx_http_cx_lua_pairs },
    { "ipairs", ngx_http_cx_lua_ipairs },
    { "next", ngx_http_cx_lua_next },
    { "type", ngx_http_cx_lua_type },
    { "unpack", ngx_http_cx_lua_unpack },
    { "rawget", ngx_http_cx_lua_rawget },
    { "concat", ngx_http_cx_lua_concat },
    { "print", ngx_http_cx_lua_print },
    { "impure", ngx_http_cx_lua_impure },

    /* for lua/cx/init.lua */
    { "sample", ngx_http_cx_lua_sample },
    { "pick", ngx_http_cx_lua_pick },
    { "weekday", ngx_http_cx_lua_weekday },
    { "weekend", ngx_http_cx_lua_weekend },
    { "business_hours", ngx_http_cx_lua_business_hours },
    { "shown_within", ngx_http_cx_lua_shown_within },
    { "answered_within", ngx_http_cx_lua_answered_within },
    { "cooled_down", ngx_http_cx_lua_cooled_down },

    { NULL, NULL }
};


/* adds the functions to the table of primitives on top of the stack */

void
ngx_http_cx_lua_cx_init(lua_State *L)
{
    const luaL_Reg  *f;

    for (f = ngx_http_cx_lua_cx_functions; f->name; f++) {

        if (f->func == ngx_http_cx_lua_ipairs) {
            /* with the real ipairs' iterator, which the VM runs fast */
            lua_getglobal(L, "ipairs");
            lua_createtable(L, 0, 0);
            lua_call(L, 1, 1);
            lua_pushcclosure(L, f->func, 1);

        } else if (f->func == ngx_http_cx_lua_pairs) {
            lua_getglobal(L, "next");
            lua_pushcclosure(L, f->func, 1);

        } else if (f->func == ngx_http_cx_lua_concat) {
            lua_getglobal(L, "table");
            lua_getfield(L, -1, "concat");
            lua_remove(L, -2);
            lua_pushcclosure(L, f->func, 1);

        } else {
            lua_pushcfunction(L, f->func);
        }

        lua_setfield(L, -2, f->name);
    }
}


/* frozen tables ------------------------------------------------------- */

/*
 * C.freeze(t): a read-only proxy for t.  Reads go to t (its metatable's
 * __index), writes fail, # works; its environment is t, for the C
 * functions below.  Rules cannot make userdata, so one of this size and
 * magic is always a proxy.
 */

static int
ngx_http_cx_lua_freeze(lua_State *L)
{
    ngx_http_cx_lua_frozen_t  *f;

    luaL_checktype(L, 1, LUA_TTABLE);

    f = lua_newuserdata(L, sizeof(ngx_http_cx_lua_frozen_t));
    f->magic = NGX_HTTP_CX_LUA_FROZEN_MAGIC;
    f->route = NULL;
    f->globs = NULL;

    lua_pushvalue(L, 1);
    lua_setfenv(L, -2);

    lua_createtable(L, 0, 4);

    lua_pushvalue(L, 1);
    lua_setfield(L, -2, "__index");

    lua_pushcfunction(L, ngx_http_cx_lua_frozen_readonly);
    lua_setfield(L, -2, "__newindex");

    lua_pushcfunction(L, ngx_http_cx_lua_frozen_len);
    lua_setfield(L, -2, "__len");

    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");

    lua_setmetatable(L, -2);

    return 1;
}


ngx_http_cx_lua_frozen_t *
ngx_http_cx_lua_frozen(lua_State *L, int idx)
{
    ngx_http_cx_lua_frozen_t  *f;

    if (lua_type(L, idx) != LUA_TUSERDATA
        || lua_objlen(L, idx) != sizeof(ngx_http_cx_lua_frozen_t))
    {
        return NULL;
    }

    f = lua_touserdata(L, idx);

    return (f->magic == NGX_HTTP_CX_LUA_FROZEN_MAGIC) ? f : NULL;
}


/* pushes the table a proxy at idx stands for and returns 1, or 0 */

int
ngx_http_cx_lua_unfreeze(lua_State *L, int idx)
{
    if (ngx_http_cx_lua_frozen(L, idx) == NULL) {
        return 0;
    }

    lua_getfenv(L, idx);

    return 1;
}


static int
ngx_http_cx_lua_frozen_readonly(lua_State *L)
{
    return luaL_error(L, "attempt to modify a read-only table (tables of "
                         "a rule file are frozen once it has loaded; copy "
                         "into a local table first)");
}


static int
ngx_http_cx_lua_frozen_len(lua_State *L)
{
    if (!ngx_http_cx_lua_unfreeze(L, 1)) {
        return luaL_error(L, "not a table");
    }

    lua_pushinteger(L, lua_objlen(L, -1));

    return 1;
}


/* for a proxy argument, the table it stands for, in its place */

void
ngx_http_cx_lua_table_arg(lua_State *L, int idx)
{
    if (ngx_http_cx_lua_unfreeze(L, idx)) {
        lua_replace(L, idx);
    }
}


static int
ngx_http_cx_lua_frozen_next(lua_State *L)
{
    if (!ngx_http_cx_lua_unfreeze(L, 1)) {
        return luaL_error(L, "not a frozen table");
    }

    lua_pushvalue(L, 2);

    if (lua_next(L, -2) == 0) {
        return 0;
    }

    return 2;
}


static int
ngx_http_cx_lua_frozen_inext(lua_State *L)
{
    lua_Integer  i;

    i = luaL_checkinteger(L, 2) + 1;

    if (!ngx_http_cx_lua_unfreeze(L, 1)) {
        return luaL_error(L, "not a frozen table");
    }

    lua_rawgeti(L, -1, (int) i);

    if (lua_isnil(L, -1)) {
        return 0;
    }

    lua_pushinteger(L, i);
    lua_insert(L, -2);

    return 2;
}


/* pairs(t): a proxy iterates its table, and never hands it out */

static int
ngx_http_cx_lua_pairs(lua_State *L)
{
    if (lua_type(L, 1) == LUA_TUSERDATA) {
        lua_pushcfunction(L, ngx_http_cx_lua_frozen_next);

    } else {
        luaL_checktype(L, 1, LUA_TTABLE);
        lua_pushvalue(L, lua_upvalueindex(1));      /* next */
    }

    lua_pushvalue(L, 1);
    lua_pushnil(L);

    return 3;
}


static int
ngx_http_cx_lua_ipairs(lua_State *L)
{
    if (lua_type(L, 1) == LUA_TUSERDATA) {
        lua_pushcfunction(L, ngx_http_cx_lua_frozen_inext);

    } else {
        luaL_checktype(L, 1, LUA_TTABLE);
        lua_pushvalue(L, lua_upvalueindex(1));      /* ipairs' iterator */
    }

    lua_pushvalue(L, 1);
    lua_pushinteger(L, 0);

    return 3;
}


static int
ngx_http_cx_lua_next(lua_State *L)
{
    ngx_http_cx_lua_table_arg(L, 1);
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 2);

    if (lua_next(L, 1) == 0) {
        lua_pushnil(L);
        return 1;
    }

    return 2;
}


static int
ngx_http_cx_lua_type(lua_State *L)
{
    luaL_checkany(L, 1);

    if (ngx_http_cx_lua_unfreeze(L, 1)) {
        lua_pushliteral(L, "table");
        return 1;
    }

    lua_pushstring(L, luaL_typename(L, 1));

    return 1;
}


static int
ngx_http_cx_lua_unpack(lua_State *L)
{
    int  i, e, n;

    ngx_http_cx_lua_table_arg(L, 1);
    luaL_checktype(L, 1, LUA_TTABLE);

    i = luaL_optint(L, 2, 1);
    e = luaL_opt(L, luaL_checkint, 3, (int) lua_objlen(L, 1));

    if (i > e) {
        return 0;
    }

    n = e - i + 1;

    if (n <= 0 || n >= 8000 || !lua_checkstack(L, n)) {
        return luaL_error(L, "too many results to unpack");
    }

    (void) ngx_http_cx_lua_charge(L, ngx_http_cx_lua_vm_of(L), n);

    for ( /* void */ ; i <= e; i++) {
        lua_rawgeti(L, 1, i);
    }

    return n;
}


static int
ngx_http_cx_lua_rawget(lua_State *L)
{
    ngx_http_cx_lua_table_arg(L, 1);
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_checkany(L, 2);
    lua_settop(L, 2);
    lua_rawget(L, 1);

    return 1;
}


/*
 * table.concat(t [, sep [, i [, j]]]), with the real one once what it
 * will make is known (the parts may all exist already: nothing else
 * would count the bytes it copies)
 */

static int
ngx_http_cx_lua_concat(lua_State *L)
{
    size_t                 total, len, sep, n;
    lua_Integer            i, e, k;
    ngx_http_cx_lua_vm_t  *vm;

    ngx_http_cx_lua_table_arg(L, 1);
    luaL_checktype(L, 1, LUA_TTABLE);

    (void) luaL_optlstring(L, 2, "", &sep);
    i = luaL_optinteger(L, 3, 1);
    e = lua_isnoneornil(L, 4) ? (lua_Integer) lua_objlen(L, 1)
                              : luaL_checkinteger(L, 4);

    luaL_argcheck(L, i >= INT_MIN, 3, "out of range");
    luaL_argcheck(L, e <= INT_MAX, 4, "out of range");

    vm = ngx_http_cx_lua_vm_of(L);
    total = 0;
    n = 0;

    for (k = i; k <= e; k++) {
        lua_rawgeti(L, 1, (int) k);

        if (!lua_isstring(L, -1)) {
            return luaL_error(L, "invalid value (at index %d) in table for "
                              "'concat'", (int) k);
        }

        (void) lua_tolstring(L, -1, &len);
        total += len + (k < e ? sep : 0);
        lua_pop(L, 1);

        if (++n == 1024) {
            (void) ngx_http_cx_lua_charge(L, vm, n);
            n = 0;
        }
    }

    if (total >= vm->max || vm->used > vm->max - total) {
        return ngx_http_cx_lua_nomemory(L, vm);
    }

    ngx_http_cx_lua_work(L, vm, total + n * 8);

    ngx_http_cx_lua_call_wrapped(L, 1, NULL, lua_gettop(L), 1);

    return 1;
}


/* the cx helpers ------------------------------------------------------ */

static ngx_http_cx_lua_req_t *
ngx_http_cx_lua_rule_req(lua_State *L, const char *fname)
{
    ngx_http_cx_lua_req_t  *req;

    if (lua_type(L, 1) != LUA_TTABLE) {
        luaL_error(L, "bad argument #1 to 'cx.%s' (r expected)", fname);
    }

    req = ngx_http_cx_lua_request();

    if (req == NULL) {
        luaL_error(L, "cx.%s can only be used while trigger() or "
                      "touchpoint() runs", fname);
    }

    ngx_http_cx_lua_note(NGX_HTTP_CX_LUA_READ_OTHER);

    return req;
}


/*
 * cx.sample(rate [, key]): true for a rate share (0..1) of visitors, the
 * same answer for the same visitor and key
 */

static int
ngx_http_cx_lua_sample(lua_State *L)
{
    lua_Number  rate;

    if (lua_type(L, 1) != LUA_TNUMBER) {
        return luaL_error(L, "bad argument #1 to 'cx.sample' (number "
                             "expected)");
    }

    rate = lua_tonumber(L, 1);

    if (rate >= 1 || rate <= 0 || rate != rate) {
        lua_pushboolean(L, rate >= 1);
        return 1;
    }

    lua_pushboolean(L, ngx_http_cx_lua_draw_value(L, 2, "sample") < rate);

    return 1;
}


/* cx.pick(list [, key]): one element, the same for the same visitor */

static int
ngx_http_cx_lua_pick(lua_State *L)
{
    size_t  n, i;
    double  d;

    ngx_http_cx_lua_table_arg(L, 1);

    if (lua_type(L, 1) != LUA_TTABLE) {
        return luaL_error(L, "bad argument #1 to 'cx.pick' (table "
                             "expected)");
    }

    n = lua_objlen(L, 1);

    if (n == 0) {
        lua_pushnil(L);
        return 1;
    }

    d = ngx_http_cx_lua_draw_value(L, 2, "pick");
    i = (size_t) (d * n) + 1;

    lua_rawgeti(L, 1, (int) (i > n ? n : i));

    return 1;
}


static int
ngx_http_cx_lua_weekday(lua_State *L)
{
    ngx_tm_t               *tm;
    ngx_http_cx_lua_req_t  *req;

    req = ngx_http_cx_lua_rule_req(L, "weekday");
    tm = ngx_http_cx_lua_time(ngx_http_cx_lua_vm_of(L), req);

    lua_pushboolean(L, tm->ngx_tm_wday >= 1 && tm->ngx_tm_wday <= 5);

    return 1;
}


static int
ngx_http_cx_lua_weekend(lua_State *L)
{
    ngx_tm_t               *tm;
    ngx_http_cx_lua_req_t  *req;

    req = ngx_http_cx_lua_rule_req(L, "weekend");
    tm = ngx_http_cx_lua_time(ngx_http_cx_lua_vm_of(L), req);

    lua_pushboolean(L, tm->ngx_tm_wday == 0 || tm->ngx_tm_wday == 6);

    return 1;
}


/* cx.business_hours(r [, from [, to]]): Monday to Friday, from <= h < to */

static int
ngx_http_cx_lua_business_hours(lua_State *L)
{
    ngx_tm_t               *tm;
    lua_Number              from, to, h;
    ngx_http_cx_lua_req_t  *req;

    req = ngx_http_cx_lua_rule_req(L, "business_hours");

    from = luaL_optnumber(L, 2, 9);
    to = luaL_optnumber(L, 3, 17);

    tm = ngx_http_cx_lua_time(ngx_http_cx_lua_vm_of(L), req);
    h = tm->ngx_tm_hour + tm->ngx_tm_min / 60.0;

    lua_pushboolean(L, tm->ngx_tm_wday >= 1 && tm->ngx_tm_wday <= 5
                       && h >= from && h < to);

    return 1;
}


ngx_int_t
ngx_http_cx_lua_within(ngx_int_t day, double days)
{
    ngx_int_t  since;

    if (day < 0) {
        return 0;
    }

    since = ngx_http_cx_lua_now() / 86400 - day;

    return (since < 0 ? 0 : since) < days;
}


static int
ngx_http_cx_lua_shown_within(lua_State *L)
{
    lua_Number              days;
    ngx_http_cx_lua_req_t  *req;

    req = ngx_http_cx_lua_rule_req(L, "shown_within");
    days = luaL_checknumber(L, 2);

    lua_pushboolean(L, ngx_http_cx_lua_within(
                           ngx_http_cx_lua_visitor(req)->shown, days));

    return 1;
}


static int
ngx_http_cx_lua_answered_within(lua_State *L)
{
    lua_Number              days;
    ngx_http_cx_lua_req_t  *req;

    req = ngx_http_cx_lua_rule_req(L, "answered_within");
    days = luaL_checknumber(L, 2);

    lua_pushboolean(L, ngx_http_cx_lua_within(
                           ngx_http_cx_lua_visitor(req)->answered, days));

    return 1;
}


/* cx.cooled_down(r, days [, answered_days]) */

static int
ngx_http_cx_lua_cooled_down(lua_State *L)
{
    lua_Number                  days, adays;
    ngx_http_cx_lua_req_t      *req;
    ngx_http_cx_lua_visitor_t  *v;

    req = ngx_http_cx_lua_rule_req(L, "cooled_down");
    days = luaL_checknumber(L, 2);
    adays = luaL_optnumber(L, 3, days);

    v = ngx_http_cx_lua_visitor(req);

    lua_pushboolean(L, !ngx_http_cx_lua_within(v->shown, days)
                       && !ngx_http_cx_lua_within(v->answered, adays));

    return 1;
}


/*
 * A number in [0, 1): a hash of the visitor's id and the key (the
 * optional string argument at key_idx), so the same visitor gets the
 * same draw for the same key; random without an id.
 */

double
ngx_http_cx_lua_draw_value(lua_State *L, int key_idx, const char *fname)
{
    size_t                      len;
    ngx_str_t                   k;
    const u_char               *key;
    ngx_http_cx_lua_req_t      *req;
    ngx_http_cx_lua_visitor_t  *v;

    switch (lua_type(L, key_idx)) {

    case LUA_TNONE:
    case LUA_TNIL:
        key = (const u_char *) "";
        len = 0;
        break;

    case LUA_TSTRING:
        key = (const u_char *) lua_tolstring(L, key_idx, &len);
        break;

    default:
        luaL_error(L, "bad argument #%d to 'cx.%s' (string expected)",
                   key_idx, fname);
        return 0;
    }

    /* the visitor's id, or chance */
    ngx_http_cx_lua_note(NGX_HTTP_CX_LUA_READ_OTHER);

    req = ngx_http_cx_lua_request();
    v = req ? ngx_http_cx_lua_visitor(req) : NULL;

    k.data = (u_char *) key;
    k.len = len;

    return ngx_http_cx_lua_draw(v, &k);
}


/* the draw of the visitor (NULL: none) for the key */

double
ngx_http_cx_lua_draw(ngx_http_cx_lua_visitor_t *v, ngx_str_t *key)
{
    return ngx_http_cx_draw(v ? &v->id : NULL, key);
}


/*
 * C.impure(f, name): f, noting that a call used it -- os.time, os.date
 * and math.random give other answers at other times, so the call's
 * result is not one to remember (ngx_http_cx_lua_paths.c).  os.time
 * reads its table argument's fields through __index: a call back into
 * Lua, counted.
 */

static int
ngx_http_cx_lua_impure(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TFUNCTION);
    luaL_checktype(L, 2, LUA_TSTRING);
    lua_settop(L, 2);
    lua_pushcclosure(L, ngx_http_cx_lua_impure_call, 2);

    return 1;
}


static int
ngx_http_cx_lua_impure_call(lua_State *L)
{
    int     i, n;
    size_t  len, total;

    ngx_http_cx_lua_note(NGX_HTTP_CX_LUA_READ_OTHER);

    n = lua_gettop(L);
    total = 0;

    for (i = 1; i <= n; i++) {
        if (lua_type(L, i) == LUA_TSTRING) {
            (void) lua_tolstring(L, i, &len);
            total += len;
        }
    }

    /* os.date's format: each byte may become a few */
    ngx_http_cx_lua_work(L, ngx_http_cx_lua_vm_of(L), total * 8);

    ngx_http_cx_lua_call_wrapped(L, 1, lua_tostring(L, lua_upvalueindex(2)),
                                 n, LUA_MULTRET);

    return lua_gettop(L);
}


/*
 * print(...): a notice in the error log, with the rule's file and line;
 * the arguments escaped (ngx_http_cx_lua_log_escape()), at most
 * NGX_HTTP_CX_LUA_LOG_RATE lines a second per rule file
 */

static int
ngx_http_cx_lua_print(lua_State *L)
{
    int                     i, n;
    size_t                  len;
    u_char                 *p, *last;
    ngx_log_t              *log;
    ngx_uint_t              cut;
    const char             *s, *where;
    ngx_http_cx_lua_vm_t   *vm;
    ngx_http_cx_lua_req_t  *req;
    u_char                  buf[NGX_HTTP_CX_LUA_PRINT_MAX];

    /* a call that logs is not one to remember */
    ngx_http_cx_lua_note(NGX_HTTP_CX_LUA_READ_OTHER);

    vm = ngx_http_cx_lua_vm_of(L);
    req = ngx_http_cx_lua_request();
    log = req ? req->r->connection->log : vm->log;

    /* a line written to the error log costs a thousand instructions */
    (void) ngx_http_cx_lua_charge(L, vm, NGX_HTTP_CX_LUA_PRINT_COST);

    if (ngx_http_cx_lua_print_rate(vm, log) != NGX_OK) {
        return 0;
    }

    n = lua_gettop(L);
    p = buf;
    last = buf + sizeof(buf);
    cut = 0;

    for (i = 1; i <= n && !cut; i++) {

        if (i > 1) {
            if (last - p < 4) {
                p = ngx_cpymem(p, "...", ngx_min(last - p, 3));
                break;
            }

            *p++ = '\t';
        }

        switch (lua_type(L, i)) {

        case LUA_TSTRING:
        case LUA_TNUMBER:
            s = lua_tolstring(L, i, &len);
            break;

        case LUA_TBOOLEAN:
            s = lua_toboolean(L, i) ? "true" : "false";
            len = ngx_strlen(s);
            break;

        default:
            s = luaL_typename(L, i);
            len = ngx_strlen(s);
        }

        p = ngx_http_cx_lua_log_escape(p, last, (u_char *) s, len, &cut);
    }

    luaL_where(L, 1);
    where = lua_tostring(L, -1);

    ngx_log_error(NGX_LOG_NOTICE, log, 0, "cx rules: print: %s%*s",
                  where, (size_t) (p - buf), buf);

    return 0;
}
