
/*
 * ngx_http_cx_lua.h: what the parts of the Lua trigger rules share -- the
 * rule sets as configured, the per-process VM with its memory cap and
 * instruction budget, and the request that rules are looking at.
 */


#ifndef _NGX_HTTP_CX_LUA_H_INCLUDED_
#define _NGX_HTTP_CX_LUA_H_INCLUDED_


#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>
#include <luajit.h>

#include "ngx_http_cx_module.h"
#include "ngx_http_cx_rules.h"
#include "ngx_http_cx_tz.h"
#include "ngx_http_cx_util.h"


/*
 * Raising is the rare way out of the functions rules call on every page
 * view: the compiler keeps those paths out of the way of the usual one
 * (a rule's code is cold in the CPU's caches on every page view, and
 * each cache line it touches costs)
 */
#if (defined __GNUC__)
int luaL_error(lua_State *L, const char *fmt, ...) __attribute__((cold));
int lua_error(lua_State *L) __attribute__((cold));
#endif


#define NGX_HTTP_CX_LUA_BUDGET_MIN    1000
#define NGX_HTTP_CX_LUA_BUDGET_MAX    100000000
#define NGX_HTTP_CX_LUA_LOAD_BUDGET   1000000
#define NGX_HTTP_CX_LUA_MEMORY        (32 * 1024 * 1024)
#define NGX_HTTP_CX_LUA_MEMORY_MIN    (1024 * 1024)
#define NGX_HTTP_CX_LUA_HOOK_EVERY    1000
#define NGX_HTTP_CX_LUA_FILE_MAX      (1024 * 1024)
#define NGX_HTTP_CX_LUA_MSG_MAX       512
#define NGX_HTTP_CX_LUA_LOG_RATE      10        /* lines a second, per file
                                                   and kind */
#define NGX_HTTP_CX_LUA_TIME_EVERY    8         /* calls; a power of 2 */
#define NGX_HTTP_CX_LUA_TOUCHPOINTS   32        /* names kept per VM */
#define NGX_HTTP_CX_LUA_PLAN_SLOTS    32        /* of trigger(r) in C */
#define NGX_HTTP_CX_LUA_PLAN_OPS      4096      /* instructions; a jump's
                                                   target fits in 16 bits */
#define NGX_HTTP_CX_LUA_NEST_MAX      16        /* C calling back into Lua */
#define NGX_HTTP_CX_LUA_STACK_MAX     (1024 * 1024)     /* C stack a call
                                                   may use, then some */

/*
 * What one instruction may cost.  No string longer than STRING_MAX is in
 * a rule file or kept by it, so an instruction the VM does alone (a
 * comparison, a concatenation, hashing a new string) touches at most
 * about that many bytes, and the count hook sees a thousand of them; a
 * call that makes an object of that size or more is counted every
 * HOOK_LARGE instructions instead, and collected after.  Every hook
 * reads the clock: a call may take TIME_BASE + budget * TIME_PER ns.
 */
#define NGX_HTTP_CX_LUA_STRING_MAX    16384
#define NGX_HTTP_CX_LUA_HOOK_LARGE    16
#define NGX_HTTP_CX_LUA_TIME_BASE     20000000  /* ns */
#define NGX_HTTP_CX_LUA_TIME_PER      20        /* ns per instruction */
#define NGX_HTTP_CX_LUA_LOAD_TIME     200000000 /* ns: a file's top level */
#define NGX_HTTP_CX_LUA_BYTES_SHIFT   3         /* work: a unit per 8 bytes */
#define NGX_HTTP_CX_LUA_PRINT_COST    1000      /* a line in the error log */

/* what a plan's trigger(r) returned (nil and false: none) */
#define NGX_HTTP_CX_LUA_PLAN_NONE     0
#define NGX_HTTP_CX_LUA_PLAN_TRUE     1
#define NGX_HTTP_CX_LUA_PLAN_STRING   2

/* what a call has read (ngx_http_cx_lua_vm_t.reads) */
#define NGX_HTTP_CX_LUA_READ_PATH     0x01      /* r.path, nothing else */
#define NGX_HTTP_CX_LUA_READ_OTHER    0x02      /* anything else: the
                                                   request, time, chance */


#define ngx_http_cx_lua_isalnum(c)                                          \
    (((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z')               \
     || ((c) >= '0' && (c) <= '9'))


/* why a call failed */

typedef enum {
    ngx_http_cx_lua_ok = 0,
    ngx_http_cx_lua_error,          /* a Lua error */
    ngx_http_cx_lua_result,         /* a return value that is not allowed */
    ngx_http_cx_lua_budget,         /* cx_rules_budget exceeded */
    ngx_http_cx_lua_memory          /* cx_rules_memory exceeded */
} ngx_http_cx_lua_fail_e;


/* one rule file as configured (several locations may share it) */

struct ngx_http_cx_rules_s {
    ngx_str_t                    file;      /* full path, NUL-terminated */
    ngx_str_t                    source;
    ngx_uint_t                   index;     /* in the VM's sets */
    u_char                      *conf_file; /* where cx_rules_lua is */
    ngx_uint_t                   conf_line;
    void                        *errors;    /* its entry in the zone of
                                               ngx_http_cx_lua_errors.c */
};


/* the main configuration of the rules: ngx_http_cx_main_conf_t.lua */

typedef struct {
    ngx_array_t                  rules;     /* ngx_http_cx_rules_t * */
    size_t                       memory;
    ngx_http_cx_tz_t             tz;    /* cx_rules_time_zone */
    ngx_array_t                 *surveys;   /* all cx_survey, for the
                                               check at load; NULL: no
                                               check */
    ngx_flag_t                   check;     /* cx_rules_check */
    ngx_flag_t                   try;       /* cx_rules_try */
    ngx_shm_zone_t              *errors;    /* the files' failures */
} ngx_http_cx_lua_conf_t;


/* a rule file's lines of one kind in the error log, per second */

typedef struct {
    time_t                       second;
    ngx_uint_t                   lines;
    ngx_uint_t                   suppressed;    /* since the last line */
} ngx_http_cx_lua_log_rate_t;


/* a rule file in a VM: registry references */

typedef struct ngx_http_cx_lua_paths_s  ngx_http_cx_lua_paths_t;
typedef struct ngx_http_cx_lua_call_s  ngx_http_cx_lua_call_t;
typedef struct ngx_http_cx_lua_plan_s  ngx_http_cx_lua_plan_t;

typedef struct {
    ngx_http_cx_rules_t         *rules;
    ngx_http_cx_lua_paths_t     *paths;     /* touchpoint(r) by path */
    ngx_http_cx_survey_t        *survey;    /* the last one returned */
    ngx_http_cx_lua_plan_t      *plan;      /* trigger(r) in C, or NULL */
    ngx_uint_t                   plan_runs; /* since the last look */
    ngx_uint_t                   plan_bails;
    ngx_uint_t                   plan_skip; /* calls left without it */
    int                          trigger;
    int                          touchpoint;
    int                          restore;
    unsigned                     fast:1;    /* trigger(r) gets the fast r */
    unsigned                     fast_touchpoint:1; /* and r.touchpoint
                                                   in it, when known */
    ngx_http_cx_lua_log_rate_t   errors;    /* failures logged */
    ngx_http_cx_lua_log_rate_t   prints;    /* print() */
} ngx_http_cx_lua_set_t;


typedef struct {
    int                          ref;
    size_t                       len;
    u_char                       data[NGX_HTTP_CX_NAME_MAX];
} ngx_http_cx_lua_name_t;


typedef struct {
    lua_State                   *L;
    ngx_log_t                   *log;
    ngx_http_cx_lua_conf_t      *conf;

    size_t                       used;      /* bytes */
    size_t                       max;
    lua_Alloc                    allocf;    /* LuaJIT's own, under ours */
    void                        *allocd;

    ngx_uint_t                   budget;    /* of the running call */
    ngx_uint_t                   spent;     /* instructions + bytes */
    ngx_http_cx_lua_fail_e       fail;
    ngx_uint_t                   depth;     /* calls running */
    ngx_uint_t                   nest;      /* C functions calling Lua */
    ngx_http_cx_lua_set_t       *set;       /* of the running call, or the
                                               file loading */
    ngx_uint_t                   every;     /* instructions per hook */
    uint64_t                     started;   /* ns, at the call's 1st hook */
    uint64_t                     limit;     /* ns the call may take */
    u_char                      *stack;     /* C stack at the call's start */
    unsigned                     in_call:1;
    unsigned                     large:1;   /* the call made a large object */
    unsigned                     conf_time:1;   /* nginx -t: files are
                                               checked (lua/check.lua) */
    ngx_uint_t                   problems;  /* the check found */

    int                          loader;
    int                          r;         /* the request views */
    int                          fast;
    int                          time;      /* the fast r's r.time */
    time_t                       time_at;   /* the second it is of */
    int                          touchpoint_key;    /* "touchpoint" */
    unsigned                     fast_touchpoint:1; /* the fast r has it */

    /* touchpoint names as Lua strings, for the fast r */
    ngx_uint_t                   ntouchpoints;
    ngx_http_cx_lua_name_t       touchpoints[NGX_HTTP_CX_LUA_TOUCHPOINTS];

    ngx_http_cx_lua_set_t       *sets;
    ngx_uint_t                   nsets;

    time_t                       tm_at;     /* the second tm is of */
    ngx_int_t                    tm_offset;
    ngx_tm_t                     tm;

    ngx_uint_t                   calls;     /* top-level ones */
    uint64_t                     ns;        /* not yet in the metric */

    u_char                       where[NGX_HTTP_CX_LUA_MSG_MAX];
} ngx_http_cx_lua_vm_t;


/* a frozen table's proxy (ngx_http_cx_lua_cx.c) */

typedef struct ngx_http_cx_lua_globs_s  ngx_http_cx_lua_globs_t;

typedef struct {
    uint32_t                     magic;
    ngx_http_cx_lua_globs_t     *route;     /* compiled for cx.route */
    ngx_http_cx_lua_globs_t     *globs;     /* for cx.glob_any */
} ngx_http_cx_lua_frozen_t;


/*
 * One call of a rule function; result() reads its return value off the
 * stack without raising, and says what is wrong with it in msg
 */

struct ngx_http_cx_lua_call_s {
    ngx_http_cx_lua_set_t       *set;
    int                          fn;
    int                          r;         /* vm->r or vm->fast */
    ngx_uint_t                   budget;
    ngx_uint_t                   reads;     /* out: what it read */
    ngx_int_t                  (*result)(lua_State *L,
                                         ngx_http_cx_lua_vm_t *vm,
                                         ngx_http_cx_lua_call_t *call,
                                         u_char *msg);
    void                        *data;
};


/* the visitor, from the cx_v cookie */

typedef struct {
    ngx_str_t                    id;
    ngx_uint_t                   views;
    ngx_uint_t                   sessions;
    ngx_int_t                    shown;     /* UTC day number, -1: never */
    ngx_int_t                    answered;
    void                        *full;      /* ngx_http_cx_visitor_t */
    unsigned                     parsed:1;
    unsigned                     valid:1;
} ngx_http_cx_lua_visitor_t;


/* the request rules are looking at: r */

typedef struct {
    ngx_http_request_t          *r;
    ngx_http_cx_ctx_t           *ctx;
    ngx_http_cx_touchpoint_pt    touchpoint;    /* r.touchpoint */
    ngx_http_cx_lua_visitor_t    visitor;
    ngx_str_t                    path;
    ngx_tm_t                     tm;
    time_t                       now;
    ngx_int_t                    offset;
    ngx_uint_t                   reads;     /* of the running call:
                                               NGX_HTTP_CX_LUA_READ_* */
    time_t                       clock;     /* the rules' now, or 0:
                                               ngx_time() (try mode) */
    unsigned                     tm_done:1;

    /* what a plan reads that is not in the request's memory */
    u_char                       date[sizeof("2025-01-01")];
    u_char                       length[NGX_OFF_T_LEN];
} ngx_http_cx_lua_req_t;


/* ngx_http_cx_lua_vm.c */
ngx_http_cx_lua_vm_t *ngx_http_cx_lua_vm_create(ngx_http_cx_lua_conf_t *lc,
    ngx_log_t *log, ngx_uint_t conf_time);
void ngx_http_cx_lua_vm_close(ngx_http_cx_lua_vm_t *vm);
ngx_http_cx_lua_fail_e ngx_http_cx_lua_vm_call(ngx_http_cx_lua_vm_t *vm,
    ngx_http_cx_lua_call_t *call, u_char *msg);
ngx_http_cx_lua_vm_t *ngx_http_cx_lua_vm_of(lua_State *L);
void ngx_http_cx_lua_fail(ngx_http_cx_lua_vm_t *vm, lua_State *L,
    ngx_http_cx_lua_fail_e fail);
int ngx_http_cx_lua_charge(lua_State *L, ngx_http_cx_lua_vm_t *vm,
    size_t n);
size_t ngx_http_cx_lua_left(ngx_http_cx_lua_vm_t *vm);
void ngx_http_cx_lua_callback(lua_State *L, int nargs, int nresults);
void ngx_http_cx_lua_builtin(lua_State *L, const char *name, int nargs,
    int nresults);
void ngx_http_cx_lua_call_wrapped(lua_State *L, int up, const char *name,
    int nargs, int nresults);
int ngx_http_cx_lua_nomemory(lua_State *L, ngx_http_cx_lua_vm_t *vm);


/* charges the work of touching n bytes: a unit per 8, and one */

static ngx_inline void
ngx_http_cx_lua_work(lua_State *L, ngx_http_cx_lua_vm_t *vm, size_t n)
{
    vm->spent += (n >> NGX_HTTP_CX_LUA_BYTES_SHIFT) + 1;

    if (vm->spent > vm->budget && vm->in_call) {
        (void) ngx_http_cx_lua_charge(L, vm, 0);
    }
}


/* ngx_http_cx_lua_request.c */
extern ngx_http_cx_lua_req_t  *ngx_http_cx_lua_req;

/* the request rules are evaluating (NULL between calls) */
#define ngx_http_cx_lua_request()        ngx_http_cx_lua_req
#define ngx_http_cx_lua_request_set(req) ngx_http_cx_lua_req = (req)


/* the rules' clock: now, or what util/cx-rules-try says it is */

static ngx_inline time_t
ngx_http_cx_lua_now(void)
{
    if (ngx_http_cx_lua_req && ngx_http_cx_lua_req->clock) {
        return ngx_http_cx_lua_req->clock;
    }

    return ngx_time();
}


/* notes what the running call used besides r (a clock, chance) */

static ngx_inline void
ngx_http_cx_lua_note(ngx_uint_t what)
{
    if (ngx_http_cx_lua_req) {
        ngx_http_cx_lua_req->reads |= what;
    }
}


ngx_int_t ngx_http_cx_lua_request_init(lua_State *L);
void ngx_http_cx_lua_fields(lua_State *L);
ngx_http_cx_lua_visitor_t *ngx_http_cx_lua_visitor(
    ngx_http_cx_lua_req_t *req);
ngx_tm_t *ngx_http_cx_lua_time(ngx_http_cx_lua_vm_t *vm,
    ngx_http_cx_lua_req_t *req);
void ngx_http_cx_lua_second(ngx_http_cx_lua_vm_t *vm, time_t now);
int ngx_http_cx_lua_time_data(lua_State *L);

ngx_int_t ngx_http_cx_lua_decode_path(ngx_http_request_t *r,
    ngx_str_t *path);
ngx_int_t ngx_http_cx_lua_cookie(ngx_http_request_t *r, ngx_str_t *name,
    ngx_str_t *value);
ngx_int_t ngx_http_cx_lua_resp_header(ngx_http_request_t *r, u_char *name,
    size_t len, u_char *buf, ngx_str_t *value);

/* ngx_http_cx_lua_plan.c */
void ngx_http_cx_lua_plan_init(lua_State *L);
ngx_http_cx_lua_plan_t *ngx_http_cx_lua_plan_load(lua_State *L, int idx,
    ngx_log_t *log);
void ngx_http_cx_lua_plan_free(ngx_http_cx_lua_plan_t *plan);
ngx_int_t ngx_http_cx_lua_plan_run(ngx_http_cx_lua_plan_t *plan,
    ngx_http_cx_lua_req_t *req, ngx_http_cx_lua_vm_t *vm, ngx_uint_t *type,
    ngx_str_t *ret);


/* ngx_http_cx_lua.c: rule text in the error log */
u_char *ngx_http_cx_lua_log_escape(u_char *dst, u_char *last, u_char *src,
    size_t len, ngx_uint_t *cut);
ngx_int_t ngx_http_cx_lua_print_rate(ngx_http_cx_lua_vm_t *vm,
    ngx_log_t *log);

/* ngx_http_cx_lua_paths.c */
ngx_int_t ngx_http_cx_lua_paths_find(ngx_http_cx_lua_set_t *set,
    ngx_str_t *path, ngx_pool_t *pool, ngx_str_t *tp);
void ngx_http_cx_lua_paths_add(ngx_http_cx_lua_set_t *set, ngx_str_t *path,
    ngx_str_t *tp);
void ngx_http_cx_lua_paths_free(ngx_http_cx_lua_set_t *set);

/* ngx_http_cx_lua_errors.c */
ngx_int_t ngx_http_cx_lua_errors_init_conf(ngx_conf_t *cf,
    ngx_http_cx_lua_conf_t *lc);
void ngx_http_cx_lua_errors_note(ngx_http_request_t *r,
    ngx_http_cx_rules_t *rules, const char *what,
    ngx_http_cx_lua_fail_e fail, u_char *msg);

/* ngx_http_cx_lua_try.c */
ngx_int_t ngx_http_cx_lua_try_check(ngx_conf_t *cf,
    ngx_http_cx_main_conf_t *cmcf);
time_t ngx_http_cx_lua_try_clock(ngx_http_request_t *r);
void ngx_http_cx_lua_try_init(lua_State *L);

/* ngx_http_cx_lua_string.c */
void ngx_http_cx_lua_string_init(lua_State *L);

/* ngx_http_cx_lua_glob.c */
void ngx_http_cx_lua_glob_init(lua_State *L);
int ngx_http_cx_lua_glob_match(lua_State *L, int s_idx, int g_idx);
int ngx_http_cx_lua_glob_str(lua_State *L, const u_char *s, size_t ls,
    const u_char *g, size_t lg);

/* ngx_http_cx_lua_builtins.c */
void ngx_http_cx_lua_builtins_init(lua_State *L);

/* ngx_http_cx_lua_cx.c */
void ngx_http_cx_lua_cx_init(lua_State *L);
ngx_http_cx_lua_frozen_t *ngx_http_cx_lua_frozen(lua_State *L, int idx);
int ngx_http_cx_lua_unfreeze(lua_State *L, int idx);
void ngx_http_cx_lua_table_arg(lua_State *L, int idx);
double ngx_http_cx_lua_draw_value(lua_State *L, int key_idx,
    const char *fname);
double ngx_http_cx_lua_draw(ngx_http_cx_lua_visitor_t *v, ngx_str_t *key);
ngx_int_t ngx_http_cx_lua_within(ngx_int_t day, double days);

/* ngx_http_cx_lua_lib.c */
extern const u_char  ngx_http_cx_lua_sandbox[];
extern const u_char  ngx_http_cx_lua_sandbox_end[];
extern const u_char  ngx_http_cx_lua_cx[];
extern const u_char  ngx_http_cx_lua_cx_end[];
extern const u_char  ngx_http_cx_lua_check[];
extern const u_char  ngx_http_cx_lua_check_end[];


#endif /* _NGX_HTTP_CX_LUA_H_INCLUDED_ */
