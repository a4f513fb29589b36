
/*
 * ngx_http_cx_lua_pattern.c: the Lua pattern matcher of the rules'
 * sandbox, with a bound on its work.
 *
 * A pattern compiles to a sequence of items (a byte or a class with its
 * repetition, a capture's start or end, %b, %f, a back-reference, $),
 * then the end.  Matching item i at subject position s -- the state
 * (i, s) -- goes on with item i + 1 at one or more positions, in the
 * order Lua tries them; the first way that reaches the end is the match.
 * The search runs on an explicit stack, at most one entry per item,
 * never on the C stack.
 *
 * The bound.  Whether the rest of a pattern matches from (i, s) depends
 * on i and s alone, unless a back-reference ahead reads a capture that
 * started before i (a "live" item).  So a state that failed is written
 * down (the notes: a byte per state) and never explored again.  A state
 * of x* or x- that failed marks every position of the run it tried, so
 * that one from further back stops where it meets them; %b looks the
 * end up in a table made in one pass.  Counting steps, for a pattern of
 * m bytes (at most m + 1 items) and a subject of n:
 *   - compiling: m + 1, and 32 per byte of a set;
 *   - per item, at most 2 (n + 1) entries (each state explored once has
 *     at most two ways on, x* and x- one per position of their runs,
 *     and these runs do not overlap) and 2 (n + 1) steps of its own
 *     (scanning x*, counting to the end of %b or making its table);
 *   - a successful match is not written down: in a gsub, the next match
 *     may explore again the states of its end position, a few steps
 *     each, m + 1 of them per match;
 *   - before the notes exist (they are made once a call has spent as
 *     many steps as they take bytes) at most their size, (m + 1)(n + 1)
 *     + 4 n per %b, and the explorations under way then, n each.
 * Hence at most 12 (m + 2)(n + 2) + 64 m steps per call (README; the
 * differential fuzzer checks it), each charged to the budget.  Live
 * items are not written down: there the work depends on what was
 * captured, and only the budget bounds it.
 *
 * LuaJIT raises "pattern too complex" where its matcher nests more than
 * 200 calls deep: the depth of each state is followed here too, and the
 * notes keep how deep a failed state went, so that the same patterns
 * fail.
 */


#include "ngx_http_cx_lua_pattern.h"


/* items */
#define NGX_HTTP_CX_PAT_END          0      /* the match is found */
#define NGX_HTTP_CX_PAT_EOS          1      /* $ at the end */
#define NGX_HTTP_CX_PAT_ERROR        2      /* a malformed pattern */
#define NGX_HTTP_CX_PAT_NONE         3      /* never matches */
#define NGX_HTTP_CX_PAT_ONE          4      /* x */
#define NGX_HTTP_CX_PAT_OPT          5      /* x? */
#define NGX_HTTP_CX_PAT_MAX          6      /* x*, and x+ as x x* */
#define NGX_HTTP_CX_PAT_MIN          7      /* x- */
#define NGX_HTTP_CX_PAT_OPEN         8      /* ( */
#define NGX_HTTP_CX_PAT_POS          9      /* () */
#define NGX_HTTP_CX_PAT_CLOSE        10     /* ) */
#define NGX_HTTP_CX_PAT_BAL          11     /* %bxy */
#define NGX_HTTP_CX_PAT_FRONTIER     12     /* %f[set] */
#define NGX_HTTP_CX_PAT_BACKREF      13     /* %1 ... %9 */
#define NGX_HTTP_CX_PAT_LIT          14     /* bytes as themselves: abc */

/* what one byte is matched by */
#define NGX_HTTP_CX_PAT_BYTE         0
#define NGX_HTTP_CX_PAT_ANY          1
#define NGX_HTTP_CX_PAT_SET          2

#define NGX_HTTP_CX_PAT_SETLEN       32     /* a set: 256 bits */


struct ngx_http_cx_pat_item_s {
    u_char                       op;
    u_char                       kind;      /* of ONE, OPT, MAX, MIN */
    u_char                       c;         /* BYTE; BAL: the opening */
    u_char                       c2;        /* BAL: the closing */
    u_char                       live;
    uint16_t                     arg;       /* capture, error, BAL slot */
    const u_char                *set;      /* LIT: the bytes, arg: how
                                               many */
};


struct ngx_http_cx_pat_frame_s {
    uint32_t                     pos;
    uint32_t                     aux;       /* MAX, MIN: the position
                                               tried; OPT: which way */
    uint16_t                     item;
    u_char                       depth;
    u_char                       high;      /* deepest level under it */
    u_char                       noted;     /* MIN: notes since it began */
};


typedef struct {
    u_char                      *items;     /* grows up */
    u_char                      *sets;      /* grows down */
    u_char                      *end;
    ngx_uint_t                   nitems;
    ngx_uint_t                   nsets;
    ngx_uint_t                   ncaps;
    ngx_uint_t                   nbal;
    size_t                       work;      /* bytes of sets made */
    ngx_uint_t                   lit;       /* 1 + the literal item that
                                               may grow */
    size_t                       lit_next;  /* where it would go on */
    uint32_t                     unfinished;
    u_char                       cap[NGX_HTTP_CX_PAT_CAPTURES];
} ngx_http_cx_pat_out_t;


static const char  *ngx_http_cx_pat_errors[] = {
    "malformed pattern (ends with '%')",
    "malformed pattern (missing ']')",
    "malformed pattern (%b needs two characters after it)",
    "malformed pattern (%f needs a set '[...]' after it)",
    "malformed pattern (')' closes no capture)",
    "malformed pattern (more than 32 captures)",
    "invalid capture index in pattern (%0, or no capture of that "
        "number closed before it)"
};

/* errors: 1 + their index above */
#define NGX_HTTP_CX_PAT_E_ESCAPE     1
#define NGX_HTTP_CX_PAT_E_BRACKET    2
#define NGX_HTTP_CX_PAT_E_BALANCE    3
#define NGX_HTTP_CX_PAT_E_FRONTIER   4
#define NGX_HTTP_CX_PAT_E_CLOSE      5
#define NGX_HTTP_CX_PAT_E_CAPTURES   6
#define NGX_HTTP_CX_PAT_E_BACKREF    7


/* capture states while compiling */
#define NGX_HTTP_CX_PAT_C_OPEN       1
#define NGX_HTTP_CX_PAT_C_CLOSED     2
#define NGX_HTTP_CX_PAT_C_POSITION   3


/* the classes: %a %c %d %g %l %p %s %u %w %x, and %z of Lua 5.1 */

#define NGX_HTTP_CX_PAT_ALPHA        0x01
#define NGX_HTTP_CX_PAT_CNTRL        0x02
#define NGX_HTTP_CX_PAT_DIGIT        0x04
#define NGX_HTTP_CX_PAT_LOWER        0x08
#define NGX_HTTP_CX_PAT_PUNCT        0x10
#define NGX_HTTP_CX_PAT_SPACE        0x20
#define NGX_HTTP_CX_PAT_UPPER        0x40
#define NGX_HTTP_CX_PAT_XDIGIT       0x80


static ngx_int_t ngx_http_cx_pat_build(ngx_http_cx_pat_out_t *out,
    const u_char *p, size_t lp);
static ngx_int_t ngx_http_cx_pat_capture(ngx_http_cx_pat_out_t *out,
    const u_char *p, size_t lp, size_t *i);
static ngx_int_t ngx_http_cx_pat_escape(ngx_http_cx_pat_out_t *out,
    const u_char *p, size_t lp, size_t *i);
static ngx_int_t ngx_http_cx_pat_single(ngx_http_cx_pat_out_t *out,
    const u_char *p, size_t lp, size_t *i);
static void ngx_http_cx_pat_live(ngx_http_cx_pat_out_t *out);
static ngx_int_t ngx_http_cx_pat_class(ngx_http_cx_pat_out_t *out,
    const u_char *p, size_t lp, size_t *i, ngx_http_cx_pat_item_t *it);
static ngx_int_t ngx_http_cx_pat_set(ngx_http_cx_pat_out_t *out,
    const u_char *p, size_t lp, size_t *i, const u_char **set);
static ngx_int_t ngx_http_cx_pat_one(ngx_http_cx_pat_out_t *out,
    const u_char *p, size_t at, ngx_uint_t plain,
    ngx_http_cx_pat_item_t *one);
static ngx_http_cx_pat_item_t *ngx_http_cx_pat_item(
    ngx_http_cx_pat_out_t *out, ngx_uint_t op);
static void ngx_http_cx_pat_add_class(u_char *set, ngx_uint_t cl);
static ngx_int_t ngx_http_cx_pat_is_class(ngx_uint_t cl);
static void ngx_http_cx_pat_classes_init(void);
static void ngx_http_cx_pat_lay_out(ngx_http_cx_pat_t *pt,
    ngx_http_cx_pat_out_t *out);
static void ngx_http_cx_pat_notes(ngx_http_cx_pat_t *pt);
static ngx_int_t ngx_http_cx_pat_balance(ngx_http_cx_pat_t *pt,
    ngx_http_cx_pat_item_t *it, size_t s);
static void ngx_http_cx_pat_raise(ngx_http_cx_pat_t *pt, const char *msg);
static ngx_int_t ngx_http_cx_pat_step(ngx_http_cx_pat_t *pt,
    ngx_http_cx_pat_item_t *it, size_t s, size_t *t);
static size_t ngx_http_cx_pat_run(ngx_http_cx_pat_t *pt, ngx_uint_t i,
    size_t s, ngx_uint_t d, ngx_uint_t *high);
static ngx_uint_t ngx_http_cx_pat_failed(ngx_http_cx_pat_t *pt,
    ngx_uint_t i, size_t s, ngx_uint_t d);
static ngx_int_t ngx_http_cx_pat_back(ngx_http_cx_pat_t *pt, ngx_uint_t *top,
    ngx_uint_t *item, size_t *pos, ngx_uint_t *depth, ngx_uint_t high);


static u_char  ngx_http_cx_pat_ctype[256];
static u_char  ngx_http_cx_pat_class_sets[26][2][NGX_HTTP_CX_PAT_SETLEN];
static u_char  ngx_http_cx_pat_any[NGX_HTTP_CX_PAT_SETLEN];
static ngx_uint_t  ngx_http_cx_pat_ready;

#if (NGX_HTTP_CX_PAT_STATS)
ngx_uint_t  ngx_http_cx_pat_eager;
#endif


#define ngx_http_cx_pat_in(set, ch)                                         \
    ((set)[(ch) >> 3] & (1 << ((ch) & 7)))

#define ngx_http_cx_pat_test(item, ch)                                      \
    ((item)->kind == NGX_HTTP_CX_PAT_BYTE ? (ch) == (item)->c               \
     : ngx_http_cx_pat_in((item)->set, ch))


/* compiling ---------------------------------------------------------- */

/*
 * Compiles p (up to its first NUL: LuaJIT reads patterns as C strings)
 * for matching on the subject.  A malformed part becomes an item that
 * raises when matching reaches it, as LuaJIT raises only then.
 */

void
ngx_http_cx_pat_compile(ngx_http_cx_pat_t *pt, lua_State *L,
    const u_char *subject, size_t n, const u_char *p, size_t lp)
{
    size_t                  size, nb, i;
    u_char                 *mem;
    ngx_http_cx_pat_out_t   out;

    if (!ngx_http_cx_pat_ready) {
        ngx_http_cx_pat_classes_init();
    }

    pt->L = L;
    pt->vm = ngx_http_cx_lua_vm_of(L);
    pt->subject = subject;
    pt->n = n;
    pt->memo = NULL;
    pt->close = NULL;
    pt->steps = 0;
    pt->left = ngx_http_cx_lua_left(pt->vm);
    pt->from = pt->left;

    for (i = 0; i < lp; i++) {
        if (p[i] == '\0') {
            break;
        }
    }

    lp = i;
    pt->plen = lp;

    ngx_http_cx_pat_spend(pt, lp + 1);

    /* items from the front of the buffer, sets from its back */

    out.items = pt->buf.bytes;
    out.end = pt->buf.bytes + NGX_HTTP_CX_PAT_INLINE;

    if (ngx_http_cx_pat_build(&out, p, lp) != NGX_OK) {

        /* too big for it: as much as the pattern could need */

        nb = 0;

        for (i = 0; i < lp; i++) {
            nb += (p[i] == '[');
        }

        size = (lp + 2) * sizeof(ngx_http_cx_pat_item_t)
               + nb * NGX_HTTP_CX_PAT_SETLEN
               + (lp + 3) * sizeof(ngx_http_cx_pat_frame_t)
               + NGX_HTTP_CX_PAT_CAPTURES * sizeof(ngx_http_cx_pat_cap_t)
               + 16;

        mem = lua_newuserdata(L, size);

        out.items = mem;
        out.end = mem + size;

        (void) ngx_http_cx_pat_build(&out, p, lp);
    }

    ngx_http_cx_pat_spend(pt, out.work);
    ngx_http_cx_pat_lay_out(pt, &out);
}


/*
 * The items of a pattern, then END, or ERROR with what is wrong.  Each
 * step below reads what starts at p[*i] and returns NGX_OK (items made,
 * *i past them), NGX_DECLINED (not its kind), NGX_ERROR (no memory), or
 * a pattern error, NGX_HTTP_CX_PAT_E_*.
 */

static ngx_int_t
ngx_http_cx_pat_build(ngx_http_cx_pat_out_t *out, const u_char *p, size_t lp)
{
    size_t                   i;
    ngx_int_t                rc;
    ngx_http_cx_pat_item_t  *it;

    out->sets = out->end;
    out->lit = 0;
    out->nitems = 0;
    out->nsets = 0;
    out->ncaps = 0;
    out->nbal = 0;
    out->work = 0;

    i = 0;
    rc = NGX_OK;

    while (i < lp) {

        if (p[i] == '$' && i + 1 == lp) {
            if (ngx_http_cx_pat_item(out, NGX_HTTP_CX_PAT_EOS) == NULL) {
                return NGX_ERROR;
            }

            goto end;
        }

        rc = ngx_http_cx_pat_capture(out, p, lp, &i);

        if (rc == NGX_DECLINED) {
            rc = ngx_http_cx_pat_escape(out, p, lp, &i);
        }

        if (rc == NGX_DECLINED) {
            rc = ngx_http_cx_pat_single(out, p, lp, &i);
        }

        if (rc == NGX_ERROR) {
            return NGX_ERROR;
        }

        if (rc != NGX_OK) {
            goto done;
        }
    }

    if (ngx_http_cx_pat_item(out, NGX_HTTP_CX_PAT_END) == NULL) {
        return NGX_ERROR;
    }

    goto end;

done:

    it = ngx_http_cx_pat_item(out, NGX_HTTP_CX_PAT_ERROR);
    if (it == NULL) {
        return NGX_ERROR;
    }

    it->arg = (uint16_t) rc;

end:

    ngx_http_cx_pat_live(out);

    return NGX_OK;
}


/* ( () ) */

static ngx_int_t
ngx_http_cx_pat_capture(ngx_http_cx_pat_out_t *out, const u_char *p,
    size_t lp, size_t *i)
{
    ngx_int_t                k;
    ngx_uint_t               op;
    ngx_http_cx_pat_item_t  *it;

    if (p[*i] == '(') {
        if (out->ncaps == NGX_HTTP_CX_PAT_CAPTURES) {
            return NGX_HTTP_CX_PAT_E_CAPTURES;
        }

        if (*i + 1 < lp && p[*i + 1] == ')') {
            op = NGX_HTTP_CX_PAT_POS;
            out->cap[out->ncaps] = NGX_HTTP_CX_PAT_C_POSITION;
            *i += 2;

        } else {
            op = NGX_HTTP_CX_PAT_OPEN;
            out->cap[out->ncaps] = NGX_HTTP_CX_PAT_C_OPEN;
            (*i)++;
        }

        it = ngx_http_cx_pat_item(out, op);
        if (it == NULL) {
            return NGX_ERROR;
        }

        it->arg = (uint16_t) out->ncaps++;
        return NGX_OK;
    }

    if (p[*i] != ')') {
        return NGX_DECLINED;
    }

    for (k = (ngx_int_t) out->ncaps - 1; k >= 0; k--) {
        if (out->cap[k] == NGX_HTTP_CX_PAT_C_OPEN) {
            break;
        }
    }

    if (k < 0) {
        return NGX_HTTP_CX_PAT_E_CLOSE;
    }

    it = ngx_http_cx_pat_item(out, NGX_HTTP_CX_PAT_CLOSE);
    if (it == NULL) {
        return NGX_ERROR;
    }

    it->arg = (uint16_t) k;
    out->cap[k] = NGX_HTTP_CX_PAT_C_CLOSED;
    (*i)++;

    return NGX_OK;
}


/* %bxy, %f[set], %1-%9; another % is a class (ngx_http_cx_pat_single) */

static ngx_int_t
ngx_http_cx_pat_escape(ngx_http_cx_pat_out_t *out, const u_char *p,
    size_t lp, size_t *i)
{
    size_t                   at;
    ngx_int_t                k, err;
    ngx_uint_t               op;
    const u_char            *set;
    ngx_http_cx_pat_item_t  *it;

    at = *i;

    if (p[at] != '%' || at + 1 == lp) {
        return NGX_DECLINED;    /* a lone % is a class that raises */
    }

    if (p[at + 1] == 'b') {
        if (at + 3 >= lp) {
            return NGX_HTTP_CX_PAT_E_BALANCE;
        }

        it = ngx_http_cx_pat_item(out, NGX_HTTP_CX_PAT_BAL);
        if (it == NULL) {
            return NGX_ERROR;
        }

        it->c = p[at + 2];
        it->c2 = p[at + 3];
        it->arg = (uint16_t) out->nbal++;
        *i += 4;
        return NGX_OK;
    }

    if (p[at + 1] == 'f') {
        *i += 2;

        if (*i == lp || p[*i] != '[') {
            return NGX_HTTP_CX_PAT_E_FRONTIER;
        }

        err = ngx_http_cx_pat_set(out, p, lp, i, &set);
        if (err != NGX_OK) {
            return err;
        }

        it = ngx_http_cx_pat_item(out, NGX_HTTP_CX_PAT_FRONTIER);
        if (it == NULL) {
            return NGX_ERROR;
        }

        it->set = set;
        return NGX_OK;
    }

    if (p[at + 1] < '0' || p[at + 1] > '9') {
        return NGX_DECLINED;
    }

    k = p[at + 1] - '1';

    if (k < 0 || k >= (ngx_int_t) out->ncaps
        || out->cap[k] == NGX_HTTP_CX_PAT_C_OPEN)
    {
        return NGX_HTTP_CX_PAT_E_BACKREF;
    }

    /* LuaJIT compares a position capture as a huge length */
    op = (out->cap[k] == NGX_HTTP_CX_PAT_C_POSITION)
         ? NGX_HTTP_CX_PAT_NONE : NGX_HTTP_CX_PAT_BACKREF;

    it = ngx_http_cx_pat_item(out, op);
    if (it == NULL) {
        return NGX_ERROR;
    }

    it->arg = (uint16_t) k;
    *i += 2;

    return NGX_OK;
}


/* a single byte or class, and what repeats it: x x? x* x- x+ */

static ngx_int_t
ngx_http_cx_pat_single(ngx_http_cx_pat_out_t *out, const u_char *p,
    size_t lp, size_t *i)
{
    size_t                   at;
    ngx_int_t                err;
    ngx_uint_t               op, plain;
    ngx_http_cx_pat_item_t  *it, one;

    ngx_memzero(&one, sizeof(ngx_http_cx_pat_item_t));

    at = *i;
    err = ngx_http_cx_pat_class(out, p, lp, i, &one);

    if (err != NGX_OK) {
        return err;
    }

    plain = (one.kind == NGX_HTTP_CX_PAT_BYTE && *i == at + 1);
    op = NGX_HTTP_CX_PAT_ONE;

    if (*i < lp) {
        switch (p[*i]) {
        case '?':
            op = NGX_HTTP_CX_PAT_OPT;
            (*i)++;
            break;
        case '*':
            op = NGX_HTTP_CX_PAT_MAX;
            (*i)++;
            break;
        case '-':
            op = NGX_HTTP_CX_PAT_MIN;
            (*i)++;
            break;
        case '+':
            op = NGX_HTTP_CX_PAT_MAX;
            (*i)++;

            /* x+ is x x* */

            if (ngx_http_cx_pat_one(out, p, at, plain, &one) != NGX_OK) {
                return NGX_ERROR;
            }

            break;
        }
    }

    if (op == NGX_HTTP_CX_PAT_ONE) {
        return ngx_http_cx_pat_one(out, p, at, plain, &one);
    }

    it = ngx_http_cx_pat_item(out, op);
    if (it == NULL) {
        return NGX_ERROR;
    }

    it->kind = one.kind;
    it->c = one.c;
    it->set = one.set;

    return NGX_OK;
}


/* what is live: between a capture's start and a back-reference to it */

static void
ngx_http_cx_pat_live(ngx_http_cx_pat_out_t *out)
{
    ngx_uint_t               j, k;
    ngx_http_cx_pat_item_t  *it, *it2;

    out->unfinished = 0;

    for (k = 0; k < out->ncaps; k++) {
        if (out->cap[k] == NGX_HTTP_CX_PAT_C_OPEN) {
            out->unfinished |= (uint32_t) 1 << k;
        }
    }

    it = (ngx_http_cx_pat_item_t *) out->items;

    for (j = 0; j < out->nitems; j++) {
        if (it[j].op != NGX_HTTP_CX_PAT_BACKREF) {
            continue;
        }

        for (it2 = &it[j]; it2 >= it; it2--) {
            if (it2->op == NGX_HTTP_CX_PAT_OPEN && it2->arg == it[j].arg) {
                break;
            }

            it2->live = 1;
        }
    }
}


/*
 * A single x (or the first x of x+).  A byte written as itself right
 * after a literal that is the last item so far becomes one more byte of
 * that literal: a literal is one state, compared with memcmp.
 */

static ngx_int_t
ngx_http_cx_pat_one(ngx_http_cx_pat_out_t *out, const u_char *p, size_t at,
    ngx_uint_t plain, ngx_http_cx_pat_item_t *one)
{
    ngx_http_cx_pat_item_t  *it;

    if (plain && out->nitems && out->lit == out->nitems
        && out->lit_next == at)
    {
        it = (ngx_http_cx_pat_item_t *) out->items + out->nitems - 1;

        if (it->op == NGX_HTTP_CX_PAT_ONE) {
            it->op = NGX_HTTP_CX_PAT_LIT;
            it->set = p + at - 1;
            it->arg = 2;
            out->lit_next = at + 1;
            return NGX_OK;
        }

        if (it->arg < 0xffff) {
            it->arg++;
            out->lit_next = at + 1;
            return NGX_OK;
        }
    }

    it = ngx_http_cx_pat_item(out, NGX_HTTP_CX_PAT_ONE);
    if (it == NULL) {
        return NGX_ERROR;
    }

    it->kind = one->kind;
    it->c = one->c;
    it->set = one->set;

    if (plain) {
        out->lit = out->nitems;
        out->lit_next = at + 1;
    }

    return NGX_OK;
}


static ngx_http_cx_pat_item_t *
ngx_http_cx_pat_item(ngx_http_cx_pat_out_t *out, ngx_uint_t op)
{
    ngx_http_cx_pat_item_t  *it;

    if ((size_t) (out->sets - out->items)
        < (out->nitems + 1) * sizeof(ngx_http_cx_pat_item_t))
    {
        return NULL;
    }

    it = (ngx_http_cx_pat_item_t *) out->items + out->nitems++;

    ngx_memzero(it, sizeof(ngx_http_cx_pat_item_t));
    it->op = (u_char) op;

    return it;
}


/*
 * One byte's matcher at p[*i] -- a byte, '.', a %class or a [set] -- into
 * it, *i moved past it: NGX_OK, an error's number or NGX_ERROR (no room)
 */

static ngx_int_t
ngx_http_cx_pat_class(ngx_http_cx_pat_out_t *out, const u_char *p,
    size_t lp, size_t *i, ngx_http_cx_pat_item_t *it)
{
    ngx_uint_t  c;

    c = p[*i];

    switch (c) {

    case '.':
        it->kind = NGX_HTTP_CX_PAT_ANY;
        it->set = ngx_http_cx_pat_any;
        (*i)++;
        return NGX_OK;

    case '%':
        if (*i + 1 == lp) {
            return NGX_HTTP_CX_PAT_E_ESCAPE;
        }

        c = p[*i + 1];
        *i += 2;

        if (ngx_http_cx_pat_is_class(c)) {
            it->kind = NGX_HTTP_CX_PAT_SET;
            it->set = ngx_http_cx_pat_class_sets[(c | 0x20) - 'a']
                                                [(c & 0x20) ? 0 : 1];
            return NGX_OK;
        }

        it->kind = NGX_HTTP_CX_PAT_BYTE;
        it->c = (u_char) c;
        return NGX_OK;

    case '[':
        it->kind = NGX_HTTP_CX_PAT_SET;
        return ngx_http_cx_pat_set(out, p, lp, i, &it->set);

    default:
        it->kind = NGX_HTTP_CX_PAT_BYTE;
        it->c = (u_char) c;
        (*i)++;
        return NGX_OK;
    }
}


/*
 * A set at p[*i] == '[' as the 256 bytes it matches.  As in Lua, the
 * byte after '[' (or "[^") is always in the set, even a ']'; "%x" is a
 * class or the byte x; "a-z" a range unless the '-' is last.
 */

static ngx_int_t
ngx_http_cx_pat_set(ngx_http_cx_pat_out_t *out, const u_char *p, size_t lp,
    size_t *i, const u_char **set)
{
    size_t       j, first, last;
    u_char      *bits;
    ngx_uint_t   c, neg;

    j = *i + 1;
    neg = 0;

    if (j < lp && p[j] == '^') {
        neg = 1;
        j++;
    }

    first = j;

    /* where it ends */

    for ( ;; ) {
        if (j >= lp) {
            return NGX_HTTP_CX_PAT_E_BRACKET;
        }

        if (p[j++] == '%' && j < lp) {
            j++;
        }

        if (j < lp && p[j] == ']') {
            break;
        }
    }

    last = j;
    *i = j + 1;

    if ((size_t) (out->sets - out->items)
        < NGX_HTTP_CX_PAT_SETLEN
          + (out->nitems + 1) * sizeof(ngx_http_cx_pat_item_t))
    {
        return NGX_ERROR;
    }

    out->sets -= NGX_HTTP_CX_PAT_SETLEN;
    out->nsets++;
    out->work += NGX_HTTP_CX_PAT_SETLEN;
    bits = out->sets;
    ngx_memzero(bits, NGX_HTTP_CX_PAT_SETLEN);

    /* each element costs one step per byte of the set (32) at most */

    out->work += NGX_HTTP_CX_PAT_SETLEN * (last - first);

    for (j = first; j < last; j++) {

        if (p[j] == '%') {
            j++;
            c = p[j];

            if (ngx_http_cx_pat_is_class(c)) {
                ngx_http_cx_pat_add_class(bits, c);

            } else {
                bits[c >> 3] |= (u_char) (1 << (c & 7));
            }

            continue;
        }

        if (j + 2 < last && p[j + 1] == '-') {
            for (c = p[j]; c <= p[j + 2]; c++) {
                bits[c >> 3] |= (u_char) (1 << (c & 7));
            }

            j += 2;
            continue;
        }

        c = p[j];
        bits[c >> 3] |= (u_char) (1 << (c & 7));
    }

    if (neg) {
        for (j = 0; j < NGX_HTTP_CX_PAT_SETLEN; j++) {
            bits[j] = (u_char) ~bits[j];
        }
    }

    *set = bits;

    return NGX_OK;
}


static ngx_int_t
ngx_http_cx_pat_is_class(ngx_uint_t cl)
{
    switch (cl | 0x20) {
    case 'a': case 'c': case 'd': case 'g': case 'l': case 'p':
    case 's': case 'u': case 'w': case 'x': case 'z':
        return (cl >= 'A' && cl <= 'Z') || (cl >= 'a' && cl <= 'z');
    default:
        return 0;
    }
}


static void
ngx_http_cx_pat_add_class(u_char *set, ngx_uint_t cl)
{
    ngx_uint_t     i;
    const u_char  *cs;

    cs = ngx_http_cx_pat_class_sets[(cl | 0x20) - 'a'][(cl & 0x20) ? 0 : 1];

    for (i = 0; i < NGX_HTTP_CX_PAT_SETLEN; i++) {
        set[i] |= cs[i];
    }
}


/* the classes of the C locale, for ASCII only (as LuaJIT's) */

static void
ngx_http_cx_pat_classes_init(void)
{
    u_char      *set;
    ngx_uint_t   c, k, in, bit;

    for (c = 0; c < 256; c++) {
        bit = 0;

        if (c < 0x20 || c == 0x7f) {
            bit |= NGX_HTTP_CX_PAT_CNTRL;
        }

        if ((c >= 0x09 && c <= 0x0d) || c == ' ') {
            bit |= NGX_HTTP_CX_PAT_SPACE;
        }

        if ((c >= 0x21 && c <= 0x2f) || (c >= 0x3a && c <= 0x40)
            || (c >= 0x5b && c <= 0x60) || (c >= 0x7b && c <= 0x7e))
        {
            bit |= NGX_HTTP_CX_PAT_PUNCT;
        }

        if (c >= '0' && c <= '9') {
            bit |= NGX_HTTP_CX_PAT_DIGIT|NGX_HTTP_CX_PAT_XDIGIT;
        }

        if (c >= 'a' && c <= 'z') {
            bit |= NGX_HTTP_CX_PAT_LOWER|NGX_HTTP_CX_PAT_ALPHA;
        }

        if (c >= 'A' && c <= 'Z') {
            bit |= NGX_HTTP_CX_PAT_UPPER|NGX_HTTP_CX_PAT_ALPHA;
        }

        if ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) {
            bit |= NGX_HTTP_CX_PAT_XDIGIT;
        }

        ngx_http_cx_pat_ctype[c] = (u_char) bit;
    }

    for (k = 0; k < 26; k++) {
        set = ngx_http_cx_pat_class_sets[k][0];

        for (c = 0; c < 256; c++) {
            bit = ngx_http_cx_pat_ctype[c];

            switch (k + 'a') {
            case 'a': in = bit & NGX_HTTP_CX_PAT_ALPHA; break;
            case 'c': in = bit & NGX_HTTP_CX_PAT_CNTRL; break;
            case 'd': in = bit & NGX_HTTP_CX_PAT_DIGIT; break;
            case 'g': in = bit & (NGX_HTTP_CX_PAT_PUNCT
                                  |NGX_HTTP_CX_PAT_ALPHA
                                  |NGX_HTTP_CX_PAT_DIGIT); break;
            case 'l': in = bit & NGX_HTTP_CX_PAT_LOWER; break;
            case 'p': in = bit & NGX_HTTP_CX_PAT_PUNCT; break;
            case 's': in = bit & NGX_HTTP_CX_PAT_SPACE; break;
            case 'u': in = bit & NGX_HTTP_CX_PAT_UPPER; break;
            case 'w': in = bit & (NGX_HTTP_CX_PAT_ALPHA
                                  |NGX_HTTP_CX_PAT_DIGIT); break;
            case 'x': in = bit & NGX_HTTP_CX_PAT_XDIGIT; break;
            case 'z': in = (c == 0); break;
            default: in = 0; break;
            }

            if (in) {
                set[c >> 3] |= (u_char) (1 << (c & 7));
            }
        }

        for (c = 0; c < NGX_HTTP_CX_PAT_SETLEN; c++) {
            ngx_http_cx_pat_class_sets[k][1][c] = (u_char) ~set[c];
        }
    }

    ngx_memset(ngx_http_cx_pat_any, 0xff, NGX_HTTP_CX_PAT_SETLEN);

    ngx_http_cx_pat_ready = 1;
}


/* places the frames and captures after the items, in the same memory */

static void
ngx_http_cx_pat_lay_out(ngx_http_cx_pat_t *pt, ngx_http_cx_pat_out_t *out)
{
    size_t                   need;
    u_char                  *p;
    uintptr_t                a;
    ngx_http_cx_pat_item_t  *it;

    pt->items = (ngx_http_cx_pat_item_t *) out->items;
    pt->nitems = out->nitems;
    pt->ncaps = out->ncaps;
    pt->nbal = out->nbal;
    pt->unfinished = out->unfinished;
    pt->memo_size = 0;

    p = out->items + out->nitems * sizeof(ngx_http_cx_pat_item_t);
    a = ((uintptr_t) p + 7) & ~(uintptr_t) 7;
    p = (u_char *) a;

    need = out->ncaps * sizeof(ngx_http_cx_pat_cap_t)
           + (out->nitems + 1) * sizeof(ngx_http_cx_pat_frame_t);

    if (p + need > out->sets) {
        p = lua_newuserdata(pt->L, need);
    }

    pt->caps = (ngx_http_cx_pat_cap_t *) p;
    pt->frames = (ngx_http_cx_pat_frame_t *)
                     (p + out->ncaps * sizeof(ngx_http_cx_pat_cap_t));

    /* a literal first item: the search skips to that byte */

    it = pt->items;

    if (it->op == NGX_HTTP_CX_PAT_ONE && it->kind == NGX_HTTP_CX_PAT_BYTE) {
        pt->first = it->c;

    } else if (it->op == NGX_HTTP_CX_PAT_LIT) {
        pt->first = it->set[0];

    } else {
        pt->first = 256;
    }

    pt->memo_size = pt->nitems * (pt->n + 1)
                    + pt->nbal * pt->n * sizeof(uint32_t);
    pt->memo_at = pt->memo_size;

#if (NGX_HTTP_CX_PAT_STATS)
    if (ngx_http_cx_pat_eager) {
        pt->memo_at = 0;
    }
#endif

    pt->live = 0;

    for (it = pt->items; it < pt->items + pt->nitems; it++) {
        pt->live += it->live;
    }
}


/* matching ----------------------------------------------------------- */

#define ngx_http_cx_pat_note(pt, i, s, h)                                   \
    if ((pt)->memo && !(pt)->items[i].live) {                               \
        (pt)->memo[(i) * ((pt)->n + 1) + (s)] = (u_char) ((h) + 1);         \
    }

#define ngx_http_cx_pat_noted(pt, i, s)                                     \
    ((pt)->memo[(i) * ((pt)->n + 1) + (s)])


/*
 * The end of a match of the pattern that starts at s, or -1.  States
 * are entered at "enter" (item i at position s, at LuaJIT's depth d) and
 * a failure goes back to the last state with a way left to try.
 */

ngx_int_t
ngx_http_cx_pat_match(ngx_http_cx_pat_t *pt, size_t s)
{
    size_t                    n, t;
    ngx_uint_t                i, d, high, sp, deep;
    const u_char             *subj;
    ngx_http_cx_pat_cap_t    *cap;
    ngx_http_cx_pat_item_t   *it;
    ngx_http_cx_pat_frame_t  *f;

    n = pt->n;
    subj = pt->subject;
    i = 0;
    d = 1;
    sp = 0;

enter:

    ngx_http_cx_pat_spend(pt, 1);

    if (pt->memo == NULL && pt->steps >= pt->memo_at) {
        ngx_http_cx_pat_notes(pt);
    }

    it = &pt->items[i];

    if (d > NGX_HTTP_CX_PAT_DEPTH) {
        ngx_http_cx_pat_raise(pt, "pattern too complex");
    }

    high = ngx_http_cx_pat_failed(pt, i, s, d);

    if (high) {
        goto fail;
    }

    f = &pt->frames[sp];

    switch (it->op) {

    case NGX_HTTP_CX_PAT_END:
        return s;

    case NGX_HTTP_CX_PAT_EOS:
        if (s == n) {
            return s;
        }

        break;

    case NGX_HTTP_CX_PAT_ERROR:
        ngx_http_cx_pat_raise(pt, ngx_http_cx_pat_errors[it->arg - 1]);
        break;

    case NGX_HTTP_CX_PAT_NONE:
        break;

    case NGX_HTTP_CX_PAT_ONE:
    case NGX_HTTP_CX_PAT_LIT:
    case NGX_HTTP_CX_PAT_BAL:
    case NGX_HTTP_CX_PAT_FRONTIER:
    case NGX_HTTP_CX_PAT_BACKREF:
        if (ngx_http_cx_pat_step(pt, it, s, &t) == NGX_OK) {
            goto next;
        }

        break;

    case NGX_HTTP_CX_PAT_OPT:
        f->aux = 2;

        if (s < n && ngx_http_cx_pat_test(it, subj[s])) {
            f->aux = 1;
            t = s + 1;
            goto deeper;
        }

        t = s;
        goto next;

    case NGX_HTTP_CX_PAT_MAX:
        t = ngx_http_cx_pat_run(pt, i, s, d, &high);
        f->aux = (uint32_t) t;
        deep = 1;
        goto push;

    case NGX_HTTP_CX_PAT_MIN:
        f->aux = (uint32_t) s;
        f->noted = (pt->memo != NULL);
        t = s;
        goto deeper;

    case NGX_HTTP_CX_PAT_OPEN:
    case NGX_HTTP_CX_PAT_POS:
    case NGX_HTTP_CX_PAT_CLOSE:
        cap = &pt->caps[it->arg];

        if (it->op == NGX_HTTP_CX_PAT_CLOSE) {
            cap->len = (uint32_t) (s - cap->start);

        } else {
            cap->start = (uint32_t) s;
            cap->len = (it->op == NGX_HTTP_CX_PAT_OPEN)
                       ? NGX_HTTP_CX_PAT_UNFINISHED : NGX_HTTP_CX_PAT_POSITION;
        }

        t = s;
        goto deeper;
    }

    /* the state failed on its own */

    high = d;
    ngx_http_cx_pat_note(pt, i, s, 0);
    goto fail;

deeper:

    /* on to item i + 1 at t, one level deeper (a call in LuaJIT) */

    deep = 1;
    high = d;
    goto push;

next:

    /* on to item i + 1 at t, at the same depth (LuaJIT's goto) */

    deep = 0;
    high = d;

push:

    /* x* pushes its frame with how deep a failure it met went */

    f->pos = (uint32_t) s;
    f->item = (uint16_t) i;
    f->depth = (u_char) d;
    f->high = (u_char) high;
    sp++;

    i++;
    s = t;
    d += deep;
    goto enter;

fail:

    /* the state entered last failed, reaching level "high" */

    if (ngx_http_cx_pat_back(pt, &sp, &i, &s, &d, high) == NGX_OK) {
        goto enter;
    }

    return NGX_DECLINED;
}


/*
 * An item that matches at s one way or none (x, a literal, %b, %f, a
 * back-reference): NGX_OK with its end in *t, or NGX_DECLINED.
 */

static ngx_int_t
ngx_http_cx_pat_step(ngx_http_cx_pat_t *pt, ngx_http_cx_pat_item_t *it,
    size_t s, size_t *t)
{
    size_t                  n, len;
    ngx_int_t               e;
    ngx_uint_t              prev, cur;
    const u_char           *subj, *with;
    ngx_http_cx_pat_cap_t  *cap;

    n = pt->n;
    subj = pt->subject;

    switch (it->op) {

    case NGX_HTTP_CX_PAT_ONE:
        if (s < n && ngx_http_cx_pat_test(it, subj[s])) {
            *t = s + 1;
            return NGX_OK;
        }

        return NGX_DECLINED;

    case NGX_HTTP_CX_PAT_BAL:
        e = ngx_http_cx_pat_balance(pt, it, s);

        if (e >= 0) {
            *t = (size_t) e;
            return NGX_OK;
        }

        return NGX_DECLINED;

    case NGX_HTTP_CX_PAT_FRONTIER:
        prev = (s == 0) ? 0 : subj[s - 1];
        cur = (s < n) ? subj[s] : 0;

        if (!ngx_http_cx_pat_in(it->set, prev)
            && ngx_http_cx_pat_in(it->set, cur))
        {
            *t = s;
            return NGX_OK;
        }

        return NGX_DECLINED;

    case NGX_HTTP_CX_PAT_LIT:
        len = it->arg;
        with = it->set;
        break;

    default: /* NGX_HTTP_CX_PAT_BACKREF */
        cap = &pt->caps[it->arg];
        len = cap->len;
        with = subj + cap->start;
        break;
    }

    /* a literal or what a capture holds: the same bytes at s */

    if (n - s >= len) {
        ngx_http_cx_pat_spend(pt, len);

        if (ngx_memcmp(with, subj + s, len) == 0) {
            *t = s + len;
            return NGX_OK;
        }
    }

    return NGX_DECLINED;
}


/*
 * The longest run of x* from s, or up to where one from further on
 * failed before (then *high is how deep that went).
 */

static size_t
ngx_http_cx_pat_run(ngx_http_cx_pat_t *pt, ngx_uint_t i, size_t s,
    ngx_uint_t d, ngx_uint_t *high)
{
    size_t                   t, n;
    ngx_uint_t               h;
    ngx_http_cx_pat_item_t  *it;

    n = pt->n;
    it = &pt->items[i];
    *high = d;

    for (t = s; t < n && ngx_http_cx_pat_test(it, pt->subject[t]); t++) {
        ngx_http_cx_pat_spend(pt, 1);

        h = ngx_http_cx_pat_failed(pt, i, t + 1, d);

        if (h) {
            *high = h;
            break;
        }
    }

    return t;
}


/*
 * 0, or the state (i, s) entered at depth d failed before: how deep it
 * went from there.  Deeper than LuaJIT goes, it raises again.
 */

static ngx_uint_t
ngx_http_cx_pat_failed(ngx_http_cx_pat_t *pt, ngx_uint_t i, size_t s,
    ngx_uint_t d)
{
    ngx_uint_t  h, high;

    if (pt->memo == NULL || pt->items[i].live) {
        return 0;
    }

    h = ngx_http_cx_pat_noted(pt, i, s);

    if (h == 0) {
        return 0;
    }

    high = d + h - 1;

    if (high > NGX_HTTP_CX_PAT_DEPTH) {
        ngx_http_cx_pat_raise(pt, "pattern too complex");
    }

    return high;
}


/*
 * Back from a failure that reached level "high": the last state with a
 * way left to try is entered there (NGX_OK, with *i, *s and *d), the
 * states that have none are popped and written down; NGX_DECLINED when
 * none is left.
 */

static ngx_int_t
ngx_http_cx_pat_back(ngx_http_cx_pat_t *pt, ngx_uint_t *top, ngx_uint_t *item,
    size_t *pos, ngx_uint_t *depth, ngx_uint_t high)
{
    size_t                    n, t;
    ngx_uint_t                i, d, h, sp, base, u;
    ngx_http_cx_pat_item_t   *it;
    ngx_http_cx_pat_frame_t  *f;

    n = pt->n;
    sp = *top;

    for ( ;; ) {

        if (sp == 0) {
            *top = 0;
            return NGX_DECLINED;
        }

        f = &pt->frames[sp - 1];

        if (high > f->high) {
            f->high = (u_char) high;
        }

        i = f->item;
        it = &pt->items[i];
        d = f->depth;

        switch (it->op) {

        case NGX_HTTP_CX_PAT_OPT:
            if (f->aux == 1) {
                f->aux = 2;
                *pos = f->pos;
                goto enter_next;
            }

            break;

        case NGX_HTTP_CX_PAT_MAX:

            /* everything from aux on failed: so did x* from aux */

            ngx_http_cx_pat_note(pt, i, f->aux, f->high - d);

            if (f->aux > f->pos) {
                *pos = --f->aux;
                d++;
                goto enter_next;
            }

            sp--;
            high = f->high;
            continue;

        case NGX_HTTP_CX_PAT_MIN:
            t = f->aux;

            if (t < n && ngx_http_cx_pat_test(it, pt->subject[t])) {
                ngx_http_cx_pat_spend(pt, 1);

                h = (pt->memo && !it->live)
                    ? ngx_http_cx_pat_noted(pt, i, t + 1) : 0;

                if (h == 0) {
                    *pos = ++f->aux;
                    d++;
                    goto enter_next;
                }

                /* x- from t + 1 failed before: so does the rest */

                high = d + h - 1;

                if (high > NGX_HTTP_CX_PAT_DEPTH) {
                    ngx_http_cx_pat_raise(pt, "pattern too complex");
                }

                if (high > f->high) {
                    f->high = (u_char) high;
                }

                base = h - 1;

            } else {
                base = 0;
            }

            if (pt->memo && f->noted && !it->live) {

                /* x- failed from every position it went through */

                for (u = f->aux + 1; u-- > f->pos; /* void */) {
                    h = ngx_http_cx_pat_noted(pt, i + 1, u);

                    if (h && h > base) {
                        base = h;       /* 1 + the child's (h - 1) */
                    }

                    ngx_http_cx_pat_noted(pt, i, u) = (u_char) (base + 1);
                }

            } else {
                ngx_http_cx_pat_note(pt, i, f->pos, f->high - d);
            }

            sp--;
            high = f->high;
            continue;

        default:
            break;
        }

        ngx_http_cx_pat_note(pt, i, f->pos, f->high - d);

        sp--;
        high = f->high;
    }

enter_next:

    /* the frame stays: item i + 1 at *pos, at depth d */

    *top = sp;
    *item = i + 1;
    *depth = d;

    return NGX_OK;
}


/*
 * The first match at or after init (only at init when anchored): its
 * end, and its start in *start; or -1.
 */

ngx_int_t
ngx_http_cx_pat_find(ngx_http_cx_pat_t *pt, size_t init, ngx_uint_t anchored,
    size_t *start)
{
    size_t         s;
    u_char        *q;
    ngx_int_t      e;

    s = init;

    for ( ;; ) {

        if (pt->first < 256 && !anchored) {
            q = (s < pt->n) ? memchr(pt->subject + s, (int) pt->first,
                                     pt->n - s)
                            : NULL;

            if (q == NULL) {
                ngx_http_cx_pat_spend(pt, pt->n - s);
                return NGX_DECLINED;
            }

            ngx_http_cx_pat_spend(pt, q - (pt->subject + s));
            s = q - pt->subject;
        }

        e = ngx_http_cx_pat_match(pt, s);

        if (e >= 0) {
            *start = s;
            return e;
        }

        if (anchored || s >= pt->n) {
            return NGX_DECLINED;
        }

        s++;
    }
}


/*
 * %b at s: where the balanced part ends, or -1.  Without notes it counts
 * its way there; with them, the ends are in a table made in one pass.
 */

static ngx_int_t
ngx_http_cx_pat_balance(ngx_http_cx_pat_t *pt, ngx_http_cx_pat_item_t *it,
    size_t s)
{
    size_t         t, depth;
    uint32_t      *close;
    const u_char  *subj;

    subj = pt->subject;

    if (s >= pt->n || subj[s] != it->c) {
        return -1;
    }

    if (pt->close) {
        close = pt->close + (size_t) it->arg * pt->n;

        return close[s] ? (ngx_int_t) close[s] : -1;
    }

    depth = 1;

    for (t = s + 1; t < pt->n; t++) {
        ngx_http_cx_pat_spend(pt, 1);

        if (subj[t] == it->c2) {
            if (--depth == 0) {
                return (ngx_int_t) t + 1;
            }

        } else if (subj[t] == it->c) {
            depth++;
        }
    }

    return -1;
}


/*
 * The notes: a byte per state, 0 (not failed yet) or 1 + how many levels
 * deeper than itself a failed state went; and for each %b item the end
 * of the balanced part from each position (0: none), found in one pass:
 * a stack of the opening bytes still open, threaded through the table
 * itself.
 */

static void
ngx_http_cx_pat_notes(ngx_http_cx_pat_t *pt)
{
    size_t                   t, n, top, below;
    u_char                  *mem;
    uint32_t                *close;
    ngx_uint_t               k;
    const u_char            *subj;
    ngx_http_cx_pat_item_t  *it;

    n = pt->n;
    subj = pt->subject;

    mem = lua_newuserdata(pt->L, pt->memo_size);

    ngx_memzero(mem, pt->memo_size);

    pt->close = (uint32_t *) mem;
    pt->memo = mem + pt->nbal * n * sizeof(uint32_t);

    if (pt->nbal == 0) {
        pt->close = NULL;
        return;
    }

    for (k = 0; k < pt->nitems; k++) {
        it = &pt->items[k];

        if (it->op != NGX_HTTP_CX_PAT_BAL) {
            continue;
        }

        close = pt->close + (size_t) it->arg * n;

        ngx_http_cx_pat_spend(pt, n);

        if (it->c == it->c2) {
            /* the next one closes */

            below = 0;

            for (t = n; t-- > 0; /* void */) {
                if (subj[t] == it->c) {
                    close[t] = (uint32_t) below;
                    below = t + 1;
                }
            }

            continue;
        }

        /* close[t] holds the open one below t (+ 1) until t closes */

        top = 0;

        for (t = 0; t < n; t++) {
            if (subj[t] == it->c2) {
                if (top) {
                    below = close[top - 1];
                    close[top - 1] = (uint32_t) t + 1;
                    top = below;
                }

            } else if (subj[t] == it->c) {
                close[t] = (uint32_t) top;
                top = t + 1;
            }
        }

        /* those never closed */

        while (top) {
            below = close[top - 1];
            close[top - 1] = 0;
            top = below;
        }
    }
}


static void
ngx_http_cx_pat_raise(ngx_http_cx_pat_t *pt, const char *msg)
{
    ngx_http_cx_pat_charge(pt);

    (void) luaL_error(pt->L, "%s", msg);
}


/* the budget --------------------------------------------------------- */

void
ngx_http_cx_pat_spend_more(ngx_http_cx_pat_t *pt, size_t k)
{
    (void) ngx_http_cx_lua_charge(pt->L, pt->vm, pt->from - pt->left + k);

    pt->left = ngx_http_cx_lua_left(pt->vm);
    pt->from = pt->left;
}


/* adds the steps taken so far to what the call spent */

void
ngx_http_cx_pat_charge(ngx_http_cx_pat_t *pt)
{
#if (NGX_HTTP_CX_PAT_STATS)
    ngx_http_cx_pat_stats(pt);
#endif

    (void) ngx_http_cx_lua_charge(pt->L, pt->vm, pt->from - pt->left);

    pt->left = ngx_http_cx_lua_left(pt->vm);
    pt->from = pt->left;
}
