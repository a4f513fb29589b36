
/*
 * ngx_http_cx_lua_pattern.h: the rules' Lua pattern matcher
 * (ngx_http_cx_lua_pattern.c), as string.find, match, gmatch and gsub
 * (ngx_http_cx_lua_string.c) use it.
 */


#ifndef _NGX_HTTP_CX_LUA_PATTERN_H_INCLUDED_
#define _NGX_HTTP_CX_LUA_PATTERN_H_INCLUDED_


#include "ngx_http_cx_lua.h"


#define NGX_HTTP_CX_PAT_CAPTURES     32     /* as in LuaJIT */
#define NGX_HTTP_CX_PAT_DEPTH        200    /* LuaJIT's nesting limit */
#define NGX_HTTP_CX_PAT_INLINE       384    /* bytes of a small program */

#define NGX_HTTP_CX_PAT_UNFINISHED   ((uint32_t) -1)
#define NGX_HTTP_CX_PAT_POSITION     ((uint32_t) -2)


typedef struct ngx_http_cx_pat_item_s   ngx_http_cx_pat_item_t;
typedef struct ngx_http_cx_pat_frame_s  ngx_http_cx_pat_frame_t;


typedef struct {
    uint32_t                     start;
    uint32_t                     len;       /* or _UNFINISHED, _POSITION */
} ngx_http_cx_pat_cap_t;


/* a compiled pattern on one subject, and the state of matching it */

typedef struct {
    lua_State                   *L;
    ngx_http_cx_lua_vm_t        *vm;

    const u_char                *subject;
    size_t                       n;

    ngx_http_cx_pat_item_t      *items;
    ngx_uint_t                   nitems;
    ngx_uint_t                   ncaps;
    ngx_uint_t                   nbal;      /* %b items */
    uint32_t                     unfinished; /* captures open at the end */
    ngx_http_cx_pat_cap_t       *caps;
    ngx_http_cx_pat_frame_t     *frames;

    u_char                      *memo;      /* nitems x (n + 1), or NULL */
    uint32_t                    *close;     /* nbal x n */
    size_t                       memo_size;
    size_t                       memo_at;   /* steps before the notes */
    ngx_uint_t                   live;      /* items a back-reference
                                               makes live */

    size_t                       steps;     /* of matching, this call */
    size_t                       plen;      /* the pattern's length */
    size_t                       left;      /* steps until the budget */
    size_t                       from;      /* left when last charged */

    ngx_uint_t                   first;     /* the byte every match
                                               starts with, or 256 */

    union {
        u_char                   bytes[NGX_HTTP_CX_PAT_INLINE];
        uint64_t                 align;
    } buf;
} ngx_http_cx_pat_t;


void ngx_http_cx_pat_compile(ngx_http_cx_pat_t *pt, lua_State *L,
    const u_char *subject, size_t n, const u_char *p, size_t lp);
ngx_int_t ngx_http_cx_pat_match(ngx_http_cx_pat_t *pt, size_t s);
ngx_int_t ngx_http_cx_pat_find(ngx_http_cx_pat_t *pt, size_t init,
    ngx_uint_t anchored, size_t *start);
void ngx_http_cx_pat_spend_more(ngx_http_cx_pat_t *pt, size_t k);
void ngx_http_cx_pat_charge(ngx_http_cx_pat_t *pt);


/* counts k steps of matching against the budget; raises when it is spent */

static ngx_inline void
ngx_http_cx_pat_spend(ngx_http_cx_pat_t *pt, size_t k)
{
    pt->steps += k;

    if (pt->left >= k) {
        pt->left -= k;
        return;
    }

    ngx_http_cx_pat_spend_more(pt, k);
}


/* the same for k bytes copied into a result */

static ngx_inline void
ngx_http_cx_pat_spend_bytes(ngx_http_cx_pat_t *pt, size_t k)
{
    if (pt->left >= k) {
        pt->left -= k;
        return;
    }

    ngx_http_cx_pat_spend_more(pt, k);
}


#if (NGX_HTTP_CX_PAT_STATS)
/* the differential fuzzer's look at every charge; notes from the start */
void ngx_http_cx_pat_stats(ngx_http_cx_pat_t *pt);
extern ngx_uint_t  ngx_http_cx_pat_eager;
#endif


#endif /* _NGX_HTTP_CX_LUA_PATTERN_H_INCLUDED_ */
