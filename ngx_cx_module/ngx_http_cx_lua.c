
/*
 * ngx_http_cx_lua.c: Lua trigger rules at run time -- the VM of each
 * worker, and the two calls the module makes into it: trigger(r), which
 * decides the survey of a page view, and touchpoint(r), which names its
 * touchpoint.  A rule that fails, for any reason, means "no survey" (or
 * "no touchpoint from Lua") for that request, a rate-limited log line
 * and a metric: the page is always served.
 *
 * The directives are in ngx_http_cx_lua_conf.c, the VM itself in
 * ngx_http_cx_lua_vm.c, trigger(r) run without the VM in
 * ngx_http_cx_lua_plan.c, the request view "r" in
 * ngx_http_cx_lua_request.c, the library's C side in
 * ngx_http_cx_lua_cx.c, ngx_http_cx_lua_glob.c and
 * ngx_http_cx_lua_string.c.
 */


#include "ngx_http_cx_lua.h"
#include "ngx_http_cx_metrics.h"
#include "ngx_http_cx_survey.h"
#include "ngx_http_cx_token.h"
#include "ngx_http_cx_util.h"


/* a name a rule returned, in a message: escaped, or "(too long)" */
#define NGX_HTTP_CX_LUA_QUOTE_MAX  (4 * NGX_HTTP_CX_NAME_MAX + 1)


typedef struct {
    ngx_http_request_t          *r;
    ngx_http_cx_ctx_t           *ctx;
    ngx_http_cx_touchpoint_pt    resolve;   /* the page view's touchpoint */
    ngx_http_cx_main_conf_t     *cmcf;
    ngx_http_cx_survey_t        *survey;
    ngx_str_t                    question;
    ngx_str_t                    variant;
    ngx_str_t                    touchpoint;
    time_t                       delay;
    unsigned                     delay_set:1;
    unsigned                     declined:1;
    unsigned                     nomem:1;
    unsigned                     touchpoint_after:1;
} ngx_http_cx_lua_result_t;


static ngx_http_cx_lua_set_t *ngx_http_cx_lua_set(ngx_http_request_t *r,
    ngx_http_cx_rules_t *rules, const char *what);
static ngx_uint_t ngx_http_cx_lua_fast(ngx_http_cx_lua_set_t *set);
static ngx_int_t ngx_http_cx_lua_fast_touchpoint(ngx_http_request_t *r,
    ngx_http_cx_ctx_t *ctx, ngx_http_cx_lua_set_t *set,
    ngx_http_cx_touchpoint_pt touchpoint);
static int ngx_http_cx_lua_touchpoint_ref(ngx_http_cx_lua_vm_t *vm,
    ngx_str_t *tp);
static int ngx_http_cx_lua_keep(lua_State *L);
static ngx_int_t ngx_http_cx_lua_eval(ngx_http_request_t *r,
    ngx_http_cx_ctx_t *ctx, ngx_http_cx_lua_call_t *call, const char *what,
    ngx_str_t *path, ngx_http_cx_touchpoint_pt touchpoint);
static void ngx_http_cx_lua_report(ngx_http_request_t *r,
    ngx_http_cx_lua_set_t *set, const char *what,
    ngx_http_cx_lua_fail_e fail, u_char *msg);
static ngx_int_t ngx_http_cx_lua_log_rate(ngx_http_cx_lua_log_rate_t *rate);
static void ngx_http_cx_lua_reset(ngx_log_t *log);
static ngx_int_t ngx_http_cx_lua_trigger_result(lua_State *L,
    ngx_http_cx_lua_vm_t *vm, ngx_http_cx_lua_call_t *call, u_char *msg);
static ngx_int_t ngx_http_cx_lua_trigger_table(lua_State *L,
    ngx_http_cx_lua_call_t *call, ngx_http_cx_lua_result_t *res,
    u_char *msg);
static ngx_int_t ngx_http_cx_lua_survey(lua_State *L,
    ngx_http_cx_lua_call_t *call, ngx_http_cx_lua_result_t *res, int idx,
    u_char *msg);
static ngx_http_cx_survey_t *ngx_http_cx_lua_survey_of(
    ngx_http_cx_lua_set_t *set, ngx_http_cx_main_conf_t *cmcf, ngx_str_t *id);
static ngx_int_t ngx_http_cx_lua_question(lua_State *L,
    ngx_http_cx_lua_call_t *call, ngx_http_cx_lua_result_t *res, int idx,
    u_char *msg);
static ngx_int_t ngx_http_cx_lua_variant(lua_State *L,
    ngx_http_cx_lua_call_t *call, ngx_http_cx_lua_result_t *res,
    u_char *msg);
static ngx_int_t ngx_http_cx_lua_touchpoint_result(lua_State *L,
    ngx_http_cx_lua_vm_t *vm, ngx_http_cx_lua_call_t *call, u_char *msg);
static ngx_int_t ngx_http_cx_lua_nomem(ngx_http_cx_lua_result_t *res,
    u_char *msg);
static char *ngx_http_cx_lua_quote(u_char *buf, u_char *s, size_t len);
static ngx_int_t ngx_http_cx_lua_bad(lua_State *L,
    ngx_http_cx_lua_call_t *call, u_char *msg, const char *fmt, ...);
static uint64_t ngx_http_cx_lua_clock(void);
static void ngx_http_cx_lua_timed(ngx_http_cx_lua_vm_t *vm, uint64_t start);
static ngx_int_t ngx_http_cx_lua_plan_trigger(ngx_http_request_t *r,
    ngx_http_cx_ctx_t *ctx, ngx_http_cx_lua_set_t *set,
    ngx_http_cx_lua_result_t *res);
static void ngx_http_cx_lua_try_trigger(ngx_http_request_t *r,
    ngx_http_cx_lua_result_t *res);


/* this process's VM: a worker's, or NULL */
static ngx_http_cx_lua_vm_t  *ngx_http_cx_lua_worker;


ngx_int_t
ngx_http_cx_lua_init_worker(ngx_cycle_t *cycle)
{
    ngx_http_cx_main_conf_t  *cmcf;

    cmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_cx_module);

    if (cmcf == NULL || cmcf->lua == NULL
        || ((ngx_http_cx_lua_conf_t *) cmcf->lua)->rules.nelts == 0)
    {
        return NGX_OK;
    }

    /* a worker starts without rules rather than not at all */

    ngx_http_cx_lua_worker = ngx_http_cx_lua_vm_create(cmcf->lua, cycle->log,
                                                       0);

    return NGX_OK;
}


void
ngx_http_cx_lua_exit_worker(ngx_cycle_t *cycle)
{
    if (ngx_http_cx_lua_worker) {
        ngx_http_cx_lua_vm_close(ngx_http_cx_lua_worker);
        ngx_http_cx_lua_worker = NULL;
    }
}


/*
 * The survey of this page view by the location's trigger(r): NGX_OK with
 * ctx->survey set (NULL: none), NGX_DECLINED when the rule returned true
 * (the location's cx_survey sampling decides), NGX_ERROR without memory.
 * r.touchpoint is what touchpoint() resolves.
 */

ngx_int_t
ngx_http_cx_rules_trigger(ngx_http_request_t *r, ngx_http_cx_ctx_t *ctx,
    ngx_http_cx_rules_t *rules, ngx_http_cx_touchpoint_pt touchpoint)
{
    ngx_int_t                  rc;
    ngx_http_cx_lua_set_t     *set;
    ngx_http_cx_lua_call_t     call;
    ngx_http_cx_loc_conf_t    *lcf;
    ngx_http_cx_lua_result_t   res;

    ctx->survey = NULL;

    set = ngx_http_cx_lua_set(r, rules, "trigger");
    if (set == NULL) {
        return NGX_OK;
    }

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_cx_module);

    ngx_memzero(&res, sizeof(ngx_http_cx_lua_result_t));
    res.r = r;
    res.ctx = ctx;
    res.resolve = touchpoint;
    res.cmcf = ngx_http_get_module_main_conf(r, ngx_http_cx_module);

    /*
     * The page's touchpoint is needed anyway (for the tag, for counting):
     * touchpoint(r) runs in the same call, nested, if trigger(r) has not
     * asked for r.touchpoint already.
     */
    res.touchpoint_after = (set->touchpoint != LUA_NOREF);

    if (set->plan && !ngx_http_cx_lua_worker->conf->try) {
        rc = ngx_http_cx_lua_plan_trigger(r, ctx, set, &res);

        if (rc == NGX_ERROR) {
            return NGX_ERROR;
        }

        if (rc == NGX_OK) {
            goto decided;
        }

        /* the plan gave up: the VM runs the call */
    }

    call.set = set;
    call.fn = set->trigger;
    call.r = ngx_http_cx_lua_worker->r;

    if (ngx_http_cx_lua_fast(set)) {
        call.r = ngx_http_cx_lua_worker->fast;

        if (ngx_http_cx_lua_fast_touchpoint(r, ctx, set, touchpoint)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    call.budget = lcf->rules_budget;
    call.result = ngx_http_cx_lua_trigger_result;
    call.data = &res;

    rc = ngx_http_cx_lua_eval(r, ctx, &call, "trigger", NULL, touchpoint);

    if (res.nomem) {
        return NGX_ERROR;
    }

    if (rc != NGX_OK) {
        return NGX_OK;
    }

decided:

    if (ngx_http_cx_lua_worker->conf->try) {
        ngx_http_cx_lua_try_trigger(r, &res);
    }

    if (res.declined) {
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "cx rules: trigger() returned true, sampling");
        return NGX_DECLINED;
    }

    if (res.survey == NULL) {
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "cx rules: trigger() returned no survey");
        return NGX_OK;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "cx rules: trigger() returned survey \"%V\"",
                   &res.survey->id);

    ctx->survey = res.survey;

    if (res.delay_set) {
        ctx->delay = res.delay;
        ctx->delay_set = 1;
    }

    if (res.question.data) {
        ctx->question = res.question;
    }

    ctx->variant = res.variant;

    return NGX_OK;
}


/*
 * The touchpoint of this request by the location's touchpoint(r): NGX_OK
 * with a valid name in tp, NGX_DECLINED when there is none (no such
 * function, nil, a failure, or rules already running).
 */

ngx_int_t
ngx_http_cx_rules_touchpoint(ngx_http_request_t *r, ngx_http_cx_ctx_t *ctx,
    ngx_http_cx_rules_t *rules, ngx_http_cx_touchpoint_pt touchpoint,
    ngx_str_t *tp)
{
    ngx_int_t                  rc;
    ngx_str_t                  path;
    ngx_http_cx_lua_set_t     *set;
    ngx_http_cx_lua_call_t     call;
    ngx_http_cx_loc_conf_t    *lcf;
    ngx_http_cx_lua_result_t   res;

    if (ngx_http_cx_lua_worker && ngx_http_cx_lua_worker->depth > 1) {
        return NGX_DECLINED;
    }

    set = ngx_http_cx_lua_set(r, rules, "touchpoint");

    if (set == NULL || set->touchpoint == LUA_NOREF) {
        return NGX_DECLINED;
    }

    if (ngx_http_cx_lua_decode_path(r, &path) != NGX_OK) {
        return NGX_ERROR;
    }

    /* a peek before trigger(r) may have looked already */

    rc = (ctx->touchpoint_unremembered || ngx_http_cx_lua_worker->conf->try)
         ? NGX_AGAIN : ngx_http_cx_lua_paths_find(set, &path, r->pool, tp);

    if (rc != NGX_AGAIN) {
        if (rc != NGX_ERROR) {
            ngx_http_cx_stat_inc(r, ngx_http_cx_stat_rules_remembered);
        }

        return rc;
    }

    if (ctx->touchpoint_peek) {
        ctx->touchpoint_unremembered = 1;
        return NGX_AGAIN;
    }

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_cx_module);

    ngx_memzero(&res, sizeof(ngx_http_cx_lua_result_t));
    res.r = r;
    res.ctx = ctx;
    res.resolve = touchpoint;

    call.set = set;
    call.fn = set->touchpoint;
    call.r = ngx_http_cx_lua_worker->r;     /* what it reads is noted */
    call.budget = lcf->rules_budget;
    call.result = ngx_http_cx_lua_touchpoint_result;
    call.data = &res;

    rc = ngx_http_cx_lua_eval(r, ctx, &call, "touchpoint", &path,
                              touchpoint);

    if (res.nomem) {
        return NGX_ERROR;
    }

    if (rc != NGX_OK) {
        return NGX_DECLINED;
    }

    if (ngx_http_cx_lua_worker->conf->try) {
        ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                      "cx rules try: touchpoint() returned %s%V%s",
                      res.touchpoint.len ? "\"" : "nil",
                      &res.touchpoint, res.touchpoint.len ? "\"" : "");

    } else if ((call.reads & ~NGX_HTTP_CX_LUA_READ_PATH) == 0) {
        /* the same answer for this path every time */
        ngx_http_cx_lua_paths_add(set, &path, &res.touchpoint);
    }

    if (res.touchpoint.len == 0) {
        return NGX_DECLINED;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "cx rules: touchpoint() returned \"%V\"",
                   &res.touchpoint);

    *tp = res.touchpoint;

    return NGX_OK;
}


/* this worker's copy of a rule file, NULL (reported) when unusable */

static ngx_http_cx_lua_set_t *
ngx_http_cx_lua_set(ngx_http_request_t *r, ngx_http_cx_rules_t *rules,
    const char *what)
{
    ngx_http_cx_lua_set_t  *set;
    u_char                  msg[NGX_HTTP_CX_LUA_MSG_MAX];

    static ngx_http_cx_lua_set_t  none;

    if (ngx_http_cx_lua_worker == NULL) {
        none.rules = rules;
        (void) ngx_snprintf(msg, sizeof(msg), "%s: the rules VM could not "
                            "be created in this worker (see the error log "
                            "at its start)%Z", rules->file.data);
        ngx_http_cx_lua_report(r, &none, what, ngx_http_cx_lua_error, msg);
        return NULL;
    }

    set = &ngx_http_cx_lua_worker->sets[rules->index];

    if (set->trigger == LUA_NOREF) {
        (void) ngx_snprintf(msg, sizeof(msg), "%s: the file did not load "
                            "in this worker (see the error log at its "
                            "start)%Z", rules->file.data);
        ngx_http_cx_lua_report(r, set, what, ngx_http_cx_lua_error, msg);
        return NULL;
    }

    return set;
}


/*
 * Whether trigger(r) of this rule file gets the fast r: it writes only
 * tables it makes (lua/sandbox.lua), and the fast r's r.time is of this
 * second (filled in a protected call once a second; should that fail,
 * this call gets the other r).
 */

static ngx_uint_t
ngx_http_cx_lua_fast(ngx_http_cx_lua_set_t *set)
{
    lua_State             *L;
    ngx_http_cx_lua_vm_t  *vm;

    if (!set->fast) {
        return 0;
    }

    vm = ngx_http_cx_lua_worker;

    if (vm->conf->try) {
        /* r.time of the request's own clock */
        return 0;
    }

    if (vm->time_at == ngx_time()) {
        return 1;
    }

    L = vm->L;

    if (lua_cpcall(L, ngx_http_cx_lua_time_data, vm) != 0) {
        lua_pop(L, 1);
        return 0;
    }

    return 1;
}


/*
 * r.touchpoint as a plain field of the fast r, when the rule file reads
 * it and it is known without a call of touchpoint(r) (the upstream's
 * header, the per-path memo, cx_touchpoint): one table read instead of a
 * call into C.  Else the field is absent, and r.touchpoint is read as
 * in the other r.  The value is a Lua string the VM keeps, so setting
 * the field allocates nothing: this runs outside a protected call.
 */

static ngx_int_t
ngx_http_cx_lua_fast_touchpoint(ngx_http_request_t *r, ngx_http_cx_ctx_t *ctx,
    ngx_http_cx_lua_set_t *set, ngx_http_cx_touchpoint_pt touchpoint)
{
    int                    ref;
    ngx_int_t              rc;
    ngx_str_t              tp;
    lua_State             *L;
    ngx_http_cx_lua_vm_t  *vm;

    vm = ngx_http_cx_lua_worker;
    ref = LUA_NOREF;

    if (set->fast_touchpoint) {
        ctx->touchpoint_peek = 1;
        rc = touchpoint(r, ctx, &tp);
        ctx->touchpoint_peek = 0;

        if (rc == NGX_ERROR) {
            return NGX_ERROR;
        }

        if (rc == NGX_OK) {
            ref = ngx_http_cx_lua_touchpoint_ref(vm, &tp);
        }
    }

    if (ref == LUA_NOREF && !vm->fast_touchpoint) {
        return NGX_OK;
    }

    L = vm->L;

    lua_rawgeti(L, LUA_REGISTRYINDEX, vm->fast);
    lua_rawgeti(L, LUA_REGISTRYINDEX, vm->touchpoint_key);

    if (ref == LUA_NOREF) {
        lua_pushnil(L);

    } else {
        lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
    }

    lua_rawset(L, -3);
    lua_pop(L, 1);

    vm->fast_touchpoint = (ref != LUA_NOREF);

    return NGX_OK;
}


/* the VM's Lua string of a touchpoint name: a registry reference */

typedef struct {
    ngx_str_t              *name;
    int                     ref;
} ngx_http_cx_lua_keep_t;


static int
ngx_http_cx_lua_touchpoint_ref(ngx_http_cx_lua_vm_t *vm, ngx_str_t *tp)
{
    ngx_uint_t               i;
    ngx_http_cx_lua_name_t  *n;
    ngx_http_cx_lua_keep_t   keep;

    for (i = 0; i < vm->ntouchpoints; i++) {
        n = &vm->touchpoints[i];

        if (n->len == tp->len && ngx_memcmp(n->data, tp->data, tp->len) == 0)
        {
            return n->ref;
        }
    }

    if (vm->ntouchpoints == NGX_HTTP_CX_LUA_TOUCHPOINTS
        || tp->len > NGX_HTTP_CX_NAME_MAX)
    {
        return LUA_NOREF;
    }

    keep.name = tp;
    keep.ref = LUA_NOREF;

    if (lua_cpcall(vm->L, ngx_http_cx_lua_keep, &keep) != 0) {
        lua_pop(vm->L, 1);
        return LUA_NOREF;
    }

    n = &vm->touchpoints[vm->ntouchpoints++];
    n->ref = keep.ref;
    n->len = tp->len;
    ngx_memcpy(n->data, tp->data, tp->len);

    return n->ref;
}


static int
ngx_http_cx_lua_keep(lua_State *L)
{
    ngx_http_cx_lua_keep_t  *keep;

    keep = lua_touserdata(L, 1);

    lua_pushlstring(L, (const char *) keep->name->data, keep->name->len);
    keep->ref = luaL_ref(L, LUA_REGISTRYINDEX);

    return 0;
}


/*
 * trigger(r) by its plan, without the VM: NGX_OK with res set, NGX_ERROR
 * without memory, NGX_DECLINED when the plan gave up (or is resting:
 * when it gives up on most page views, it is left alone for a while).
 * Counted and timed as a call in the VM is.
 */

static ngx_int_t
ngx_http_cx_lua_plan_trigger(ngx_http_request_t *r, ngx_http_cx_ctx_t *ctx,
    ngx_http_cx_lua_set_t *set, ngx_http_cx_lua_result_t *res)
{
    uint64_t                 start;
    ngx_int_t                rc;
    ngx_str_t                id, tp;
    ngx_uint_t               type, timed;
    ngx_http_cx_lua_vm_t    *vm;
    ngx_http_cx_survey_t    *s;
    ngx_http_cx_lua_req_t    req;

    if (set->plan_skip) {
        set->plan_skip--;
        return NGX_DECLINED;
    }

    vm = ngx_http_cx_lua_worker;

    req.r = r;
    req.ctx = ctx;
    req.touchpoint = res->resolve;
    req.reads = 0;
    req.clock = 0;
    req.visitor.parsed = 0;
    req.tm_done = 0;
    ngx_str_null(&req.path);

    timed = ((vm->calls & (NGX_HTTP_CX_LUA_TIME_EVERY - 1)) == 0);
    start = timed ? ngx_http_cx_lua_clock() : 0;

    rc = ngx_http_cx_lua_plan_run(set->plan, &req, vm, &type, &id);

    s = NULL;

    if (rc == NGX_OK && type == NGX_HTTP_CX_LUA_PLAN_STRING) {
        s = ngx_http_cx_lua_survey_of(set, res->cmcf, &id);

        /* the VM says what is wrong with an id */
        rc = s ? NGX_OK : NGX_DECLINED;
    }

    if (rc == NGX_DECLINED && ++set->plan_bails > 64
        && set->plan_bails * 2 > set->plan_runs)
    {
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "cx rules: the plan of trigger() gives up too "
                       "often, resting");
        set->plan_skip = 65536;
        set->plan_bails = 0;
        set->plan_runs = 0;
    }

    if (++set->plan_runs >= 4096) {
        set->plan_runs /= 2;
        set->plan_bails /= 2;
    }

    if (rc != NGX_OK) {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "cx rules: the plan of trigger() %s, the VM runs it",
                       rc == NGX_ERROR ? "ran out of memory" : "gave up");
        return rc;
    }

    vm->calls++;

    if (timed) {
        ngx_http_cx_lua_timed(vm, start);
    }

    ngx_http_cx_stat_inc(r, ngx_http_cx_stat_rules_evaluated);

    res->survey = s;
    res->declined = (type == NGX_HTTP_CX_LUA_PLAN_TRUE);

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "cx rules: trigger() ran by its plan, without the VM: %s",
                   s ? "a survey" : res->declined ? "true" : "no survey");

    /* the page's touchpoint, as after a call in the VM */

    if (res->touchpoint_after && !ctx->touchpoint_done
        && res->resolve(r, ctx, &tp) == NGX_ERROR)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* try mode (ngx_http_cx_lua_try.c): what trigger(r) decided */

static void
ngx_http_cx_lua_try_trigger(ngx_http_request_t *r,
    ngx_http_cx_lua_result_t *res)
{
    u_char  *p, *last;
    u_char   line[NGX_HTTP_CX_LUA_MSG_MAX];

    if (res->declined) {
        ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                      "cx rules try: trigger() returned true: the "
                      "location's cx_survey lines decide");
        return;
    }

    if (res->survey == NULL) {
        ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                      "cx rules try: trigger() returned no survey");
        return;
    }

    p = line;
    last = line + sizeof(line) - 1;

    p = ngx_slprintf(p, last, "survey \"%V\"", &res->survey->id);

    if (res->delay_set) {
        p = ngx_slprintf(p, last, ", delay %T", res->delay);
    }

    if (res->variant.len) {
        p = ngx_slprintf(p, last, ", variant \"%V\"", &res->variant);
    }

    if (res->question.data) {
        /* as the tag has it: HTML-escaped */
        p = ngx_slprintf(p, last, ", question \"");
        p = ngx_http_cx_lua_log_escape(p, last - 1, res->question.data,
                                       res->question.len, NULL);
        p = ngx_slprintf(p, last, "\"");
    }

    ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                  "cx rules try: trigger() returned %*s",
                  (size_t) (p - line), line);
}


/* one timed call: its time, times NGX_HTTP_CX_LUA_TIME_EVERY, counted */

static void
ngx_http_cx_lua_timed(ngx_http_cx_lua_vm_t *vm, uint64_t start)
{
    vm->ns += (ngx_http_cx_lua_clock() - start) * NGX_HTTP_CX_LUA_TIME_EVERY;

    if (vm->ns >= 1000) {
        ngx_http_cx_stat_add_cycle((ngx_cycle_t *) ngx_cycle,
                                   ngx_http_cx_stat_rules_usec,
                                   vm->ns / 1000);
        vm->ns %= 1000;
    }
}


/*
 * One call, timed and counted; NGX_OK, or NGX_DECLINED when it failed.
 * A nested call looks at the request of the call it is nested in.
 * One top-level call in NGX_HTTP_CX_LUA_TIME_EVERY is timed, for
 * cx_rules_time_microseconds_total: reading the clock twice costs a
 * short rule a few percent.
 */

static ngx_int_t
ngx_http_cx_lua_eval(ngx_http_request_t *r, ngx_http_cx_ctx_t *ctx,
    ngx_http_cx_lua_call_t *call, const char *what, ngx_str_t *path,
    ngx_http_cx_touchpoint_pt touchpoint)
{
    uint64_t                 start;
    ngx_uint_t               timed;
    ngx_http_cx_lua_vm_t    *vm;
    ngx_http_cx_lua_req_t    req, *outer;
    ngx_http_cx_lua_fail_e   fail;
    u_char                   msg[NGX_HTTP_CX_LUA_MSG_MAX];

    vm = ngx_http_cx_lua_worker;
    outer = ngx_http_cx_lua_request();

    if (outer == NULL || outer->r != r) {
        req.r = r;
        req.ctx = ctx;
        req.touchpoint = touchpoint;
        req.reads = 0;
        req.clock = vm->conf->try ? ngx_http_cx_lua_try_clock(r) : 0;
        req.visitor.parsed = 0;
        req.tm_done = 0;

        if (path) {
            req.path = *path;

        } else {
            ngx_str_null(&req.path);
        }

        ngx_http_cx_lua_request_set(&req);

    } else if (path && outer->path.data == NULL) {
        /* decoded already: r.path in the nested call need not again */
        outer->path = *path;
    }

    timed = (vm->depth == 0
             && (vm->calls++ & (NGX_HTTP_CX_LUA_TIME_EVERY - 1)) == 0);

    start = timed ? ngx_http_cx_lua_clock() : 0;

    fail = ngx_http_cx_lua_vm_call(vm, call, msg);

    ngx_http_cx_lua_request_set(outer);

    ngx_http_cx_stat_inc(r, ngx_http_cx_stat_rules_evaluated);

    if (timed) {
        ngx_http_cx_lua_timed(vm, start);
    }

    if (fail == ngx_http_cx_lua_ok) {
        return NGX_OK;
    }

    ngx_http_cx_lua_report(r, call->set, what, fail, msg);

    if (fail == ngx_http_cx_lua_memory && vm->depth == 0
        && vm->used > vm->max / 2)
    {
        /* what is left is not garbage: start afresh */
        ngx_http_cx_lua_reset(r->connection->log);
    }

    return NGX_DECLINED;
}


static void
ngx_http_cx_lua_report(ngx_http_request_t *r, ngx_http_cx_lua_set_t *set,
    const char *what, ngx_http_cx_lua_fail_e fail, u_char *msg)
{
    ngx_http_cx_stat_e  stat;
    u_char              more[64];

    switch (fail) {
    case ngx_http_cx_lua_budget:
        stat = ngx_http_cx_stat_rules_budget;
        break;
    case ngx_http_cx_lua_memory:
        stat = ngx_http_cx_stat_rules_memory;
        break;
    case ngx_http_cx_lua_result:
        stat = ngx_http_cx_stat_rules_result;
        break;
    default:
        stat = ngx_http_cx_stat_rules_error;
    }

    ngx_http_cx_stat_inc(r, stat);

    /* for cx_metrics and the dashboard, not only the error log */
    ngx_http_cx_lua_errors_note(r, set->rules, what, fail, msg);

    if (!(ngx_http_cx_lua_worker && ngx_http_cx_lua_worker->conf->try)
        && ngx_http_cx_lua_log_rate(&set->errors) != NGX_OK)
    {
        ngx_http_cx_stat_inc(r, ngx_http_cx_stat_rules_log_suppressed);
        return;
    }

    more[0] = '\0';

    if (set->errors.suppressed) {
        (void) ngx_snprintf(more, sizeof(more), " (and %ui more failures "
                            "since the last line)%Z", set->errors.suppressed);
        set->errors.suppressed = 0;
    }

    /* msg is escaped where it is made: ngx_http_cx_lua_log_escape() */

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "cx rules: %s() failed, %s: %s%s", what,
                  ngx_strcmp(what, "trigger") == 0 ? "no survey"
                                                   : "no touchpoint",
                  msg, more);
}


/*
 * print(): NGX_OK when its line may be written (after one saying how
 * many were left out, if any), NGX_DECLINED when it is left out
 */

ngx_int_t
ngx_http_cx_lua_print_rate(ngx_http_cx_lua_vm_t *vm, ngx_log_t *log)
{
    ngx_http_cx_lua_set_t  *set;

    set = vm->set;

    if (set == NULL || vm->conf->try) {
        return NGX_OK;
    }

    if (ngx_http_cx_lua_log_rate(&set->prints) != NGX_OK) {
        if (ngx_http_cx_lua_request()) {
            ngx_http_cx_stat_inc(ngx_http_cx_lua_request()->r,
                                 ngx_http_cx_stat_rules_log_suppressed);
        }

        return NGX_DECLINED;
    }

    if (set->prints.suppressed) {
        ngx_log_error(NGX_LOG_NOTICE, log, 0,
                      "cx rules: print: %ui lines of %V left out (at most "
                      "%d a second)", set->prints.suppressed,
                      &set->rules->file, NGX_HTTP_CX_LUA_LOG_RATE);
        set->prints.suppressed = 0;
    }

    return NGX_OK;
}


/*
 * Whether one more line of a kind may go to the log this second: at most
 * NGX_HTTP_CX_LUA_LOG_RATE; the others are counted in rate->suppressed
 * for the next line to say
 */

static ngx_int_t
ngx_http_cx_lua_log_rate(ngx_http_cx_lua_log_rate_t *rate)
{
    time_t  now;

    now = ngx_time();

    if (rate->second != now) {
        rate->second = now;
        rate->lines = 0;
    }

    if (rate->lines >= NGX_HTTP_CX_LUA_LOG_RATE) {
        rate->suppressed++;
        return NGX_DECLINED;
    }

    rate->lines++;

    return NGX_OK;
}


/*
 * A rule's text as it may go to the error log: printable ASCII and
 * printable UTF-8 as they are; control bytes, DEL, C1 controls, the
 * line and paragraph separators, bidirectional overrides, backslash and
 * bytes that are not UTF-8 as \xNN (a rule cannot start a line of its
 * own or disguise one).  What does not fit before last ends in "..."
 * (and *cut is set, if cut is given).
 */

u_char *
ngx_http_cx_lua_log_escape(u_char *dst, u_char *last, u_char *src,
    size_t len, ngx_uint_t *cut)
{
    size_t     n, need;
    u_char    *p, *end, *next;
    uint32_t   u;
    unsigned   escape;

    static u_char  hex[] = "0123456789ABCDEF";

    end = src + len;

    while (src < end) {

        if (*src >= 0x20 && *src < 0x7f && *src != '\\') {
            n = 1;
            escape = 0;

        } else if (*src < 0x80) {
            n = 1;
            escape = 1;

        } else {
            next = src;
            u = ngx_utf8_decode(&next, end - src);

            if (u > 0x10ffff || (u >= 0xd800 && u <= 0xdfff)) {
                /* not UTF-8: this byte, then on from the next */
                n = 1;
                escape = 1;

            } else {
                n = next - src;
                escape = (u < 0xa0                          /* C1 */
                          || u == 0x061c                    /* ALM */
                          || u == 0x200e || u == 0x200f     /* LRM, RLM */
                          || (u >= 0x2028 && u <= 0x202e)   /* LS, PS,
                                                               embeddings */
                          || (u >= 0x2066 && u <= 0x2069)); /* isolates */
            }
        }

        need = escape ? 4 * n : n;

        if ((size_t) (last - dst) < need + sizeof("...") - 1) {
            if (src + n < end || (size_t) (last - dst) < need) {
                if (cut) {
                    *cut = 1;
                }

                n = ngx_min((size_t) (last - dst), sizeof("...") - 1);
                return ngx_cpymem(dst, "...", n);
            }
        }

        if (!escape) {
            dst = ngx_cpymem(dst, src, n);
            src += n;
            continue;
        }

        for (p = src, src += n; p < src; p++) {
            *dst++ = '\\';
            *dst++ = 'x';
            *dst++ = hex[*p >> 4];
            *dst++ = hex[*p & 0xf];
        }
    }

    return dst;
}


static void
ngx_http_cx_lua_reset(ngx_log_t *log)
{
    ngx_http_cx_lua_vm_t  *vm;

    vm = ngx_http_cx_lua_worker;

    ngx_log_error(NGX_LOG_WARN, log, 0,
                  "cx rules: %uz bytes in use after a collection, "
                  "the rules VM is created afresh", vm->used);

    ngx_http_cx_lua_worker = ngx_http_cx_lua_vm_create(vm->conf,
                                                       vm->log, 0);
    ngx_http_cx_lua_vm_close(vm);
}


/* trigger(r) returned: nil/false, true, "survey", or {survey=, ...} */

static ngx_int_t
ngx_http_cx_lua_trigger_result(lua_State *L, ngx_http_cx_lua_vm_t *vm,
    ngx_http_cx_lua_call_t *call, u_char *msg)
{
    ngx_str_t                  tp;
    ngx_http_cx_lua_result_t  *res;

    res = call->data;

    if (res->touchpoint_after && !res->ctx->touchpoint_done) {
        if (res->resolve(res->r, res->ctx, &tp) == NGX_ERROR) {
            return ngx_http_cx_lua_nomem(res, msg);
        }
    }

    switch (lua_type(L, -1)) {

    case LUA_TNIL:
        return NGX_OK;

    case LUA_TBOOLEAN:
        res->declined = lua_toboolean(L, -1);
        return NGX_OK;

    case LUA_TSTRING:
        return ngx_http_cx_lua_survey(L, call, res, -1, msg);

    case LUA_TUSERDATA:
        /* a frozen table of the rule file */
        if (!ngx_http_cx_lua_unfreeze(L, -1)) {
            return ngx_http_cx_lua_bad(L, call, msg, "returned a userdata");
        }

        return ngx_http_cx_lua_trigger_table(L, call, res, msg);

    case LUA_TTABLE:
        lua_getfield(L, LUA_REGISTRYINDEX, "cx.views");
        lua_pushvalue(L, -2);
        lua_rawget(L, -2);

        if (lua_toboolean(L, -1)) {
            return ngx_http_cx_lua_bad(L, call, msg, "returned r or one of "
                                       "its tables: expected nil, a survey "
                                       "id or a table");
        }

        lua_pop(L, 2);

        return ngx_http_cx_lua_trigger_table(L, call, res, msg);

    default:
        return ngx_http_cx_lua_bad(L, call, msg, "returned a %s: expected "
                                   "nil, a survey id or a table",
                                   luaL_typename(L, -1));
    }
}


static ngx_int_t
ngx_http_cx_lua_trigger_table(lua_State *L, ngx_http_cx_lua_call_t *call,
    ngx_http_cx_lua_result_t *res, u_char *msg)
{
    int          t, survey, question;
    size_t       len;
    lua_Number   delay;
    const char  *key;
    u_char       quote[NGX_HTTP_CX_LUA_QUOTE_MAX];

    t = lua_gettop(L);
    survey = 0;
    question = 0;

    lua_pushnil(L);

    while (lua_next(L, t) != 0) {

        if (lua_type(L, -2) != LUA_TSTRING) {
            return ngx_http_cx_lua_bad(L, call, msg, "returned a table with a "
                                       "%s key", luaL_typename(L, -2));
        }

        key = lua_tolstring(L, -2, &len);

        if (len == 6 && ngx_strncmp(key, "survey", 6) == 0) {
            survey = lua_gettop(L);

            /* kept on the stack for the checks below */
            lua_pushvalue(L, -2);
            continue;
        }

        if (len == 8 && ngx_strncmp(key, "question", 8) == 0) {
            question = lua_gettop(L);
            lua_pushvalue(L, -2);
            continue;
        }

        if (len == 7 && ngx_strncmp(key, "variant", 7) == 0) {
            if (ngx_http_cx_lua_variant(L, call, res, msg) != NGX_OK) {
                return NGX_ERROR;
            }

            lua_pop(L, 1);
            continue;
        }

        if (len == 5 && ngx_strncmp(key, "delay", 5) == 0) {
            if (lua_type(L, -1) != LUA_TNUMBER) {
                return ngx_http_cx_lua_bad(L, call, msg, "returned a delay "
                                           "that is a %s, not a number",
                                           luaL_typename(L, -1));
            }

            delay = lua_tonumber(L, -1);

            if (!(delay >= 0 && delay <= 3600)) {
                return ngx_http_cx_lua_bad(L, call, msg, "returned a delay "
                                           "out of 0..3600 seconds");
            }

            res->delay = (time_t) delay;
            res->delay_set = 1;

            lua_pop(L, 1);
            continue;
        }

        return ngx_http_cx_lua_bad(L, call, msg, "returned a table with the "
                                   "unknown field \"%s\" (survey, delay, "
                                   "question, variant)",
                                   ngx_http_cx_lua_quote(quote, (u_char *) key,
                                                         len));
    }

    if (survey == 0) {
        return ngx_http_cx_lua_bad(L, call, msg, "returned a table without "
                                   "survey");
    }

    if (ngx_http_cx_lua_survey(L, call, res, survey, msg) != NGX_OK) {
        return NGX_ERROR;
    }

    if (question) {
        return ngx_http_cx_lua_question(L, call, res, question, msg);
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_cx_lua_survey(lua_State *L, ngx_http_cx_lua_call_t *call,
    ngx_http_cx_lua_result_t *res, int idx, u_char *msg)
{
    ngx_str_t  id;
    u_char     quote[NGX_HTTP_CX_LUA_QUOTE_MAX];

    if (lua_type(L, idx) != LUA_TSTRING) {
        return ngx_http_cx_lua_bad(L, call, msg, "returned a survey that is a "
                                   "%s, not an id", luaL_typename(L, idx));
    }

    id.data = (u_char *) lua_tolstring(L, idx, &id.len);

    res->survey = ngx_http_cx_lua_survey_of(call->set, res->cmcf, &id);

    if (res->survey) {
        return NGX_OK;
    }

    if (!ngx_http_cx_name_valid(id.data, id.len)) {
        return ngx_http_cx_lua_bad(L, call, msg, "returned \"%s\", which is "
                                   "not a survey id ([a-z0-9_.-]{1,64})",
                                   ngx_http_cx_lua_quote(quote, id.data,
                                                         id.len));
    }

    return ngx_http_cx_lua_bad(L, call, msg, "returned survey \"%s\", "
                               "which no cx_survey defines", (char *) id.data);
}


/* the survey of an id trigger(r) returned, or NULL (not one, not defined) */

static ngx_http_cx_survey_t *
ngx_http_cx_lua_survey_of(ngx_http_cx_lua_set_t *set,
    ngx_http_cx_main_conf_t *cmcf, ngx_str_t *id)
{
    ngx_http_cx_survey_t  *s;

    s = set->survey;

    if (s && s->id.len == id->len
        && ngx_memcmp(s->id.data, id->data, id->len) == 0)
    {
        /* the same as last time: rules mostly return a few ids */
        return s;
    }

    if (!ngx_http_cx_name_valid(id->data, id->len)) {
        return NULL;
    }

    s = ngx_http_cx_survey_find(cmcf, id);

    if (s) {
        set->survey = s;
    }

    return s;
}


static ngx_int_t
ngx_http_cx_lua_question(lua_State *L, ngx_http_cx_lua_call_t *call,
    ngx_http_cx_lua_result_t *res, int idx, u_char *msg)
{
    size_t   len;
    u_char  *q;

    if (lua_type(L, idx) != LUA_TSTRING) {
        return ngx_http_cx_lua_bad(L, call, msg, "returned a question that is "
                                   "a %s, not a string",
                                   luaL_typename(L, idx));
    }

    q = (u_char *) lua_tolstring(L, idx, &len);

    if (len > NGX_HTTP_CX_QUESTION_MAX || !ngx_http_cx_utf8_valid(q, len)) {
        return ngx_http_cx_lua_bad(L, call, msg, "returned a question that is "
                                   "not UTF-8 text of at most %d bytes",
                                   NGX_HTTP_CX_QUESTION_MAX);
    }

    if (len == 0) {
        /* the widget's own question */
        ngx_str_set(&res->question, "");
        return NGX_OK;
    }

    res->question.len = ngx_http_cx_escape_html_len(q, len);
    res->question.data = ngx_pnalloc(res->r->pool, res->question.len);

    if (res->question.data == NULL) {
        return ngx_http_cx_lua_nomem(res, msg);
    }

    ngx_http_cx_escape_html(res->question.data, q, len);

    return NGX_OK;
}


/*
 * variant= of the table trigger(r) returned, at the top of the stack: the
 * question variant's name, carried by the survey's token and counted
 * apart (by=variant); copied, as Lua may collect its string.
 */

static ngx_int_t
ngx_http_cx_lua_variant(lua_State *L, ngx_http_cx_lua_call_t *call,
    ngx_http_cx_lua_result_t *res, u_char *msg)
{
    size_t   len;
    u_char  *v;
    u_char   quote[NGX_HTTP_CX_LUA_QUOTE_MAX];

    if (lua_type(L, -1) != LUA_TSTRING) {
        return ngx_http_cx_lua_bad(L, call, msg, "returned a variant that is "
                                   "a %s, not a name", luaL_typename(L, -1));
    }

    v = (u_char *) lua_tolstring(L, -1, &len);

    if (!ngx_http_cx_variant_valid(v, len)) {
        return ngx_http_cx_lua_bad(L, call, msg, "returned the variant "
                                   "\"%s\", which is not a name "
                                   "([a-z0-9_.-]{1,"
                                   ngx_value(NGX_HTTP_CX_VARIANT_MAX) "})",
                                   ngx_http_cx_lua_quote(quote, v, len));
    }

    res->variant.data = ngx_pnalloc(res->r->pool, len);
    if (res->variant.data == NULL) {
        return ngx_http_cx_lua_nomem(res, msg);
    }

    ngx_memcpy(res->variant.data, v, len);
    res->variant.len = len;

    return NGX_OK;
}


/* touchpoint(r) returned: nil, or a touchpoint name */

static ngx_int_t
ngx_http_cx_lua_touchpoint_result(lua_State *L, ngx_http_cx_lua_vm_t *vm,
    ngx_http_cx_lua_call_t *call, u_char *msg)
{
    size_t                     len;
    u_char                    *name;
    ngx_http_cx_lua_result_t  *res;
    u_char                     quote[NGX_HTTP_CX_LUA_QUOTE_MAX];

    res = call->data;

    if (lua_isnil(L, -1)) {
        return NGX_OK;
    }

    if (lua_type(L, -1) != LUA_TSTRING) {
        return ngx_http_cx_lua_bad(L, call, msg, "returned a %s: expected "
                                   "nil or a touchpoint name",
                                   luaL_typename(L, -1));
    }

    name = (u_char *) lua_tolstring(L, -1, &len);

    if (!ngx_http_cx_name_valid(name, len)) {
        return ngx_http_cx_lua_bad(L, call, msg, "returned \"%s\", which is "
                                   "not a touchpoint name ([a-z0-9_.-]{1,64})",
                                   ngx_http_cx_lua_quote(quote, name, len));
    }

    res->touchpoint.data = ngx_pnalloc(res->r->pool, len);

    if (res->touchpoint.data == NULL) {
        return ngx_http_cx_lua_nomem(res, msg);
    }

    ngx_memcpy(res->touchpoint.data, name, len);
    res->touchpoint.len = len;

    return NGX_OK;
}


static ngx_int_t
ngx_http_cx_lua_nomem(ngx_http_cx_lua_result_t *res, u_char *msg)
{
    res->nomem = 1;
    (void) ngx_cpystrn(msg, (u_char *) "no memory", NGX_HTTP_CX_LUA_MSG_MAX);

    return NGX_ERROR;
}


static char *
ngx_http_cx_lua_quote(u_char *buf, u_char *s, size_t len)
{
    u_char  *p;

    if (len > NGX_HTTP_CX_NAME_MAX) {
        return "(too long)";
    }

    p = ngx_http_cx_lua_log_escape(buf, buf + NGX_HTTP_CX_LUA_QUOTE_MAX - 1,
                                   s, len, NULL);
    *p = '\0';

    return (char *) buf;
}


/*
 * msg: "file:line: trigger() <what>", line being where it is defined;
 * lua_getinfo() ">S" allocates nothing
 */

static ngx_int_t
ngx_http_cx_lua_bad(lua_State *L, ngx_http_cx_lua_call_t *call, u_char *msg,
    const char *fmt, ...)
{
    u_char     *p, *last;
    va_list     args;
    lua_Debug   ar;

    last = msg + NGX_HTTP_CX_LUA_MSG_MAX - 1;

    lua_rawgeti(L, LUA_REGISTRYINDEX, call->fn);

    if (lua_getinfo(L, ">S", &ar)) {
        p = ngx_slprintf(msg, last, "%s:%d: %s() ", ar.short_src,
                         ar.linedefined, call->fn == call->set->trigger
                                         ? "trigger" : "touchpoint");
    } else {
        p = msg;
    }

    va_start(args, fmt);
    p = ngx_vslprintf(p, last, fmt, args);
    va_end(args);

    *p = '\0';

    return NGX_ERROR;
}


static uint64_t
ngx_http_cx_lua_clock(void)
{
    struct timespec  ts;

    (void) clock_gettime(CLOCK_MONOTONIC, &ts);

    return (uint64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}
