
/*
 * ngx_http_cx_lua_paths.c: what touchpoint(r) returned, remembered per
 * path.  A call that read nothing of the request but r.path (and used no
 * clock and no chance: the accessors and helpers say what they read,
 * ngx_http_cx_lua_vm_t.reads) gives the same answer for the same path
 * every time -- rules cannot keep state between calls -- so the next page
 * view of that path takes the answer from here instead of calling.  One
 * small direct-mapped table per rule file in each worker; a new VM (a
 * reload, a reset) starts empty.
 */


#include "ngx_http_cx_lua.h"


#define NGX_HTTP_CX_LUA_PATHS      512      /* entries, a power of 2 */
#define NGX_HTTP_CX_LUA_PATH_MAX   128      /* longer paths: not kept */


typedef struct {
    uint32_t                     hash;
    u_char                       used;
    u_char                       path_len;
    u_char                       tp_len;    /* 0: no touchpoint */
    u_char                       path[NGX_HTTP_CX_LUA_PATH_MAX];
    u_char                       tp[NGX_HTTP_CX_NAME_MAX];
} ngx_http_cx_lua_path_t;


struct ngx_http_cx_lua_paths_s {
    ngx_http_cx_lua_path_t       entry[NGX_HTTP_CX_LUA_PATHS];
};


static uint32_t ngx_http_cx_lua_path_hash(ngx_str_t *path);


/*
 * NGX_OK: remembered, the touchpoint copied to the pool; NGX_DECLINED:
 * remembered, no touchpoint; NGX_AGAIN: not remembered; NGX_ERROR
 */

ngx_int_t
ngx_http_cx_lua_paths_find(ngx_http_cx_lua_set_t *set, ngx_str_t *path,
    ngx_pool_t *pool, ngx_str_t *tp)
{
    uint32_t                 hash;
    ngx_http_cx_lua_path_t  *e;

    if (set->paths == NULL || path->len > NGX_HTTP_CX_LUA_PATH_MAX) {
        return NGX_AGAIN;
    }

    hash = ngx_http_cx_lua_path_hash(path);
    e = &set->paths->entry[hash & (NGX_HTTP_CX_LUA_PATHS - 1)];

    if (!e->used || e->hash != hash || e->path_len != path->len
        || ngx_memcmp(e->path, path->data, path->len) != 0)
    {
        return NGX_AGAIN;
    }

    if (e->tp_len == 0) {
        return NGX_DECLINED;
    }

    tp->data = ngx_pnalloc(pool, e->tp_len);
    if (tp->data == NULL) {
        return NGX_ERROR;
    }

    tp->len = e->tp_len;
    ngx_memcpy(tp->data, e->tp, e->tp_len);

    return NGX_OK;
}


/* tp: a valid touchpoint name, or empty for none */

void
ngx_http_cx_lua_paths_add(ngx_http_cx_lua_set_t *set, ngx_str_t *path,
    ngx_str_t *tp)
{
    uint32_t                 hash;
    ngx_http_cx_lua_path_t  *e;

    if (path->len > NGX_HTTP_CX_LUA_PATH_MAX
        || tp->len > NGX_HTTP_CX_NAME_MAX)
    {
        return;
    }

    if (set->paths == NULL) {
        /* a worker's, for as long as its VM lives: not from a pool */
        set->paths = ngx_calloc(sizeof(ngx_http_cx_lua_paths_t),
                                ngx_cycle->log);
        if (set->paths == NULL) {
            return;
        }
    }

    hash = ngx_http_cx_lua_path_hash(path);
    e = &set->paths->entry[hash & (NGX_HTTP_CX_LUA_PATHS - 1)];

    e->used = 1;
    e->hash = hash;
    e->path_len = (u_char) path->len;
    ngx_memcpy(e->path, path->data, path->len);
    e->tp_len = (u_char) tp->len;
    ngx_memcpy(e->tp, tp->data, tp->len);
}


void
ngx_http_cx_lua_paths_free(ngx_http_cx_lua_set_t *set)
{
    if (set->paths) {
        ngx_free(set->paths);
        set->paths = NULL;
    }
}


/* FNV-1a */

static uint32_t
ngx_http_cx_lua_path_hash(ngx_str_t *path)
{
    size_t    i;
    uint32_t  h;

    h = 2166136261u;

    for (i = 0; i < path->len; i++) {
        h = (h ^ path->data[i]) * 16777619u;
    }

    return h ^ (h >> 15);
}
