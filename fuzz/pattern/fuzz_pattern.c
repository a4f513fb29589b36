
/*
 * fuzz/pattern/fuzz_pattern.c: differential libFuzzer harness for the
 * rules' pattern matcher (ngx_cx_module/ngx_http_cx_lua_pattern.c and
 * the string functions of ngx_http_cx_lua_string.c).  The same call --
 * string.find (with and without plain), match, gmatch (all of it), gsub
 * with a replacement string, function or table -- runs on our functions
 * and on LuaJIT's own string library in one lua_State; the results (every
 * value, its type, captures and position captures included) must be the
 * same, and so must be whether it raises.  Our matcher's steps must also
 * stay within the bound docs/rules-engine.md states
 * (ngx_http_cx_pat_stats(), built in with NGX_HTTP_CX_PAT_STATS).
 *
 * Input: op (its high bit: notes from the first step), init, mode, the
 * pattern's length (at most 32), the
 * replacement string's length (at most 8), the pattern, the
 * replacement, then the subject (at most 256 bytes, fewer when the
 * pattern would make LuaJIT's backtracking take long).
 *
 * With -DCX_PATTERN_MAIN it is a small tool instead: it runs the Lua
 * code given as argument, with our functions in the global table "cx".
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <stdio.h>
#include <stdlib.h>

#include "ngx_http_cx_lua_pattern.h"


#define FUZZ_PATTERN_MAX   32
#define FUZZ_SUBJECT_MAX   256
#define FUZZ_REPL_MAX      8


/* what ngx_http_cx_lua_vm.c gives the string functions */

static ngx_http_cx_lua_vm_t  fuzz_vm;
static size_t                fuzz_worst;    /* steps per 1000 of the bound */


ngx_http_cx_lua_vm_t *
ngx_http_cx_lua_vm_of(lua_State *L)
{
    return &fuzz_vm;
}


size_t
ngx_http_cx_lua_left(ngx_http_cx_lua_vm_t *vm)
{
    if (!vm->in_call) {
        return (size_t) -1;
    }

    return (vm->spent < vm->budget) ? vm->budget - vm->spent : 0;
}


int
ngx_http_cx_lua_charge(lua_State *L, ngx_http_cx_lua_vm_t *vm, size_t n)
{
    if (!vm->in_call) {
        return 0;
    }

    vm->spent += n;

    if (vm->spent <= vm->budget) {
        return 0;
    }

    return luaL_error(L, "instruction budget of %d exceeded",
                      (int) vm->budget);
}


void
ngx_http_cx_lua_callback(lua_State *L, int nargs, int nresults)
{
    int  rc;

    if (fuzz_vm.nest >= NGX_HTTP_CX_LUA_NEST_MAX) {
        luaL_error(L, "C functions nested more than %d deep",
                   NGX_HTTP_CX_LUA_NEST_MAX);
    }

    fuzz_vm.nest++;
    rc = lua_pcall(L, nargs, nresults, 0);
    fuzz_vm.nest--;

    if (rc != 0) {
        lua_error(L);
    }
}


void
ngx_http_cx_lua_cx_init(lua_State *L)
{
}


void
ngx_http_cx_lua_glob_init(lua_State *L)
{
}


/*
 * The comparison, in Lua.  "charge" is how many steps our call may
 * take: the bound of docs/rules-engine.md for the worst case of the
 * pattern and subject.
 */

static const char  fuzz_driver[] =
"local cx, lj, op, s, p, init, mode, repl = ...\n"
"local select, type, tostring, pcall = select, type, tostring, pcall\n"
"local function ser(...)\n"
"  local t = {}\n"
"  for i = 1, select('#', ...) do\n"
"    local v = select(i, ...)\n"
"    t[i] = type(v) .. ':' .. tostring(v)\n"
"  end\n"
"  return select('#', ...) .. '[' .. table.concat(t, '|') .. ']'\n"
"end\n"
"local function fn(...)\n"
"  local m = mode % 6\n"
"  if m == 0 then return (...) end\n"
"  if m == 1 then return nil end\n"
"  if m == 2 then return false end\n"
"  if m == 3 then return 42 end\n"
"  if m == 4 then return {} end\n"
"  return ser(...)\n"
"end\n"
"local tab = { a = 'A', ab = 'AB', [1] = 'one', ['('] = false,\n"
"              x = 7, [''] = 'E' }\n"
"local function call(lib)\n"
"  if op == 0 then return ser(lib.find(s, p, init)) end\n"
"  if op == 1 then return ser(lib.find(s, p, init, true)) end\n"
"  if op == 2 then return ser(lib.match(s, p, init)) end\n"
"  if op == 3 then\n"
"    local out, it = {}, lib.gmatch(s, p)\n"
"    for i = 1, 300 do\n"
"      local r = ser(it())\n"
"      out[#out + 1] = r\n"
"      if r == '0[]' then break end\n"
"    end\n"
"    return table.concat(out, ' ')\n"
"  end\n"
"  local max = nil\n"
"  if mode >= 128 then max = mode % 8 - 2 end\n"
"  local r = repl\n"
"  if op == 5 then r = fn elseif op == 6 then r = tab end\n"
"  return ser(lib.gsub(s, p, r, max))\n"
"end\n"
"local ok1, r1 = pcall(call, cx)\n"
"local ok2, r2 = pcall(call, lj)\n"
"if ok1 ~= ok2 or (ok1 and r1 ~= r2) then\n"
"  return string.format('op %d init %d mode %d\\npattern %q\\n'\n"
"    .. 'subject %q\\nrepl %q\\nours:   %s %s\\nLuaJIT: %s %s',\n"
"    op, init, mode, p, s, repl, tostring(ok1), tostring(r1),\n"
"    tostring(ok2), tostring(r2))\n"
"end\n"
"return nil\n";


static void
fuzz_report(void)
{
    fprintf(stderr, "pattern: the most steps of a call: %.1f%% of the "
            "bound\n", fuzz_worst / 10.0);
}


static lua_State  *fuzz_L;
static int         fuzz_driver_ref;


static void
fuzz_init(void)
{
    lua_State  *L;

    L = luaL_newstate();
    luaL_openlibs(L);

    ngx_http_cx_lua_string_init(L);     /* cx: ours */
    lua_setglobal(L, "cx");

    if (luaL_loadbuffer(L, fuzz_driver, sizeof(fuzz_driver) - 1, "=driver")
        != 0)
    {
        fprintf(stderr, "driver: %s\n", lua_tostring(L, -1));
        abort();
    }

    fuzz_driver_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    fuzz_L = L;

    atexit(fuzz_report);
}


/*
 * The bound of docs/rules-engine.md on the steps of matching of one
 * call (gsub: all of it), bytes copied into results aside; checked at every charge
 */

static size_t
fuzz_bound(size_t m, size_t n)
{
    return 12 * (m + 2) * (n + 2) + 64 * m;
}


void
ngx_http_cx_pat_stats(ngx_http_cx_pat_t *pt)
{
    size_t  bound;

    if (pt->live) {
        return;         /* back-references: a bound of their own */
    }

    bound = fuzz_bound(pt->plen, pt->n);

    if (pt->steps > bound) {
        fprintf(stderr, "BOUND EXCEEDED: %zu steps, bound %zu for a "
                "pattern of %zu bytes (\"%.*s\"), a subject of %zu\n",
                pt->steps, bound, pt->plen, (int) pt->plen,
                "(see the input)", pt->n);
        abort();
    }

    if (pt->steps * 1000 / bound > fuzz_worst) {
        fuzz_worst = pt->steps * 1000 / bound;
    }
}


/*
 * LuaJIT's matcher backtracks: with q repetitions it may try about n^q
 * ways.  The subject is cut so that the reference ends in a moment.
 */

static size_t
fuzz_reference_max(const uint8_t *p, size_t lp, size_t ls)
{
    size_t  i, q, opt, n;
    double  ways;

    q = 0;
    opt = 0;

    for (i = 0; i < lp; i++) {
        q += (p[i] == '*' || p[i] == '+' || p[i] == '-');
        opt += (p[i] == '?');
    }

    for (n = ls; n > 0; n--) {
        ways = 1;

        for (i = 0; i < q && ways <= 4e6; i++) {
            ways *= (double) (n + 1);
        }

        for (i = 0; i < opt && ways <= 4e6; i++) {
            ways *= 2;
        }

        if (ways <= 4e6) {
            break;
        }
    }

    return n;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int          op, init, mode;
    size_t       lp, lr, ls;
    lua_State   *L;
    const char  *msg;

    if (fuzz_L == NULL) {
        fuzz_init();
    }

    if (size < 5) {
        return 0;
    }

    op = data[0] % 7;
    ngx_http_cx_pat_eager = (data[0] & 0x80) != 0;
    init = (int8_t) data[1];
    mode = data[2];
    lp = data[3] % (FUZZ_PATTERN_MAX + 1);
    lr = data[4] % (FUZZ_REPL_MAX + 1);
    data += 5;
    size -= 5;

    if (lp + lr > size) {
        return 0;
    }

    ls = ngx_min(size - lp - lr, FUZZ_SUBJECT_MAX);
    ls = fuzz_reference_max(data, lp, ls);

    if (op != 0 && op != 1 && op != 2) {
        init = 1;
    }

    L = fuzz_L;

    lua_rawgeti(L, LUA_REGISTRYINDEX, fuzz_driver_ref);
    lua_getglobal(L, "cx");
    lua_getglobal(L, "string");
    lua_pushinteger(L, op);
    lua_pushlstring(L, (const char *) data + lp + lr, ls);
    lua_pushlstring(L, (const char *) data, lp);
    lua_pushinteger(L, init);
    lua_pushinteger(L, mode);
    lua_pushlstring(L, (const char *) data + lp, lr);

    /* the bound is checked in ngx_http_cx_pat_stats(), not by the budget */

    fuzz_vm.in_call = 1;
    fuzz_vm.spent = 0;
    fuzz_vm.budget = (size_t) 1 << 40;
    fuzz_vm.nest = 0;

    if (lua_pcall(L, 8, 1, 0) != 0) {
        fprintf(stderr, "driver failed: %s\n", lua_tostring(L, -1));
        abort();
    }

    fuzz_vm.in_call = 0;

    msg = lua_tostring(L, -1);

    if (msg) {
        fprintf(stderr, "DIFFERENT RESULTS\n%s\n", msg);
        abort();
    }

    lua_pop(L, 1);

    return 0;
}


#ifdef CX_PATTERN_MAIN

int
main(int argc, char **argv)
{
    fuzz_init();

    ngx_http_cx_pat_eager = (getenv("CX_EAGER") != NULL);

    if (argc > 1 && luaL_dostring(fuzz_L, argv[1]) != 0) {
        printf("error: %s\n", lua_tostring(fuzz_L, -1));
        return 1;
    }

    return 0;
}

#endif
