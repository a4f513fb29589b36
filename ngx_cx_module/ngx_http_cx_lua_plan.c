
/*
 * ngx_http_cx_lua_plan.c: trigger(r) run by C, without the VM.  Most
 * trigger functions read a few fields of r, compare them, call a cx
 * helper or two and return a survey id.  lua/sandbox.lua translates such
 * a function's bytecode when the file loads ("a plan"); this file checks
 * the plan and runs it on a request, reading the request the way the
 * views of r do.  At an instruction the plan does not know, or a value
 * it does not expect (a type, a field, a helper's argument, a survey id
 * that is not configured), it gives up and the caller runs trigger(r)
 * in the VM: rules cannot leave state, so that is the same call, and
 * whatever the VM would say (an error, a message) it still says.
 *
 * Plans jump only forward, so a plan ends within as many steps as it
 * has instructions: no budget to count.
 */


#include "ngx_http_cx_lua.h"


/*
 * The instructions, defined here only: lua/sandbox.lua emits them by name
 * from the table ngx_http_cx_lua_plan_init() gives it (C.plan.ops, its
 * P), so their numbers are never written twice.
 */

#define ngx_http_cx_plan_ops(X)                                             \
    X(BAIL, bail)                                                           \
    X(MOV, mov)                                                             \
    X(NOT, not)                                                             \
    X(KNIL, knil)                                                           \
    X(K, k)                                                                 \
    X(TGETS, tgets)                                                         \
    X(TGETV, tgetv)                                                         \
    X(LT, lt)                                                               \
    X(GE, ge)                                                               \
    X(LE, le)                                                               \
    X(GT, gt)                                                               \
    X(EQV, eqv)                                                             \
    X(NEV, nev)                                                             \
    X(EQK, eqk)                                                             \
    X(NEK, nek)                                                             \
    X(IST, ist)                                                             \
    X(ISF, isf)                                                             \
    X(ISTC, istc)                                                           \
    X(ISFC, isfc)                                                           \
    X(JMP, jmp)                                                             \
    X(CALL, call)                                                           \
    X(CALLT, callt)                                                         \
    X(RET0, ret0)                                                           \
    X(RET1, ret1)

/* the cx helpers a plan runs itself (C.plan.helpers, sandbox.lua's HELPER) */

#define ngx_http_cx_plan_helpers(X)                                         \
    X(sample)                                                               \
    X(cooled_down)                                                          \
    X(shown_within)                                                         \
    X(answered_within)                                                      \
    X(weekday)                                                              \
    X(weekend)                                                              \
    X(business_hours)


#define ngx_http_cx_plan_op_enum(name, id)  ngx_http_cx_plan_##id,
#define ngx_http_cx_plan_op_pair(name, id)  { #name, ngx_http_cx_plan_##id },
#define ngx_http_cx_plan_helper_enum(name)  ngx_http_cx_plan_h_##name,
#define ngx_http_cx_plan_helper_name(name)  ngx_string(#name),


typedef enum {
    ngx_http_cx_plan_ops(ngx_http_cx_plan_op_enum)
    ngx_http_cx_plan_nops,

    /*
     * made by ngx_http_cx_plan_fuse(), each for a read of r (slot b),
     * else as tgets: r.view[key] in one step (view2: of a header, a
     * cookie or a response header; field2: of r.time or r.visitor, the
     * key known; tgets2: the others), r.field (rfield)
     */
    ngx_http_cx_plan_tgets2,
    ngx_http_cx_plan_view2,
    ngx_http_cx_plan_field2,
    ngx_http_cx_plan_rfield
} ngx_http_cx_plan_op_e;


/* what a slot holds */

enum {
    ngx_http_cx_plan_nil = 0,
    ngx_http_cx_plan_false,
    ngx_http_cx_plan_true,
    ngx_http_cx_plan_num,
    ngx_http_cx_plan_str,
    ngx_http_cx_plan_helper,
    ngx_http_cx_plan_cx,            /* the cx library */
    ngx_http_cx_plan_r,             /* r and its views: tables */
    ngx_http_cx_plan_header,
    ngx_http_cx_plan_cookie,
    ngx_http_cx_plan_resp_header,
    ngx_http_cx_plan_args,
    ngx_http_cx_plan_time,
    ngx_http_cx_plan_visitor
};

#define ngx_http_cx_plan_table(t)                                           \
    ((t) >= ngx_http_cx_plan_r && (t) <= ngx_http_cx_plan_visitor)

/* the view a field of r names, header .. visitor (below): its type */
#define ngx_http_cx_plan_view_of(id)                                        \
    (ngx_http_cx_plan_header + ((id) - ngx_http_cx_plan_f_header))


/* names a key or a helper may have: ngx_http_cx_plan_val_t.id */

enum {
    ngx_http_cx_plan_none = 0,

    /* r: views first, in the order of the view types above */
    ngx_http_cx_plan_f_header,
    ngx_http_cx_plan_f_cookie,
    ngx_http_cx_plan_f_resp_header,
    ngx_http_cx_plan_f_args,
    ngx_http_cx_plan_f_time,
    ngx_http_cx_plan_f_visitor,
    ngx_http_cx_plan_f_path,
    ngx_http_cx_plan_f_uri,
    ngx_http_cx_plan_f_host,
    ngx_http_cx_plan_f_method,
    ngx_http_cx_plan_f_query,
    ngx_http_cx_plan_f_status,
    ngx_http_cx_plan_f_scheme,
    ngx_http_cx_plan_f_touchpoint,

    /* r.time */
    ngx_http_cx_plan_t_hour,
    ngx_http_cx_plan_t_minute,
    ngx_http_cx_plan_t_wday,
    ngx_http_cx_plan_t_day,
    ngx_http_cx_plan_t_month,
    ngx_http_cx_plan_t_year,
    ngx_http_cx_plan_t_date,
    ngx_http_cx_plan_t_epoch,
    ngx_http_cx_plan_t_offset,

    /* r.visitor */
    ngx_http_cx_plan_v_id,
    ngx_http_cx_plan_v_views,
    ngx_http_cx_plan_v_sessions,
    ngx_http_cx_plan_v_new,
    ngx_http_cx_plan_v_shown,
    ngx_http_cx_plan_v_answered,

    /* cx */
    ngx_http_cx_plan_helpers(ngx_http_cx_plan_helper_enum)

    ngx_http_cx_plan_nnames
};


static ngx_str_t  ngx_http_cx_plan_names[] = {
    ngx_null_string,
    ngx_string("header"), ngx_string("cookie"), ngx_string("resp_header"),
    ngx_string("args"), ngx_string("time"), ngx_string("visitor"),
    ngx_string("path"), ngx_string("uri"), ngx_string("host"),
    ngx_string("method"), ngx_string("query"), ngx_string("status"),
    ngx_string("scheme"), ngx_string("touchpoint"),
    ngx_string("hour"), ngx_string("minute"), ngx_string("wday"),
    ngx_string("day"), ngx_string("month"), ngx_string("year"),
    ngx_string("date"), ngx_string("epoch"), ngx_string("offset"),
    ngx_string("id"), ngx_string("views"), ngx_string("sessions"),
    ngx_string("new"), ngx_string("days_since_shown"),
    ngx_string("days_since_answered"),
    ngx_http_cx_plan_helpers(ngx_http_cx_plan_helper_name)
};


/* the instructions by name, for C.plan.ops */

static struct {
    const char                  *name;
    ngx_uint_t                   op;
} ngx_http_cx_plan_op_names[] = {
    ngx_http_cx_plan_ops(ngx_http_cx_plan_op_pair)
};


typedef struct {
    uint8_t                      op;
    uint8_t                      a;
    uint16_t                     b;
    uint16_t                     c;
} ngx_http_cx_plan_op_t;


/* 32 bytes: two to a cache line */
typedef struct {
    uint32_t                     type;
    uint32_t                     id;        /* a key's or helper's name */
    double                       num;
    ngx_str_t                    str;
} ngx_http_cx_plan_val_t;


struct ngx_http_cx_lua_plan_s {
    ngx_uint_t                   slots;
    ngx_uint_t                   params;
    ngx_uint_t                   nops;
    ngx_uint_t                   nk;
    ngx_http_cx_plan_op_t       *ops;
    ngx_http_cx_plan_val_t      *k;
};


/*
 * One run.  Values it makes that are not in the request's memory (r.time.
 * date, a Content-Length) are in req, which outlives the run: what the
 * plan returns may be one of them.
 */

typedef struct {
    ngx_http_cx_lua_req_t       *req;
    ngx_http_cx_lua_vm_t        *vm;
    ngx_http_cx_plan_val_t      *slot;
} ngx_http_cx_plan_run_t;


static ngx_int_t ngx_http_cx_plan_check(ngx_http_cx_lua_plan_t *plan);
static void ngx_http_cx_plan_fuse(ngx_http_cx_lua_plan_t *plan);
static ngx_uint_t ngx_http_cx_plan_name(u_char *p, size_t len,
    ngx_uint_t from, ngx_uint_t to);
static ngx_int_t ngx_http_cx_plan_index(ngx_http_cx_plan_run_t *run,
    ngx_http_cx_plan_val_t *t, ngx_str_t *key, ngx_uint_t id,
    ngx_http_cx_plan_val_t *dst);
static ngx_int_t ngx_http_cx_plan_field(ngx_http_cx_plan_run_t *run,
    ngx_uint_t id, ngx_http_cx_plan_val_t *dst);
static ngx_int_t ngx_http_cx_plan_r_field(ngx_http_cx_plan_run_t *run,
    ngx_uint_t id, ngx_http_cx_plan_val_t *dst);
static void ngx_http_cx_plan_time_field(ngx_http_cx_plan_run_t *run,
    ngx_uint_t id, ngx_http_cx_plan_val_t *dst);
static void ngx_http_cx_plan_visitor_field(ngx_http_cx_plan_run_t *run,
    ngx_uint_t id, ngx_http_cx_plan_val_t *dst);
static ngx_int_t ngx_http_cx_plan_view(ngx_http_cx_plan_run_t *run,
    ngx_uint_t view, ngx_str_t *name, ngx_http_cx_plan_val_t *dst);
static ngx_int_t ngx_http_cx_plan_invoke(ngx_http_cx_plan_run_t *run,
    ngx_http_cx_plan_val_t *fn, ngx_http_cx_plan_val_t *arg,
    ngx_uint_t nargs, ngx_http_cx_plan_val_t *dst);
static ngx_int_t ngx_http_cx_plan_equal(ngx_http_cx_plan_val_t *a,
    ngx_http_cx_plan_val_t *b);
static ngx_int_t ngx_http_cx_plan_result(ngx_http_cx_plan_val_t *res,
    ngx_uint_t *type, ngx_str_t *ret);
static ngx_int_t ngx_http_cx_plan_test(ngx_http_cx_lua_plan_t *plan,
    ngx_http_cx_plan_op_t *op, ngx_http_cx_plan_val_t *s, ngx_uint_t *cond);
static ngx_int_t ngx_http_cx_plan_run_tgetv(ngx_http_cx_plan_run_t *run,
    ngx_http_cx_plan_op_t *op, ngx_http_cx_plan_val_t *a);
static ngx_int_t ngx_http_cx_plan_run_call(ngx_http_cx_plan_run_t *run,
    ngx_http_cx_plan_op_t *op, ngx_http_cx_plan_val_t *a);
static ngx_int_t ngx_http_cx_plan_fused(ngx_http_cx_plan_run_t *run,
    ngx_http_cx_lua_plan_t *plan, ngx_http_cx_plan_op_t *op,
    ngx_http_cx_plan_val_t *a);


#define ngx_http_cx_plan_truthy(v)  ((v)->type > ngx_http_cx_plan_false)

#define ngx_http_cx_plan_set_num(v, n)                                      \
    ((v)->type = ngx_http_cx_plan_num, (v)->num = (n))

/* a string as the views push it: no data at all is nil */
#define ngx_http_cx_plan_set_str(v, s)                                      \
    ((v)->str = (s),                                                        \
     (v)->type = (v)->str.data ? ngx_http_cx_plan_str : ngx_http_cx_plan_nil)

#define ngx_http_cx_plan_set_bool(v, b)                                     \
    (v)->type = (b) ? ngx_http_cx_plan_true : ngx_http_cx_plan_false


/* ---- loading ----------------------------------------------------------- */

/*
 * What lua/sandbox.lua's plan() must agree on with this file, pushed as
 * one table (C.plan): ops, the instructions by name; helpers, the cx
 * helpers a plan may call; slots and ops_max, the limits of a plan.
 */

void
ngx_http_cx_lua_plan_init(lua_State *L)
{
    ngx_uint_t  i, n;

    lua_createtable(L, 0, 4);

    n = sizeof(ngx_http_cx_plan_op_names)
        / sizeof(ngx_http_cx_plan_op_names[0]);

    lua_createtable(L, 0, n);

    for (i = 0; i < n; i++) {
        lua_pushinteger(L, ngx_http_cx_plan_op_names[i].op);
        lua_setfield(L, -2, ngx_http_cx_plan_op_names[i].name);
    }

    lua_setfield(L, -2, "ops");

    lua_createtable(L, ngx_http_cx_plan_nnames - ngx_http_cx_plan_h_sample,
                    0);

    for (i = ngx_http_cx_plan_h_sample; i < ngx_http_cx_plan_nnames; i++) {
        lua_pushlstring(L, (const char *) ngx_http_cx_plan_names[i].data,
                        ngx_http_cx_plan_names[i].len);
        lua_rawseti(L, -2, i - ngx_http_cx_plan_h_sample + 1);
    }

    lua_setfield(L, -2, "helpers");

    lua_pushinteger(L, NGX_HTTP_CX_LUA_PLAN_SLOTS);
    lua_setfield(L, -2, "slots");

    lua_pushinteger(L, NGX_HTTP_CX_LUA_PLAN_OPS);
    lua_setfield(L, -2, "ops_max");
}


/*
 * The plan in the table at idx (lua/sandbox.lua's plan()), copied into
 * one block of memory and checked: NULL when there is none, when it is
 * not one this file can run safely, or without memory.  Called in the
 * protected call that loads the rule file.
 */

ngx_http_cx_lua_plan_t *
ngx_http_cx_lua_plan_load(lua_State *L, int idx, ngx_log_t *log)
{
    size_t                   size, len;
    u_char                  *p;
    const char              *kind, *s;
    ngx_uint_t               i, nops, nk, bad;
    ngx_http_cx_plan_op_t   *op;
    ngx_http_cx_plan_val_t  *k;
    ngx_http_cx_lua_plan_t  *plan;

    if (lua_type(L, idx) != LUA_TTABLE) {
        return NULL;
    }

    lua_getfield(L, idx, "ops");
    lua_getfield(L, idx, "kt");
    lua_getfield(L, idx, "kv");

    if (lua_type(L, -3) != LUA_TTABLE || lua_type(L, -2) != LUA_TTABLE) {
        lua_pop(L, 3);
        return NULL;
    }

    nops = lua_objlen(L, -3) / 4;
    nk = lua_objlen(L, -2);

    size = sizeof(ngx_http_cx_lua_plan_t) + nk * sizeof(*k)
           + nops * sizeof(*op);

    for (i = 0; i < nk; i++) {
        lua_rawgeti(L, -1, i + 1);
        if (lua_type(L, -1) == LUA_TSTRING) {
            size += lua_objlen(L, -1);
        }
        lua_pop(L, 1);
    }

    plan = ngx_alloc(size, log);
    if (plan == NULL) {
        lua_pop(L, 3);
        return NULL;
    }

    plan->nops = nops;
    plan->nk = nk;
    /* the constants first: they need the block's alignment, ops do not */
    plan->k = (ngx_http_cx_plan_val_t *) (plan + 1);
    plan->ops = (ngx_http_cx_plan_op_t *) (plan->k + nk);
    p = (u_char *) (plan->ops + nops);

    for (i = 0; i < nops * 4; i++) {
        lua_rawgeti(L, -3, i + 1);
        len = (size_t) lua_tointeger(L, -1);
        lua_pop(L, 1);

        op = &plan->ops[i / 4];

        switch (i % 4) {
        case 0: op->op = (uint8_t) ngx_min(len, 255); break;
        case 1: op->a = (uint8_t) ngx_min(len, 255); break;
        case 2: op->b = (uint16_t) ngx_min(len, 65535); break;
        default: op->c = (uint16_t) ngx_min(len, 65535); break;
        }
    }

    bad = 0;

    for (i = 0; i < nk; i++) {
        k = &plan->k[i];
        ngx_memzero(k, sizeof(ngx_http_cx_plan_val_t));

        lua_rawgeti(L, -2, i + 1);
        lua_rawgeti(L, -2, i + 1);
        kind = lua_tostring(L, -2);
        kind = kind ? kind : "";

        if (ngx_strcmp(kind, "boolean") == 0) {
            ngx_http_cx_plan_set_bool(k, lua_toboolean(L, -1));

        } else if (ngx_strcmp(kind, "number") == 0) {
            ngx_http_cx_plan_set_num(k, lua_tonumber(L, -1));

        } else if (ngx_strcmp(kind, "string") == 0
                   || ngx_strcmp(kind, "helper") == 0)
        {
            s = lua_tolstring(L, -1, &len);
            s = s ? s : "";
            k->type = (kind[0] == 's') ? ngx_http_cx_plan_str
                                       : ngx_http_cx_plan_helper;
            k->str.data = p;
            k->str.len = len;
            p = ngx_cpymem(p, s, len);

            /* a key of r, of a view or of cx, a helper: named now */
            k->id = ngx_http_cx_plan_name(k->str.data, len, 1,
                                          ngx_http_cx_plan_nnames - 1);

            /* not a helper C runs: no plan */
            bad |= (k->type == ngx_http_cx_plan_helper
                    && k->id < ngx_http_cx_plan_h_sample);

        } else if (ngx_strcmp(kind, "cx") == 0) {
            k->type = ngx_http_cx_plan_cx;

        } else {
            k->type = ngx_http_cx_plan_nil;
        }

        lua_pop(L, 2);
    }

    lua_getfield(L, idx, "slots");
    plan->slots = (ngx_uint_t) lua_tointeger(L, -1);
    lua_getfield(L, idx, "params");
    plan->params = (ngx_uint_t) lua_tointeger(L, -1);
    lua_pop(L, 5);

    if (bad || ngx_http_cx_plan_check(plan) != NGX_OK) {
        ngx_free(plan);
        return NULL;
    }

    return plan;
}


void
ngx_http_cx_lua_plan_free(ngx_http_cx_lua_plan_t *plan)
{
    if (plan) {
        ngx_free(plan);
    }
}


/* every slot, constant and jump of the plan within bounds */

static ngx_int_t
ngx_http_cx_plan_check(ngx_http_cx_lua_plan_t *plan)
{
    ngx_uint_t              pc, n;
    ngx_http_cx_plan_op_t  *op;

    n = plan->slots;

    if (n == 0 || n > NGX_HTTP_CX_LUA_PLAN_SLOTS || plan->nops == 0) {
        return NGX_ERROR;
    }

    for (pc = 0; pc < plan->nops; pc++) {
        op = &plan->ops[pc];

        switch (op->op) {

        case ngx_http_cx_plan_bail:
        case ngx_http_cx_plan_ret0:
            break;

        case ngx_http_cx_plan_mov:
        case ngx_http_cx_plan_not:
        case ngx_http_cx_plan_istc:
        case ngx_http_cx_plan_isfc:
        case ngx_http_cx_plan_lt:
        case ngx_http_cx_plan_ge:
        case ngx_http_cx_plan_le:
        case ngx_http_cx_plan_gt:
        case ngx_http_cx_plan_eqv:
        case ngx_http_cx_plan_nev:
            if (op->a >= n || op->b >= n) {
                return NGX_ERROR;
            }
            break;

        case ngx_http_cx_plan_knil:
            if (op->a > op->b || op->b >= n) {
                return NGX_ERROR;
            }
            break;

        case ngx_http_cx_plan_k:
        case ngx_http_cx_plan_eqk:
        case ngx_http_cx_plan_nek:
            if (op->a >= n || op->b >= plan->nk) {
                return NGX_ERROR;
            }
            break;

        case ngx_http_cx_plan_tgets:
            if (op->a >= n || op->b >= n || op->c >= plan->nk
                || plan->k[op->c].type != ngx_http_cx_plan_str)
            {
                return NGX_ERROR;
            }
            break;

        case ngx_http_cx_plan_tgetv:
            if (op->a >= n || op->b >= n || op->c >= n) {
                return NGX_ERROR;
            }
            break;

        case ngx_http_cx_plan_ist:
        case ngx_http_cx_plan_isf:
            if (op->b >= n) {
                return NGX_ERROR;
            }
            break;

        case ngx_http_cx_plan_jmp:
            /* a pc of lua/sandbox.lua counts from 1: forward only */
            if (op->b <= pc + 1 || op->b > plan->nops) {
                return NGX_ERROR;
            }
            op->b--;
            break;

        case ngx_http_cx_plan_call:
            /* the callee at a, its arguments from a + 2 */
            if ((ngx_uint_t) op->a + 2 + op->c > n
                || (ngx_uint_t) op->a + op->b > n)
            {
                return NGX_ERROR;
            }
            break;

        case ngx_http_cx_plan_callt:
            if ((ngx_uint_t) op->a + 2 + op->b > n) {
                return NGX_ERROR;
            }
            break;

        case ngx_http_cx_plan_ret1:
            if (op->a >= n) {
                return NGX_ERROR;
            }
            break;

        default:
            return NGX_ERROR;
        }

        /* a test is followed by the jump it takes */

        if (op->op >= ngx_http_cx_plan_lt && op->op <= ngx_http_cx_plan_isfc
            && (pc + 1 >= plan->nops
                || plan->ops[pc + 1].op != ngx_http_cx_plan_jmp))
        {
            return NGX_ERROR;
        }
    }

    ngx_http_cx_plan_fuse(plan);

    return NGX_OK;
}


/*
 * Reads of r, by what they read, so that the run goes to the view or the
 * field at once (each still checks that slot b holds r).  r.header["DNT"]
 * is two reads, of r.header and then of its key: where the second reads
 * what the first wrote and no jump lands between them, the first does
 * both.
 */

static void
ngx_http_cx_plan_fuse(ngx_http_cx_lua_plan_t *plan)
{
    ngx_uint_t              pc, i, id, key;
    ngx_http_cx_plan_op_t  *op, *next;

    for (pc = 0; pc < plan->nops; pc++) {
        op = &plan->ops[pc];

        if (op->op != ngx_http_cx_plan_tgets) {
            continue;
        }

        id = plan->k[op->c].id;

        if (id >= ngx_http_cx_plan_f_path
            && id <= ngx_http_cx_plan_f_touchpoint)
        {
            op->op = ngx_http_cx_plan_rfield;
            continue;
        }

        next = op + 1;

        if (id < ngx_http_cx_plan_f_header || id > ngx_http_cx_plan_f_visitor
            || pc + 1 == plan->nops
            || next->op != ngx_http_cx_plan_tgets || next->b != op->a)
        {
            continue;
        }

        for (i = 0; i < plan->nops; i++) {
            if (plan->ops[i].op == ngx_http_cx_plan_jmp
                && plan->ops[i].b == pc + 1)
            {
                break;
            }
        }

        if (i < plan->nops) {
            continue;
        }

        key = plan->k[next->c].id;

        if (id <= ngx_http_cx_plan_f_resp_header) {
            op->op = ngx_http_cx_plan_view2;

        } else if ((id == ngx_http_cx_plan_f_time
                    && key >= ngx_http_cx_plan_t_hour
                    && key <= ngx_http_cx_plan_t_offset)
                   || (id == ngx_http_cx_plan_f_visitor
                       && key >= ngx_http_cx_plan_v_id
                       && key <= ngx_http_cx_plan_v_answered))
        {
            op->op = ngx_http_cx_plan_field2;

        } else {
            op->op = ngx_http_cx_plan_tgets2;
        }
    }
}


static ngx_uint_t
ngx_http_cx_plan_name(u_char *p, size_t len, ngx_uint_t from, ngx_uint_t to)
{
    ngx_uint_t  i;

    for (i = from; i <= to; i++) {
        if (ngx_http_cx_plan_names[i].len == len
            && ngx_memcmp(ngx_http_cx_plan_names[i].data, p, len) == 0)
        {
            return i;
        }
    }

    return ngx_http_cx_plan_none;
}


/* ---- running ------------------------------------------------------------ */

/*
 * Runs the plan on the request: NGX_OK with what trigger(r) returned in
 * *ret (nil, false, true or a string), NGX_DECLINED when it gave up (the
 * VM runs the call), NGX_ERROR without memory.
 */

ngx_int_t
ngx_http_cx_lua_plan_run(ngx_http_cx_lua_plan_t *plan,
    ngx_http_cx_lua_req_t *req, ngx_http_cx_lua_vm_t *vm, ngx_uint_t *type,
    ngx_str_t *ret)
{
    ngx_int_t                rc;
    ngx_uint_t               pc, i, cond;
    ngx_http_cx_plan_op_t   *op;
    ngx_http_cx_plan_val_t  *s, *a, *d;
    ngx_http_cx_plan_run_t   run;
    ngx_http_cx_plan_val_t   slot[NGX_HTTP_CX_LUA_PLAN_SLOTS];

    run.req = req;
    run.vm = vm;
    run.slot = slot;
    s = slot;

    for (i = 0; i < plan->slots; i++) {
        s[i].type = ngx_http_cx_plan_nil;
    }

    if (plan->params) {
        s[0].type = ngx_http_cx_plan_r;
    }

    pc = 0;

    while (pc < plan->nops) {
        op = &plan->ops[pc];
        a = &s[op->a];

        /* constants: most of what a plan does, and the simplest */
        if (op->op == ngx_http_cx_plan_k) {
            *a = plan->k[op->b];
            pc++;
            continue;
        }

        switch (op->op) {

        case ngx_http_cx_plan_mov:
            *a = s[op->b];
            pc++;
            continue;

        case ngx_http_cx_plan_not:
            ngx_http_cx_plan_set_bool(a, !ngx_http_cx_plan_truthy(&s[op->b]));
            pc++;
            continue;

        case ngx_http_cx_plan_knil:
            for (i = op->a; i <= op->b; i++) {
                s[i].type = ngx_http_cx_plan_nil;
            }
            pc++;
            continue;

        case ngx_http_cx_plan_view2:
        case ngx_http_cx_plan_field2:
        case ngx_http_cx_plan_tgets2:
            if (s[op->b].type != ngx_http_cx_plan_r) {
                goto tgets;
            }

            rc = ngx_http_cx_plan_fused(&run, plan, op, a);
            if (rc != NGX_OK) {
                return rc;
            }

            pc += 2;
            continue;

        case ngx_http_cx_plan_rfield:
            if (s[op->b].type != ngx_http_cx_plan_r) {
                goto tgets;
            }

            rc = ngx_http_cx_plan_r_field(&run, plan->k[op->c].id, a);
            break;

        case ngx_http_cx_plan_tgets:
        tgets:
            d = &plan->k[op->c];
            rc = ngx_http_cx_plan_index(&run, &s[op->b], &d->str, d->id, a);
            break;

        case ngx_http_cx_plan_tgetv:
            rc = ngx_http_cx_plan_run_tgetv(&run, op, a);
            break;

        case ngx_http_cx_plan_lt:
        case ngx_http_cx_plan_ge:
        case ngx_http_cx_plan_le:
        case ngx_http_cx_plan_gt:
        case ngx_http_cx_plan_eqv:
        case ngx_http_cx_plan_nev:
        case ngx_http_cx_plan_eqk:
        case ngx_http_cx_plan_nek:
        case ngx_http_cx_plan_ist:
        case ngx_http_cx_plan_isf:
        case ngx_http_cx_plan_istc:
        case ngx_http_cx_plan_isfc:
            rc = ngx_http_cx_plan_test(plan, op, s, &cond);
            if (rc != NGX_OK) {
                return rc;
            }

            /* its jump, or past it */
            pc = cond ? plan->ops[pc + 1].b : pc + 2;
            continue;

        case ngx_http_cx_plan_jmp:
            pc = op->b;
            continue;

        case ngx_http_cx_plan_call:
            rc = ngx_http_cx_plan_run_call(&run, op, a);
            break;

        case ngx_http_cx_plan_callt:
            rc = ngx_http_cx_plan_invoke(&run, a, &s[op->a + 2], op->b, a);
            if (rc != NGX_OK) {
                return rc;
            }
            return ngx_http_cx_plan_result(a, type, ret);

        case ngx_http_cx_plan_ret0:
            return ngx_http_cx_plan_result(NULL, type, ret);

        case ngx_http_cx_plan_ret1:
            return ngx_http_cx_plan_result(a, type, ret);

        default:    /* bail */
            return NGX_DECLINED;
        }

        /* a read or a call: done, or the plan gives up */

        if (rc != NGX_OK) {
            return rc;
        }

        pc++;
    }

    return NGX_DECLINED;
}


/* what trigger(r) returned, as the caller of a plan takes it */

static ngx_int_t
ngx_http_cx_plan_result(ngx_http_cx_plan_val_t *res, ngx_uint_t *type,
    ngx_str_t *ret)
{
    if (res == NULL) {
        *type = ngx_http_cx_plan_nil;
        return NGX_OK;
    }

    switch (res->type) {

    case ngx_http_cx_plan_nil:
    case ngx_http_cx_plan_false:
        *type = ngx_http_cx_plan_nil;
        return NGX_OK;

    case ngx_http_cx_plan_true:
        *type = NGX_HTTP_CX_LUA_PLAN_TRUE;
        return NGX_OK;

    case ngx_http_cx_plan_str:
        *type = NGX_HTTP_CX_LUA_PLAN_STRING;
        *ret = res->str;
        return NGX_OK;

    default:
        /* a number, a table: the VM says what is wrong */
        return NGX_DECLINED;
    }
}


/*
 * A test (comparison or truth): NGX_OK with *cond, whether it jumps;
 * NGX_DECLINED where the VM must say (strings compared, tables).
 */

static ngx_int_t
ngx_http_cx_plan_test(ngx_http_cx_lua_plan_t *plan, ngx_http_cx_plan_op_t *op,
    ngx_http_cx_plan_val_t *s, ngx_uint_t *cond)
{
    ngx_int_t                rc;
    ngx_http_cx_plan_val_t  *a, *d;

    a = &s[op->a];

    switch (op->op) {

    case ngx_http_cx_plan_lt:
    case ngx_http_cx_plan_ge:
    case ngx_http_cx_plan_le:
    case ngx_http_cx_plan_gt:
        d = &s[op->b];
        if (a->type != ngx_http_cx_plan_num
            || d->type != ngx_http_cx_plan_num)
        {
            return NGX_DECLINED;    /* strings, or the VM's error */
        }

        /* as LuaJIT: ISGE is not ISLT, ISGT is not ISLE (NaN) */
        switch (op->op) {
        case ngx_http_cx_plan_lt: *cond = (a->num < d->num); break;
        case ngx_http_cx_plan_ge: *cond = !(a->num < d->num); break;
        case ngx_http_cx_plan_le: *cond = (a->num <= d->num); break;
        default: *cond = !(a->num <= d->num); break;
        }
        return NGX_OK;

    case ngx_http_cx_plan_eqv:
    case ngx_http_cx_plan_nev:
        rc = ngx_http_cx_plan_equal(a, &s[op->b]);
        if (rc == NGX_DECLINED) {
            return NGX_DECLINED;
        }
        *cond = (op->op == ngx_http_cx_plan_eqv) ? (rc == 1) : (rc == 0);
        return NGX_OK;

    case ngx_http_cx_plan_eqk:
    case ngx_http_cx_plan_nek:
        rc = ngx_http_cx_plan_equal(a, &plan->k[op->b]);
        if (rc == NGX_DECLINED) {
            return NGX_DECLINED;
        }
        *cond = (op->op == ngx_http_cx_plan_eqk) ? (rc == 1) : (rc == 0);
        return NGX_OK;

    case ngx_http_cx_plan_ist:
        *cond = ngx_http_cx_plan_truthy(&s[op->b]);
        return NGX_OK;

    case ngx_http_cx_plan_isf:
        *cond = !ngx_http_cx_plan_truthy(&s[op->b]);
        return NGX_OK;

    case ngx_http_cx_plan_istc:
    case ngx_http_cx_plan_isfc:
        *cond = ngx_http_cx_plan_truthy(&s[op->b]);
        *cond = (op->op == ngx_http_cx_plan_istc) ? *cond : !*cond;
        if (*cond) {
            *a = s[op->b];
        }
        return NGX_OK;

    default:
        return NGX_DECLINED;
    }
}


/* t[k], the key k made at run time: its name looked up now */

static ngx_int_t
ngx_http_cx_plan_run_tgetv(ngx_http_cx_plan_run_t *run,
    ngx_http_cx_plan_op_t *op, ngx_http_cx_plan_val_t *a)
{
    ngx_uint_t               id;
    ngx_http_cx_plan_val_t  *k;

    k = &run->slot[op->c];

    if (k->type != ngx_http_cx_plan_str) {
        return NGX_DECLINED;
    }

    id = ngx_http_cx_plan_name(k->str.data, k->str.len, 1,
                               ngx_http_cx_plan_nnames - 1);

    return ngx_http_cx_plan_index(run, &run->slot[op->b], &k->str, id, a);
}


/* a call whose results (op->b - 1 of them) stay in the slots */

static ngx_int_t
ngx_http_cx_plan_run_call(ngx_http_cx_plan_run_t *run,
    ngx_http_cx_plan_op_t *op, ngx_http_cx_plan_val_t *a)
{
    ngx_int_t                rc;
    ngx_uint_t               i;
    ngx_http_cx_plan_val_t  *s;
    ngx_http_cx_plan_val_t   unused;

    s = run->slot;

    /* no result wanted: the call still checks its arguments */
    rc = ngx_http_cx_plan_invoke(run, a, &s[op->a + 2], op->c,
                                 op->b ? a : &unused);
    if (rc != NGX_OK) {
        return rc;
    }

    for (i = 1; i < op->b; i++) {
        s[op->a + i].type = ngx_http_cx_plan_nil;
    }

    return NGX_OK;
}


/*
 * r.view[key] (view2, field2, tgets2) in one step: this op reads the
 * view of r, the next its key.
 */

static ngx_int_t
ngx_http_cx_plan_fused(ngx_http_cx_plan_run_t *run,
    ngx_http_cx_lua_plan_t *plan, ngx_http_cx_plan_op_t *op,
    ngx_http_cx_plan_val_t *a)
{
    ngx_http_cx_plan_val_t  *d, *dst;

    a->type = ngx_http_cx_plan_view_of(plan->k[op->c].id);
    d = &plan->k[op[1].c];
    dst = &run->slot[op[1].a];

    if (op->op == ngx_http_cx_plan_view2) {
        ngx_http_cx_plan_view(run, a->type, &d->str, dst);

    } else if (op->op == ngx_http_cx_plan_tgets2) {
        return ngx_http_cx_plan_index(run, a, &d->str, d->id, dst);

    } else if (d->id <= ngx_http_cx_plan_t_offset) {
        ngx_http_cx_plan_time_field(run, d->id, dst);

    } else {
        ngx_http_cx_plan_visitor_field(run, d->id, dst);
    }

    return NGX_OK;
}


/* 1 or 0 for a == b, NGX_DECLINED when the VM must say (tables) */

static ngx_int_t
ngx_http_cx_plan_equal(ngx_http_cx_plan_val_t *a, ngx_http_cx_plan_val_t *b)
{
    if (a->type != b->type) {
        /* two tables could have __eq */
        return (ngx_http_cx_plan_table(a->type)
                && ngx_http_cx_plan_table(b->type))
               ? NGX_DECLINED : 0;
    }

    switch (a->type) {

    case ngx_http_cx_plan_num:
        return a->num == b->num;

    case ngx_http_cx_plan_str:
        /* an empty string may have no data at all */
        return a->str.len == b->str.len
               && (a->str.len == 0
                   || ngx_memcmp(a->str.data, b->str.data, a->str.len) == 0);

    case ngx_http_cx_plan_helper:
        return a->id == b->id;

    default:
        /* nil, false, true; r and each view is one table */
        return 1;
    }
}


/* t[key], key a string whose name is id (ngx_http_cx_plan_none: none) */

static ngx_int_t
ngx_http_cx_plan_index(ngx_http_cx_plan_run_t *run, ngx_http_cx_plan_val_t *t,
    ngx_str_t *key, ngx_uint_t id, ngx_http_cx_plan_val_t *dst)
{
    switch (t->type) {

    case ngx_http_cx_plan_r:
        if (id == ngx_http_cx_plan_none || id > ngx_http_cx_plan_f_touchpoint)
        {
            return NGX_DECLINED;    /* the VM's "r has no field" */
        }

        if (id <= ngx_http_cx_plan_f_visitor) {
            dst->type = ngx_http_cx_plan_view_of(id);
            return NGX_OK;
        }

        return ngx_http_cx_plan_field(run, id, dst);

    case ngx_http_cx_plan_time:
        if (id < ngx_http_cx_plan_t_hour || id > ngx_http_cx_plan_t_offset) {
            return NGX_DECLINED;
        }

        return ngx_http_cx_plan_field(run, id, dst);

    case ngx_http_cx_plan_visitor:
        if (id < ngx_http_cx_plan_v_id || id > ngx_http_cx_plan_v_answered) {
            return NGX_DECLINED;
        }

        return ngx_http_cx_plan_field(run, id, dst);

    case ngx_http_cx_plan_header:
    case ngx_http_cx_plan_cookie:
    case ngx_http_cx_plan_resp_header:
        return ngx_http_cx_plan_view(run, t->type, key, dst);

    case ngx_http_cx_plan_cx:
        if (id < ngx_http_cx_plan_h_sample) {
            return NGX_DECLINED;    /* a helper C does not run */
        }

        dst->type = ngx_http_cx_plan_helper;
        dst->id = id;
        return NGX_OK;

    default:
        /* r.args (unescaping), strings' methods, the VM's errors */
        return NGX_DECLINED;
    }
}


/* a field of r, r.time or r.visitor, as their views read it */

static ngx_int_t
ngx_http_cx_plan_field(ngx_http_cx_plan_run_t *run, ngx_uint_t id,
    ngx_http_cx_plan_val_t *dst)
{
    if (id <= ngx_http_cx_plan_f_touchpoint) {
        return ngx_http_cx_plan_r_field(run, id, dst);
    }

    if (id <= ngx_http_cx_plan_t_offset) {
        ngx_http_cx_plan_time_field(run, id, dst);

    } else {
        ngx_http_cx_plan_visitor_field(run, id, dst);
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_cx_plan_r_field(ngx_http_cx_plan_run_t *run, ngx_uint_t id,
    ngx_http_cx_plan_val_t *dst)
{
    ngx_int_t               rc;
    ngx_str_t               tp;
    ngx_http_request_t     *r;
    ngx_http_cx_lua_req_t  *req;

    req = run->req;
    r = req->r;
    dst->type = ngx_http_cx_plan_str;

    switch (id) {

    case ngx_http_cx_plan_f_path:
        if (req->path.data == NULL
            && ngx_http_cx_lua_decode_path(r, &req->path) != NGX_OK)
        {
            return NGX_ERROR;
        }
        ngx_http_cx_plan_set_str(dst, req->path);
        return NGX_OK;

    case ngx_http_cx_plan_f_uri:
        ngx_http_cx_plan_set_str(dst, r->uri);
        return NGX_OK;

    case ngx_http_cx_plan_f_host:
        dst->str = r->headers_in.server;
        dst->type = dst->str.len ? ngx_http_cx_plan_str : ngx_http_cx_plan_nil;
        return NGX_OK;

    case ngx_http_cx_plan_f_method:
        ngx_http_cx_plan_set_str(dst, r->method_name);
        return NGX_OK;

    case ngx_http_cx_plan_f_query:
        /* "" without arguments, as r.query has it */
        dst->str = r->args;
        return NGX_OK;

    case ngx_http_cx_plan_f_status:
        ngx_http_cx_plan_set_num(dst, r->headers_out.status);
        return NGX_OK;

    case ngx_http_cx_plan_f_scheme:
#if (NGX_HTTP_SSL)
        if (r->connection->ssl) {
            ngx_str_set(&dst->str, "https");
            return NGX_OK;
        }
#endif
        ngx_str_set(&dst->str, "http");
        return NGX_OK;

    case ngx_http_cx_plan_f_touchpoint:
        /* only when known without a call of touchpoint(r) */
        req->ctx->touchpoint_peek = 1;
        rc = req->touchpoint(r, req->ctx, &tp);
        req->ctx->touchpoint_peek = 0;

        if (rc == NGX_OK) {
            ngx_http_cx_plan_set_str(dst, tp);
            return NGX_OK;
        }

        if (rc == NGX_DECLINED) {
            dst->type = ngx_http_cx_plan_nil;
            return NGX_OK;
        }

        return (rc == NGX_ERROR) ? NGX_ERROR : NGX_DECLINED;
    }

    return NGX_DECLINED;
}


static void
ngx_http_cx_plan_time_field(ngx_http_cx_plan_run_t *run, ngx_uint_t id,
    ngx_http_cx_plan_val_t *dst)
{
    u_char                 *p;
    ngx_tm_t               *tm;
    ngx_http_cx_lua_req_t  *req;

    req = run->req;
    tm = ngx_http_cx_lua_time(run->vm, req);

    switch (id) {
    case ngx_http_cx_plan_t_hour:
        ngx_http_cx_plan_set_num(dst, tm->ngx_tm_hour);
        break;
    case ngx_http_cx_plan_t_minute:
        ngx_http_cx_plan_set_num(dst, tm->ngx_tm_min);
        break;
    case ngx_http_cx_plan_t_wday:
        /* ISO 8601: Monday 1 .. Sunday 7 */
        ngx_http_cx_plan_set_num(dst, tm->ngx_tm_wday == 0
                                      ? 7 : tm->ngx_tm_wday);
        break;
    case ngx_http_cx_plan_t_day:
        ngx_http_cx_plan_set_num(dst, tm->ngx_tm_mday);
        break;
    case ngx_http_cx_plan_t_month:
        ngx_http_cx_plan_set_num(dst, tm->ngx_tm_mon);
        break;
    case ngx_http_cx_plan_t_year:
        ngx_http_cx_plan_set_num(dst, tm->ngx_tm_year);
        break;
    case ngx_http_cx_plan_t_date:
        p = ngx_sprintf(req->date, "%4d-%02d-%02d", tm->ngx_tm_year,
                        tm->ngx_tm_mon, tm->ngx_tm_mday);
        dst->type = ngx_http_cx_plan_str;
        dst->str.data = req->date;
        dst->str.len = p - req->date;
        break;
    case ngx_http_cx_plan_t_epoch:
        ngx_http_cx_plan_set_num(dst, (double) req->now);
        break;
    default:
        ngx_http_cx_plan_set_num(dst, req->offset);
        break;
    }
}


static void
ngx_http_cx_plan_visitor_field(ngx_http_cx_plan_run_t *run, ngx_uint_t id,
    ngx_http_cx_plan_val_t *dst)
{
    ngx_int_t                   day, today;
    ngx_http_cx_lua_visitor_t  *v;

    v = ngx_http_cx_lua_visitor(run->req);

    switch (id) {

    case ngx_http_cx_plan_v_id:
        ngx_http_cx_plan_set_str(dst, v->id);
        return;

    case ngx_http_cx_plan_v_views:
        ngx_http_cx_plan_set_num(dst, v->views);
        return;

    case ngx_http_cx_plan_v_sessions:
        ngx_http_cx_plan_set_num(dst, v->sessions);
        return;

    case ngx_http_cx_plan_v_new:
        ngx_http_cx_plan_set_bool(dst, !v->valid);
        return;

    default:
        day = (id == ngx_http_cx_plan_v_shown) ? v->shown : v->answered;

        if (day < 0) {
            dst->type = ngx_http_cx_plan_nil;
            return;
        }

        /* a day in the future (a visitor's clock) counts as today */
        today = ngx_time() / 86400;
        ngx_http_cx_plan_set_num(dst, today > day ? today - day : 0);
        return;
    }
}


/* r.header[name], r.cookie[name], r.resp_header[name] */

static ngx_int_t
ngx_http_cx_plan_view(ngx_http_cx_plan_run_t *run, ngx_uint_t view,
    ngx_str_t *name, ngx_http_cx_plan_val_t *dst)
{
    ngx_int_t            rc;
    ngx_table_elt_t     *h;
    ngx_http_request_t  *r;

    r = run->req->r;
    dst->type = ngx_http_cx_plan_str;

    if (view == ngx_http_cx_plan_header) {
        h = ngx_http_cx_header_find(&r->headers_in.headers, name->data,
                                    name->len, NGX_HTTP_CX_HEADER_DASHES);
        if (h) {
            ngx_http_cx_plan_set_str(dst, h->value);

        } else {
            dst->type = ngx_http_cx_plan_nil;
        }

        return NGX_OK;
    }

    rc = (view == ngx_http_cx_plan_cookie)
         ? ngx_http_cx_lua_cookie(r, name, &dst->str)
         : ngx_http_cx_lua_resp_header(r, name->data, name->len,
                                       run->req->length, &dst->str);

    if (rc != NGX_OK || dst->str.data == NULL) {
        dst->type = ngx_http_cx_plan_nil;
    }

    return NGX_OK;
}


/* a cx helper, as ngx_http_cx_lua_cx.c has it */

static ngx_int_t
ngx_http_cx_plan_invoke(ngx_http_cx_plan_run_t *run,
    ngx_http_cx_plan_val_t *fn, ngx_http_cx_plan_val_t *arg, ngx_uint_t nargs,
    ngx_http_cx_plan_val_t *dst)
{
    double                      x, y, h;
    ngx_str_t                   key;
    ngx_tm_t                   *tm;
    ngx_http_cx_lua_visitor_t  *v;

    if (fn->type != ngx_http_cx_plan_helper) {
        return NGX_DECLINED;
    }

#define ngx_http_cx_plan_arg(i, t)                                          \
    ((i) < nargs && arg[i].type == (t))
#define ngx_http_cx_plan_opt(i)                                             \
    ((i) >= nargs || arg[i].type == ngx_http_cx_plan_nil)

    if (fn->id == ngx_http_cx_plan_h_sample) {
        if (!ngx_http_cx_plan_arg(0, ngx_http_cx_plan_num)) {
            return NGX_DECLINED;
        }

        x = arg[0].num;

        if (x >= 1 || x <= 0 || x != x) {
            ngx_http_cx_plan_set_bool(dst, x >= 1);
            return NGX_OK;
        }

        if (ngx_http_cx_plan_opt(1)) {
            ngx_str_set(&key, "");

        } else if (arg[1].type == ngx_http_cx_plan_str) {
            key = arg[1].str;

        } else {
            return NGX_DECLINED;
        }

        v = ngx_http_cx_lua_visitor(run->req);
        ngx_http_cx_plan_set_bool(dst, ngx_http_cx_lua_draw(v, &key) < x);
        return NGX_OK;
    }

    /* the others take r (a table) first */

    if (nargs == 0 || !ngx_http_cx_plan_table(arg[0].type)) {
        return NGX_DECLINED;
    }

    switch (fn->id) {

    case ngx_http_cx_plan_h_cooled_down:
    case ngx_http_cx_plan_h_shown_within:
    case ngx_http_cx_plan_h_answered_within:
        if (!ngx_http_cx_plan_arg(1, ngx_http_cx_plan_num)) {
            return NGX_DECLINED;
        }

        x = arg[1].num;
        v = ngx_http_cx_lua_visitor(run->req);

        if (fn->id == ngx_http_cx_plan_h_shown_within) {
            ngx_http_cx_plan_set_bool(dst, ngx_http_cx_lua_within(v->shown,
                                                                  x));
            return NGX_OK;
        }

        if (fn->id == ngx_http_cx_plan_h_answered_within) {
            ngx_http_cx_plan_set_bool(dst,
                                  ngx_http_cx_lua_within(v->answered, x));
            return NGX_OK;
        }

        if (ngx_http_cx_plan_opt(2)) {
            y = x;

        } else if (arg[2].type == ngx_http_cx_plan_num) {
            y = arg[2].num;

        } else {
            return NGX_DECLINED;
        }

        ngx_http_cx_plan_set_bool(dst,
                                  !ngx_http_cx_lua_within(v->shown, x)
                                  && !ngx_http_cx_lua_within(v->answered, y));
        return NGX_OK;

    case ngx_http_cx_plan_h_weekday:
    case ngx_http_cx_plan_h_weekend:
        tm = ngx_http_cx_lua_time(run->vm, run->req);
        x = (tm->ngx_tm_wday >= 1 && tm->ngx_tm_wday <= 5);
        ngx_http_cx_plan_set_bool(dst, (fn->id == ngx_http_cx_plan_h_weekday)
                                       ? x : !x);
        return NGX_OK;

    default:    /* business_hours */
        x = 9;
        y = 17;

        if (!ngx_http_cx_plan_opt(1)) {
            if (arg[1].type != ngx_http_cx_plan_num) {
                return NGX_DECLINED;
            }
            x = arg[1].num;
        }

        if (!ngx_http_cx_plan_opt(2)) {
            if (arg[2].type != ngx_http_cx_plan_num) {
                return NGX_DECLINED;
            }
            y = arg[2].num;
        }

        tm = ngx_http_cx_lua_time(run->vm, run->req);
        h = tm->ngx_tm_hour + tm->ngx_tm_min / 60.0;

        ngx_http_cx_plan_set_bool(dst, tm->ngx_tm_wday >= 1
                                       && tm->ngx_tm_wday <= 5
                                       && h >= x && h < y);
        return NGX_OK;
    }

#undef ngx_http_cx_plan_arg
#undef ngx_http_cx_plan_opt
}
