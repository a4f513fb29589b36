
/*
 * ngx_http_cx_lua_vm.c: the rules' LuaJIT VM, one per worker (and one at
 * configuration time, which only checks the files).  The JIT is off, so
 * the count hook sees every instruction; the allocator caps the VM's
 * memory and charges every byte a call allocates to its instruction
 * budget.  Under it is LuaJIT's own allocator, in mappings of its own:
 * the VM's objects stay out of malloc's heap, which the worker's
 * requests allocate from.  Every entry into the VM is a protected call.
 *
 * What one instruction can do is bounded too (see STRING_MAX in
 * ngx_http_cx_lua.h): the hook reads the clock, keeps C from nesting
 * past a bound, and counts more often once a call has made a large
 * object, which is collected when the call ends.
 */


#include "ngx_http_cx_lua.h"


/* ngx_http_cx_lua_restore(): what to put back */
#define NGX_HTTP_CX_LUA_RESTORE_LOADED  0
#define NGX_HTTP_CX_LUA_RESTORE_SAVE    1
#define NGX_HTTP_CX_LUA_RESTORE_SAVED   2


static void *ngx_http_cx_lua_alloc(void *ud, void *ptr, size_t osize,
    size_t nsize);
static void ngx_http_cx_lua_hook(lua_State *L, lua_Debug *ar);
static int ngx_http_cx_lua_over(lua_State *L, ngx_http_cx_lua_vm_t *vm,
    uint64_t ns);
static void ngx_http_cx_lua_deep(lua_State *L, ngx_http_cx_lua_vm_t *vm);
static int ngx_http_cx_lua_nested(lua_State *L, ngx_http_cx_lua_vm_t *vm,
    int nargs, int nresults);
static void ngx_http_cx_lua_large(ngx_http_cx_lua_vm_t *vm);
static void ngx_http_cx_lua_settle(ngx_http_cx_lua_vm_t *vm);
static uint64_t ngx_http_cx_lua_ns(void);
static void ngx_http_cx_lua_where(ngx_http_cx_lua_vm_t *vm, lua_State *L);
static int ngx_http_cx_lua_panic(lua_State *L);
static int ngx_http_cx_lua_setup(lua_State *L);
static int ngx_http_cx_lua_load(lua_State *L);
static int ngx_http_cx_lua_ref(lua_State *L);
static void ngx_http_cx_lua_restore(lua_State *L,
    ngx_http_cx_lua_set_t *set, ngx_uint_t how);
static void ngx_http_cx_lua_message(ngx_http_cx_lua_vm_t *vm, int rc,
    u_char *msg, ngx_str_t *file);
static void ngx_http_cx_lua_surveys(lua_State *L, ngx_http_cx_lua_vm_t *vm);
static void ngx_http_cx_lua_problems(lua_State *L, ngx_http_cx_lua_vm_t *vm,
    ngx_http_cx_lua_set_t *set);


ngx_http_cx_lua_vm_t *
ngx_http_cx_lua_vm_create(ngx_http_cx_lua_conf_t *lc, ngx_log_t *log,
    ngx_uint_t conf_time)
{
    int                      rc;
    lua_State               *L;
    ngx_uint_t               i, level;
    ngx_http_cx_rules_t    **rules;
    ngx_http_cx_lua_vm_t    *vm;
    ngx_http_cx_lua_set_t   *set;
    u_char                   msg[NGX_HTTP_CX_LUA_MSG_MAX];

    vm = ngx_calloc(sizeof(ngx_http_cx_lua_vm_t), log);
    if (vm == NULL) {
        return NULL;
    }

    vm->log = log;
    vm->conf = lc;
    vm->conf_time = conf_time ? 1 : 0;
    vm->max = lc->memory;
    vm->nsets = lc->rules.nelts;
    vm->every = NGX_HTTP_CX_LUA_HOOK_EVERY;

    vm->sets = ngx_calloc(vm->nsets * sizeof(ngx_http_cx_lua_set_t), log);
    if (vm->sets == NULL) {
        ngx_free(vm);
        return NULL;
    }

    rules = lc->rules.elts;

    for (i = 0; i < vm->nsets; i++) {
        set = &vm->sets[i];
        set->rules = rules[i];
        set->trigger = LUA_NOREF;
        set->touchpoint = LUA_NOREF;
        set->restore = LUA_NOREF;
    }

    L = luaL_newstate();
    if (L == NULL) {
        ngx_log_error(NGX_LOG_EMERG, log, 0,
                      "cx rules: cannot create a Lua VM");
        ngx_http_cx_lua_vm_close(vm);
        return NULL;
    }

    vm->L = L;

    /* what the new state holds is counted from here on */
    vm->allocf = lua_getallocf(L, &vm->allocd);
    vm->used = (size_t) lua_gc(L, LUA_GCCOUNT, 0) * 1024
               + lua_gc(L, LUA_GCCOUNTB, 0);
    lua_setallocf(L, ngx_http_cx_lua_alloc, vm);

    lua_atpanic(L, ngx_http_cx_lua_panic);

    if (lua_cpcall(L, ngx_http_cx_lua_setup, vm) != 0) {
        ngx_http_cx_lua_message(vm, LUA_ERRRUN, msg, NULL);
        ngx_log_error(NGX_LOG_EMERG, log, 0,
                      "cx rules: cannot set up the Lua VM: %s", msg);
        ngx_http_cx_lua_vm_close(vm);
        return NULL;
    }

    /* with the JIT off the count hook fires in all code, see ENGINEERING */
    luaJIT_setmode(L, 0, LUAJIT_MODE_ENGINE|LUAJIT_MODE_OFF);
    lua_sethook(L, ngx_http_cx_lua_hook, LUA_MASKCOUNT,
                NGX_HTTP_CX_LUA_HOOK_EVERY);

    for (i = 0; i < vm->nsets; i++) {
        set = &vm->sets[i];

        vm->fail = ngx_http_cx_lua_ok;
        vm->where[0] = '\0';

        rc = lua_cpcall(L, ngx_http_cx_lua_load, set);

        vm->in_call = 0;
        vm->set = NULL;
        vm->stack = NULL;
        ngx_http_cx_lua_settle(vm);

        if (rc == 0) {
            continue;
        }

        ngx_http_cx_lua_message(vm, rc, msg, &set->rules->file);
        lua_gc(L, LUA_GCCOLLECT, 0);

        level = conf_time ? NGX_LOG_EMERG : NGX_LOG_ERR;

        ngx_log_error(level, log, 0, "cx_rules_lua \"%V\": %s in %s:%ui",
                      &set->rules->file, msg, set->rules->conf_file,
                      set->rules->conf_line);

        if (conf_time) {
            ngx_http_cx_lua_vm_close(vm);
            return NULL;
        }
    }

    if (vm->problems) {
        /* logged by the check, each with its file and line */
        ngx_http_cx_lua_vm_close(vm);
        return NULL;
    }

    lua_gc(L, LUA_GCCOLLECT, 0);

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, log, 0,
                   "cx rules: VM with %ui rule files, %uz bytes",
                   vm->nsets, vm->used);

    return vm;
}


void
ngx_http_cx_lua_vm_close(ngx_http_cx_lua_vm_t *vm)
{
    ngx_uint_t  i;

    if (vm->L) {
        lua_close(vm->L);
    }

    if (vm->sets) {
        for (i = 0; i < vm->nsets; i++) {
            ngx_http_cx_lua_paths_free(&vm->sets[i]);
            ngx_http_cx_lua_plan_free(vm->sets[i].plan);
        }

        ngx_free(vm->sets);
    }

    ngx_free(vm);
}


ngx_http_cx_lua_vm_t *
ngx_http_cx_lua_vm_of(lua_State *L)
{
    void  *ud;

    (void) lua_getallocf(L, &ud);

    return ud;
}


/*
 * Runs one rule function on the current request under the budget, then
 * lets call->result read its return value (which only reads the stack:
 * it cannot raise).  On failure, msg holds what went wrong, with file
 * and line.
 *
 * A call made while another runs (touchpoint(r) for r.touchpoint in
 * trigger(r), or right after it) is nested: it spends the same budget,
 * and whatever happens to it, the outer call goes on.
 *
 * Between calls, the file-level locals that rule functions assign to
 * hold their loaded values: every call puts them back when it ends,
 * whatever its outcome.  A nested call starts from them too -- the
 * outer call's values wait aside and come back when it ends -- so what
 * a call returns depends on nothing but the file as loaded and what it
 * reads of r: the touchpoint memo relies on it.
 */

ngx_http_cx_lua_fail_e
ngx_http_cx_lua_vm_call(ngx_http_cx_lua_vm_t *vm, ngx_http_cx_lua_call_t *call,
    u_char *msg)
{
    int                      rc, top;
    u_char                   here;
    unsigned                 in_call;
    lua_State               *L;
    ngx_uint_t               reads;
    ngx_http_cx_lua_req_t   *req;
    ngx_http_cx_lua_set_t   *set;
    ngx_http_cx_lua_fail_e   fail, outer;

    L = vm->L;

    in_call = vm->in_call;

    req = ngx_http_cx_lua_request();
    reads = req->reads;
    req->reads = 0;
    outer = vm->depth ? vm->fail : ngx_http_cx_lua_ok;

    if (vm->depth == 0) {
        vm->budget = call->budget;
        vm->spent = 0;
        vm->started = 0;
        vm->limit = NGX_HTTP_CX_LUA_TIME_BASE
                    + (uint64_t) call->budget * NGX_HTTP_CX_LUA_TIME_PER;
        vm->stack = &here;

    } else {
        ngx_http_cx_lua_restore(L, call->set, NGX_HTTP_CX_LUA_RESTORE_SAVE);
    }

    vm->fail = ngx_http_cx_lua_ok;
    vm->where[0] = '\0';
    vm->depth++;

    set = vm->set;
    vm->set = call->set;

    top = lua_gettop(L);

    lua_rawgeti(L, LUA_REGISTRYINDEX, call->fn);
    lua_rawgeti(L, LUA_REGISTRYINDEX, call->r);

    /*
     * The hook keeps counting from where the last call left it: the
     * budget is charged in steps of NGX_HTTP_CX_LUA_HOOK_EVERY
     * instructions either way, and resetting it costs more than a short
     * rule does
     */

    vm->in_call = 1;

    rc = lua_pcall(L, 1, 1, 0);

    vm->in_call = in_call;

    if (rc == 0) {
        /* still in the call: a touchpoint(r) it makes shares the budget */
        fail = (call->result(L, vm, call, msg) == NGX_OK)
               ? ngx_http_cx_lua_ok : ngx_http_cx_lua_result;

    } else {
        fail = vm->fail;

        if (fail == ngx_http_cx_lua_ok) {
            fail = (rc == LUA_ERRMEM) ? ngx_http_cx_lua_memory
                                      : ngx_http_cx_lua_error;
            vm->fail = fail;
        }

        ngx_http_cx_lua_message(vm, rc, msg, &call->set->rules->file);
    }

    lua_settop(L, top);

    vm->depth--;
    vm->set = set;

    ngx_http_cx_lua_restore(L, call->set, vm->depth
                                          ? NGX_HTTP_CX_LUA_RESTORE_SAVED
                                          : NGX_HTTP_CX_LUA_RESTORE_LOADED);

    /* what a nested call read, the call around it has read too */
    call->reads = req->reads;
    req->reads = reads | call->reads;

    if (vm->depth == 0) {
        vm->stack = NULL;

        if (vm->large || fail == ngx_http_cx_lua_memory
            || fail == ngx_http_cx_lua_budget)
        {
            /*
             * what the call left behind is garbage now; no object of
             * NGX_HTTP_CX_LUA_STRING_MAX bytes or more outlives its call
             */
            ngx_http_cx_lua_settle(vm);
            lua_gc(L, LUA_GCCOLLECT, 0);
        }
    }

    vm->fail = outer;

    return fail;
}


/*
 * The error on top of the stack, popped, as text for the log: with the
 * rule file when it has no position (error() with a table, say)
 */

static void
ngx_http_cx_lua_message(ngx_http_cx_lua_vm_t *vm, int rc, u_char *msg,
    ngx_str_t *file)
{
    size_t       len;
    u_char      *p, *last;
    lua_State   *L;
    const char  *s;

    L = vm->L;
    p = msg;
    last = msg + NGX_HTTP_CX_LUA_MSG_MAX - 1;

    if (lua_type(L, -1) == LUA_TSTRING
        && !(vm->fail == ngx_http_cx_lua_memory
             || (vm->fail == ngx_http_cx_lua_budget && rc == LUA_ERRMEM)))
    {
        /* the rule's own text: escaped for the log */
        s = lua_tolstring(L, -1, &len);
        p = ngx_http_cx_lua_log_escape(p, last, (u_char *) s, len, NULL);
        goto done;
    }

    /* a failure without a position of its own */

    if (vm->where[0]) {
        p = ngx_slprintf(p, last, "%s", vm->where);

    } else if (file) {
        p = ngx_slprintf(p, last, "%V: ", file);
    }

    if (vm->fail == ngx_http_cx_lua_memory) {
        p = ngx_slprintf(p, last, "memory limit of %uz bytes exceeded",
                         vm->max);

    } else if (vm->fail == ngx_http_cx_lua_budget) {
        /* the allocator refused: the bytes were over the budget */
        p = ngx_slprintf(p, last, "instruction budget of %ui exceeded",
                         vm->budget);

    } else {
        p = ngx_slprintf(p, last, "error object is a %s value",
                         lua_typename(L, lua_type(L, -1)));
    }

done:

    *p = '\0';

    lua_pop(L, 1);
}


void
ngx_http_cx_lua_fail(ngx_http_cx_lua_vm_t *vm, lua_State *L,
    ngx_http_cx_lua_fail_e fail)
{
    if (vm->fail != ngx_http_cx_lua_ok) {
        return;
    }

    vm->fail = fail;
    ngx_http_cx_lua_where(vm, L);
}


/* adds n to what the running call spent; raises when over its budget */

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

    return ngx_http_cx_lua_over(L, vm, 0);
}


/*
 * lua_call for C functions of the sandbox that call back into Lua (a
 * replacement function of gsub, a comparator, a metamethod): LuaJIT puts
 * no limit on such C frames, so a rule nesting them (gsub in the
 * replacement function of a gsub) would overflow the C stack.  Past
 * NGX_HTTP_CX_LUA_NEST_MAX levels it raises instead.  The call is
 * protected so that the count comes down whatever happens inside; an
 * error is raised again as it was.
 */

void
ngx_http_cx_lua_callback(lua_State *L, int nargs, int nresults)
{
    if (ngx_http_cx_lua_nested(L, ngx_http_cx_lua_vm_of(L), nargs, nresults)
        != 0)
    {
        lua_error(L);
    }
}


/*
 * The same for one of LuaJIT's own functions that may call back (the
 * function below the arguments): an error it raises itself has no
 * position and no name, called from C -- it gets the rule's, as if the
 * rule had called it
 */

void
ngx_http_cx_lua_builtin(lua_State *L, const char *name, int nargs,
    int nresults)
{
    size_t        len, n;
    lua_Debug     ar;
    const char   *msg, *q;

    if (ngx_http_cx_lua_nested(L, ngx_http_cx_lua_vm_of(L), nargs, nresults)
        == 0)
    {
        return;
    }

    if (lua_type(L, -1) != LUA_TSTRING || !lua_getstack(L, 1, &ar)
        || !lua_getinfo(L, "Sl", &ar) || ar.currentline <= 0)
    {
        lua_error(L);
    }

    msg = lua_tolstring(L, -1, &len);
    n = ngx_strlen(ar.short_src);

    if (len > n && ngx_strncmp(msg, ar.short_src, n) == 0 && msg[n] == ':') {
        /* raised by the rule's own code: it has its position */
        lua_error(L);
    }

    lua_pushfstring(L, "%s:%d: ", ar.short_src, ar.currentline);

    q = ngx_strstr(msg, "'?'");

    if (q) {
        lua_pushlstring(L, msg, q - msg);
        lua_pushfstring(L, "'%s'", name);
        lua_pushstring(L, q + 3);
        lua_concat(L, 4);

    } else {
        lua_pushvalue(L, -2);
        lua_concat(L, 2);
    }

    lua_error(L);
}


/*
 * A wrapper closure's call of the function it stands for (its upvalue
 * up) with the nargs arguments on top of the stack: plainly, or, named,
 * as ngx_http_cx_lua_builtin() calls one that may call back into Lua.
 * Leaves nresults results.
 */

void
ngx_http_cx_lua_call_wrapped(lua_State *L, int up, const char *name,
    int nargs, int nresults)
{
    lua_pushvalue(L, lua_upvalueindex(up));
    lua_insert(L, -nargs - 1);

    if (name == NULL) {
        lua_call(L, nargs, nresults);
        return;
    }

    ngx_http_cx_lua_builtin(L, name, nargs, nresults);
}


static int
ngx_http_cx_lua_nested(lua_State *L, ngx_http_cx_lua_vm_t *vm, int nargs,
    int nresults)
{
    int     rc;
    u_char  here;

    if (vm->nest >= NGX_HTTP_CX_LUA_NEST_MAX) {
        ngx_http_cx_lua_where(vm, L);
        lua_pushfstring(L, "%sC functions nested too deep (more than %d "
                        "levels)", (char *) vm->where,
                        NGX_HTTP_CX_LUA_NEST_MAX);
        return lua_error(L);
    }

    if (vm->stack && vm->stack - &here > NGX_HTTP_CX_LUA_STACK_MAX) {
        ngx_http_cx_lua_deep(L, vm);
    }

    vm->nest++;
    rc = lua_pcall(L, nargs, nresults, 0);
    vm->nest--;

    return rc;
}


/* a memory failure, as the allocator's, for what C functions would make */

int
ngx_http_cx_lua_nomemory(lua_State *L, ngx_http_cx_lua_vm_t *vm)
{
    if (vm->in_call) {
        ngx_http_cx_lua_fail(vm, L, ngx_http_cx_lua_memory);

    } else if (vm->fail == ngx_http_cx_lua_ok) {
        vm->fail = ngx_http_cx_lua_memory;
    }

    lua_pushliteral(L, "not enough memory");

    return lua_error(L);
}


size_t
ngx_http_cx_lua_left(ngx_http_cx_lua_vm_t *vm)
{
    if (!vm->in_call) {
        return (size_t) -1;
    }

    return (vm->spent < vm->budget) ? vm->budget - vm->spent : 0;
}


static void *
ngx_http_cx_lua_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    ngx_http_cx_lua_vm_t *vm = ud;

    void    *p;
    size_t   grow;

    if (ptr == NULL) {
        osize = 0;
    }

    if (nsize == 0) {
        vm->used -= ngx_min(osize, vm->used);
        return vm->allocf(vm->allocd, ptr, osize, 0);
    }

    if (nsize > osize) {
        grow = nsize - osize;

        if (vm->used + grow > vm->max) {
            if (vm->in_call) {
                ngx_http_cx_lua_fail(vm, vm->L, ngx_http_cx_lua_memory);

            } else if (vm->fail == ngx_http_cx_lua_ok) {
                vm->fail = ngx_http_cx_lua_memory;
            }

            return NULL;
        }

        if (vm->in_call && vm->fail == ngx_http_cx_lua_ok) {
            vm->spent += grow;

            if (vm->spent > vm->budget) {
                ngx_http_cx_lua_fail(vm, vm->L, ngx_http_cx_lua_budget);
                return NULL;
            }

            if (nsize >= NGX_HTTP_CX_LUA_STRING_MAX && !vm->large) {
                ngx_http_cx_lua_large(vm);
            }
        }
    }

    p = vm->allocf(vm->allocd, ptr, osize, nsize);

    if (p == NULL) {
        if (vm->fail == ngx_http_cx_lua_ok) {
            vm->fail = ngx_http_cx_lua_memory;
        }

        return NULL;
    }

    vm->used = vm->used - ngx_min(osize, vm->used) + nsize;

    return p;
}


static void
ngx_http_cx_lua_hook(lua_State *L, lua_Debug *ar)
{
    uint64_t               now;
    ngx_http_cx_lua_vm_t  *vm;

    vm = ngx_http_cx_lua_vm_of(L);

    if (!vm->in_call) {
        return;
    }

    vm->spent += vm->every;

    if (vm->spent > vm->budget) {
        (void) ngx_http_cx_lua_over(L, vm, 0);
    }

    if (vm->stack
        && vm->stack - (u_char *) &now > NGX_HTTP_CX_LUA_STACK_MAX)
    {
        ngx_http_cx_lua_deep(L, vm);
    }

    /* the time from the call's first hook on: a read of the VDSO's clock */

    now = ngx_http_cx_lua_ns();

    if (vm->started == 0) {
        vm->started = now;
        return;
    }

    if (now - vm->started > vm->limit) {
        (void) ngx_http_cx_lua_over(L, vm, vm->limit);
    }
}


/* the budget is spent: in instructions and bytes, or in time (ns) */

static int
ngx_http_cx_lua_over(lua_State *L, ngx_http_cx_lua_vm_t *vm, uint64_t ns)
{
    ngx_http_cx_lua_fail(vm, L, ngx_http_cx_lua_budget);

    if (ns) {
        lua_pushfstring(L, "%sinstruction budget of %d exceeded (its time "
                        "limit of %d ms)", (char *) vm->where,
                        (int) vm->budget, (int) (ns / 1000000));

    } else {
        lua_pushfstring(L, "%sinstruction budget of %d exceeded",
                        (char *) vm->where, (int) vm->budget);
    }

    return lua_error(L);
}


/*
 * C calling Lua calling C...: a C function of the sandbox counts itself
 * (ngx_http_cx_lua_nested()), this is for one that does not
 */

static void
ngx_http_cx_lua_deep(lua_State *L, ngx_http_cx_lua_vm_t *vm)
{
    ngx_http_cx_lua_where(vm, L);

    lua_pushfstring(L, "%sC functions nested too deep (more than %d KB of "
                    "C stack)", (char *) vm->where,
                    NGX_HTTP_CX_LUA_STACK_MAX / 1024);
    (void) lua_error(L);
}


/*
 * The running call has made an object of NGX_HTTP_CX_LUA_STRING_MAX
 * bytes or more: an instruction may now touch that many bytes, so the
 * hook counts (and reads the clock) every NGX_HTTP_CX_LUA_HOOK_LARGE
 * instructions, until the call ends.  Called from the allocator, in the
 * middle of an instruction: lua_sethook() with the same mask only sets
 * the count, the dispatch stays as it is.
 */

static void
ngx_http_cx_lua_large(ngx_http_cx_lua_vm_t *vm)
{
    vm->large = 1;
    vm->every = NGX_HTTP_CX_LUA_HOOK_LARGE;

    lua_sethook(vm->L, ngx_http_cx_lua_hook, LUA_MASKCOUNT,
                NGX_HTTP_CX_LUA_HOOK_LARGE);
}


static void
ngx_http_cx_lua_settle(ngx_http_cx_lua_vm_t *vm)
{
    if (!vm->large) {
        return;
    }

    vm->large = 0;
    vm->every = NGX_HTTP_CX_LUA_HOOK_EVERY;

    lua_sethook(vm->L, ngx_http_cx_lua_hook, LUA_MASKCOUNT,
                NGX_HTTP_CX_LUA_HOOK_EVERY);
}


static uint64_t
ngx_http_cx_lua_ns(void)
{
    struct timespec  ts;

    (void) clock_gettime(CLOCK_MONOTONIC, &ts);

    return (uint64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}


/*
 * "file:line: " of the innermost rule-file frame, for failures that have
 * no position of their own.  Called from the hook and from the allocator
 * refusing memory: the VM has saved its PC there, and lua_getinfo "Sl"
 * does not allocate.
 */

static void
ngx_http_cx_lua_where(ngx_http_cx_lua_vm_t *vm, lua_State *L)
{
    int          level;
    u_char      *p;
    lua_Debug    ar;

    vm->where[0] = '\0';

    if (L == NULL) {
        return;
    }

    for (level = 0; lua_getstack(L, level, &ar); level++) {

        if (lua_getinfo(L, "Sl", &ar) == 0) {
            break;
        }

        if (ar.currentline > 0 && ar.source && ar.source[0] == '@') {
            p = ngx_snprintf(vm->where, NGX_HTTP_CX_LUA_MSG_MAX / 2,
                             "%s:%d: ", ar.short_src, ar.currentline);
            *p = '\0';
            return;
        }
    }
}


static int
ngx_http_cx_lua_panic(lua_State *L)
{
    ngx_http_cx_lua_vm_t  *vm;

    vm = ngx_http_cx_lua_vm_of(L);

    ngx_log_error(NGX_LOG_ALERT, vm->log, 0,
                  "cx rules: Lua panic: %s",
                  lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1)
                                                 : "(no message)");
    return 0;
}


/* the sandbox, the helper library and the request view */

static int
ngx_http_cx_lua_setup(lua_State *L)
{
    ngx_http_cx_lua_vm_t  *vm;

    vm = lua_touserdata(L, 1);

    luaL_openlibs(L);

    if (ngx_http_cx_lua_request_init(L) != NGX_OK) {
        return luaL_error(L, "cannot create the request view");
    }

    vm->time = luaL_ref(L, LUA_REGISTRYINDEX);
    vm->fast = luaL_ref(L, LUA_REGISTRYINDEX);
    vm->r = luaL_ref(L, LUA_REGISTRYINDEX);

    lua_pushliteral(L, "touchpoint");
    vm->touchpoint_key = luaL_ref(L, LUA_REGISTRYINDEX);

    if (luaL_loadbufferx(L, (const char *) ngx_http_cx_lua_sandbox,
                         ngx_http_cx_lua_sandbox_end
                         - ngx_http_cx_lua_sandbox,
                         "=cx sandbox", "t")
        != 0)
    {
        return lua_error(L);
    }

    ngx_http_cx_lua_string_init(L);
    ngx_http_cx_lua_builtins_init(L);
    lua_getfield(L, LUA_REGISTRYINDEX, "cx.views");
    lua_setfield(L, -2, "views");
    ngx_http_cx_lua_fields(L);
    lua_setfield(L, -2, "fields");
    ngx_http_cx_lua_plan_init(L);
    lua_setfield(L, -2, "plan");
    lua_pushinteger(L, NGX_HTTP_CX_NAME_MAX);
    lua_setfield(L, -2, "name_max");

    if (vm->conf->try) {
        ngx_http_cx_lua_try_init(L);
    }

    lua_pushlstring(L, (const char *) ngx_http_cx_lua_cx,
                    ngx_http_cx_lua_cx_end - ngx_http_cx_lua_cx);
    lua_pushlstring(L, (const char *) ngx_http_cx_lua_check,
                    ngx_http_cx_lua_check_end - ngx_http_cx_lua_check);
    lua_call(L, 3, 1);

    vm->loader = luaL_ref(L, LUA_REGISTRYINDEX);

    return 0;
}


/*
 * One rule file: compiled as text only, run once in its own read-only
 * environment under the load budget, then checked and frozen.
 */

static int
ngx_http_cx_lua_load(lua_State *L)
{
    u_char                  here;
    ngx_http_cx_rules_t    *rules;
    ngx_http_cx_lua_vm_t   *vm;
    ngx_http_cx_lua_set_t  *set;

    set = lua_touserdata(L, 1);
    rules = set->rules;
    vm = ngx_http_cx_lua_vm_of(L);

    lua_settop(L, 0);

    if (rules->source.len && rules->source.data[0] == LUA_SIGNATURE[0]) {
        return luaL_error(L, "%s: precompiled bytecode is not accepted, "
                             "rules are Lua source", rules->file.data);
    }

    lua_pushfstring(L, "@%s", (char *) rules->file.data);

    if (luaL_loadbufferx(L, (const char *) rules->source.data,
                         rules->source.len, lua_tostring(L, 1), "t")
        != 0)
    {
        return lua_error(L);
    }

    /* 1: chunk name, 2: the chunk, 3: loader */

    lua_rawgeti(L, LUA_REGISTRYINDEX, vm->loader);

    /* its strings, before it runs: none too long to compare in a loop */

    lua_getfield(L, 3, "strings");
    lua_pushvalue(L, 2);
    lua_call(L, 1, 2);

    if (!lua_isnil(L, -1)) {
        lua_pushfstring(L, "%s:%d: %s", (char *) rules->file.data,
                        (int) lua_tointeger(L, -2), lua_tostring(L, -1));
        return lua_error(L);
    }

    lua_pop(L, 2);

    lua_getfield(L, 3, "new_env");
    lua_call(L, 0, 1);
    lua_setfenv(L, 2);

    lua_pushvalue(L, 2);

    vm->budget = NGX_HTTP_CX_LUA_LOAD_BUDGET;
    vm->spent = 0;
    vm->started = 0;
    vm->limit = NGX_HTTP_CX_LUA_LOAD_TIME;
    vm->stack = &here;
    vm->fail = ngx_http_cx_lua_ok;
    lua_sethook(L, ngx_http_cx_lua_hook, LUA_MASKCOUNT,
                NGX_HTTP_CX_LUA_HOOK_EVERY);
    vm->in_call = 1;
    vm->set = set;

    lua_call(L, 0, 1);

    vm->in_call = 0;
    vm->set = NULL;
    vm->stack = NULL;
    ngx_http_cx_lua_settle(vm);

    /* 4: what the file returned */

    lua_getfield(L, 3, "prepare");
    lua_insert(L, 4);
    lua_pushvalue(L, 2);
    ngx_http_cx_lua_surveys(L, vm);
    lua_call(L, 3, 7);

    /*
     * 4: trigger or nil, 5: touchpoint or false or message, 6: restore,
     * 7: whether the file writes only tables it makes, 8: and reads
     * r.touchpoint, 9: trigger's plan or false, 10: what the check found
     * (nginx -t only)
     */

    if (lua_isnil(L, 4)) {
        lua_pushfstring(L, "%s: %s", (char *) rules->file.data,
                        lua_tostring(L, 5));
        return lua_error(L);
    }

    ngx_http_cx_lua_problems(L, vm, set);
    lua_pop(L, 1);

    set->fast = lua_toboolean(L, 7);
    set->fast_touchpoint = lua_toboolean(L, 8);

    ngx_http_cx_lua_plan_free(set->plan);
    set->plan = ngx_http_cx_lua_plan_load(L, 9, vm->log);
    lua_pop(L, 3);

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, vm->log, 0,
                   "cx rules: \"%s\": %s, %s", rules->file.data,
                   set->fast ? "writes only its own tables, fast r"
                             : "writes other tables, r of empty tables",
                   set->plan ? "trigger(r) planned"
                             : "trigger(r) not planned");

    if (lua_istable(L, -1)) {
        /* the slots for values aside, ngx_http_cx_lua_restore() */
        lua_rawgeti(L, -1, 0);
        lua_createtable(L, (int) lua_tointeger(L, -1) / 3, 0);
        lua_rawseti(L, -3, -1);
        lua_pop(L, 1);
    }

    set->restore = ngx_http_cx_lua_ref(L);
    set->touchpoint = ngx_http_cx_lua_ref(L);
    set->trigger = ngx_http_cx_lua_ref(L);

    return 0;
}


/*
 * For the check of a file at nginx -t (lua/check.lua): the ids every
 * cx_survey of this nginx defines, as a set; nil in a worker, which does
 * not check
 */

static void
ngx_http_cx_lua_surveys(lua_State *L, ngx_http_cx_lua_vm_t *vm)
{
    ngx_uint_t              i;
    ngx_array_t            *a;
    ngx_http_cx_survey_t  **s;

    a = vm->conf->surveys;

    if (!vm->conf_time || a == NULL) {
        lua_pushnil(L);
        return;
    }

    lua_createtable(L, 0, (int) a->nelts);

    s = a->elts;

    for (i = 0; i < a->nelts; i++) {
        lua_pushlstring(L, (const char *) s[i]->id.data, s[i]->id.len);
        lua_pushboolean(L, 1);
        lua_rawset(L, -3);
    }
}


/*
 * What the check found in a file, on top of the stack: { { line = n,
 * msg = "..." }, ... }.  One line each in the log, as a file that does
 * not load gets; nginx -t fails once all files are read.
 */

static void
ngx_http_cx_lua_problems(lua_State *L, ngx_http_cx_lua_vm_t *vm,
    ngx_http_cx_lua_set_t *set)
{
    int                   i, n, line;
    size_t                len;
    u_char               *p;
    const char           *s;
    ngx_http_cx_rules_t  *rules;
    u_char                msg[NGX_HTTP_CX_LUA_MSG_MAX];

    if (!lua_istable(L, -1)) {
        return;
    }

    rules = set->rules;
    n = (int) lua_objlen(L, -1);

    for (i = 1; i <= n; i++) {
        lua_rawgeti(L, -1, i);
        lua_getfield(L, -1, "line");
        line = (int) lua_tointeger(L, -1);
        lua_getfield(L, -2, "msg");
        s = lua_tolstring(L, -1, &len);

        /* the rule's own text in it: escaped, as any in the log */
        p = ngx_http_cx_lua_log_escape(msg, msg + sizeof(msg) - 1,
                                       (u_char *) (s ? s : ""),
                                       s ? len : 0, NULL);
        *p = '\0';

        ngx_log_error(NGX_LOG_EMERG, vm->log, 0,
                      "cx_rules_lua \"%V\": %V:%d: %s in %s:%ui",
                      &rules->file, &rules->file, line, msg,
                      rules->conf_file, rules->conf_line);

        lua_pop(L, 3);
        vm->problems++;
    }
}


/* a reference to the value on top, popped; LUA_NOREF for false or nil */

static int
ngx_http_cx_lua_ref(lua_State *L)
{
    if (!lua_toboolean(L, -1)) {
        lua_pop(L, 1);
        return LUA_NOREF;
    }

    return luaL_ref(L, LUA_REGISTRYINDEX);
}


/*
 * File-level locals that rule functions assign to (the sandbox's restore
 * list: { [0] = n, f1, i1, v1, f2, ... } with upvalue i of function f
 * loaded as v, and at [-1] a table of n / 3 slots made at load):
 *
 *   LOADED  back to their loaded values, as a call ends
 *   SAVE    the values of the call running aside into the slots, then
 *           the loaded ones, as a nested call starts
 *   SAVED   the values aside back, the slots emptied, as it ends
 *
 * Nothing here allocates or raises: the slots exist, and an upvalue
 * holds any value.  Calls nest one level at most (a touchpoint(r) in
 * trigger(r)), so one table of slots is enough.
 */

static void
ngx_http_cx_lua_restore(lua_State *L, ngx_http_cx_lua_set_t *set,
    ngx_uint_t how)
{
    int  i, n, t, saved;

    if (set->restore == LUA_NOREF) {
        return;
    }

    lua_rawgeti(L, LUA_REGISTRYINDEX, set->restore);
    t = lua_gettop(L);

    lua_rawgeti(L, t, 0);
    n = (int) lua_tointeger(L, -1);
    lua_rawgeti(L, t, -1);
    saved = lua_gettop(L);

    if (how == NGX_HTTP_CX_LUA_RESTORE_SAVE) {
        /* all of them first: functions may share an upvalue */

        for (i = 1; i + 2 <= n; i += 3) {
            lua_rawgeti(L, t, i);
            lua_rawgeti(L, t, i + 1);

            if (lua_getupvalue(L, -2, (int) lua_tointeger(L, -1)) == NULL) {
                lua_pushnil(L);
            }

            lua_rawseti(L, saved, i / 3 + 1);
            lua_pop(L, 2);
        }

        how = NGX_HTTP_CX_LUA_RESTORE_LOADED;
    }

    for (i = 1; i + 2 <= n; i += 3) {
        lua_rawgeti(L, t, i);
        lua_rawgeti(L, t, i + 1);

        if (how == NGX_HTTP_CX_LUA_RESTORE_LOADED) {
            lua_rawgeti(L, t, i + 2);

        } else {
            lua_rawgeti(L, saved, i / 3 + 1);
            lua_pushnil(L);
            lua_rawseti(L, saved, i / 3 + 1);
        }

        if (lua_setupvalue(L, -3, (int) lua_tointeger(L, -2)) == NULL) {
            lua_pop(L, 1);
        }

        lua_pop(L, 2);
    }

    lua_settop(L, t - 1);
}
