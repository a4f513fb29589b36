
/*
 * ngx_http_cx_redis_reply.c: Redis replies in memory the connection owns.
 *
 * hiredis' redisReader parses the protocol and calls our object
 * functions, which build its redisReply structs (the type the rest of the
 * module reads) in the connection's arena: chunks of
 * NGX_HTTP_CX_REDIS_CHUNK, bump-allocated, reset once a reply's callback
 * has returned and kept for the next reply (up to
 * NGX_HTTP_CX_REDIS_ARENA_KEEP).  No malloc per field, nothing to free
 * per reply; a reply (or its unparsed bytes) may take at most
 * NGX_HTTP_CX_REDIS_REPLY_MAX, past that the connection fails.
 */


#include "ngx_http_cx_module.h"
#include "ngx_http_cx_redis_conn.h"


#define NGX_HTTP_CX_REDIS_CHUNK       16384
#define NGX_HTTP_CX_REDIS_ARENA_KEEP  (1024 * 1024)


static void *ngx_http_cx_redis_alloc(ngx_http_cx_redis_conn_t *rc,
    size_t size);
static redisReply *ngx_http_cx_redis_object(const redisReadTask *task,
    int type);
static void *ngx_http_cx_redis_create_string(const redisReadTask *task,
    char *str, size_t len);
static void *ngx_http_cx_redis_create_array(const redisReadTask *task,
    int elements);
static void *ngx_http_cx_redis_create_integer(const redisReadTask *task,
    long long value);
static void *ngx_http_cx_redis_create_nil(const redisReadTask *task);
static void ngx_http_cx_redis_free_object(void *reply);


static redisReplyObjectFunctions  ngx_http_cx_redis_reply_functions = {
    ngx_http_cx_redis_create_string,
    ngx_http_cx_redis_create_array,
    ngx_http_cx_redis_create_integer,
    ngx_http_cx_redis_create_nil,
    ngx_http_cx_redis_free_object
};


/* a reader whose replies go into rc's arena */

redisReader *
ngx_http_cx_redis_reader(ngx_http_cx_redis_conn_t *rc)
{
    redisReader  *reader;

    reader = redisReaderCreateWithFunctions(
                                           &ngx_http_cx_redis_reply_functions);
    if (reader == NULL) {
        return NULL;
    }

    reader->privdata = rc;

    return reader;
}


void
ngx_http_cx_redis_arena_free(ngx_http_cx_redis_conn_t *rc)
{
    ngx_http_cx_redis_chunk_t  *ch, *next;

    for (ch = rc->arena; ch; ch = next) {
        next = ch->next;
        ngx_free(ch);
    }

    rc->arena = NULL;
    rc->arena_current = NULL;
    rc->arena_size = 0;
}


static void *
ngx_http_cx_redis_alloc(ngx_http_cx_redis_conn_t *rc, size_t size)
{
    u_char                     *p;
    size_t                      n;
    ngx_http_cx_redis_chunk_t  *ch, *last;

    size = ngx_align(size, sizeof(void *));

    last = NULL;

    for (ch = rc->arena_current; ch; ch = ch->next) {
        if ((size_t) (ch->end - ch->pos) >= size) {
            p = ch->pos;
            ch->pos += size;
            rc->arena_current = ch;
            return p;
        }

        last = ch;
    }

    n = ngx_max(size + sizeof(ngx_http_cx_redis_chunk_t),
                (size_t) NGX_HTTP_CX_REDIS_CHUNK);

    if (size > NGX_HTTP_CX_REDIS_REPLY_MAX
        || rc->arena_size + n > NGX_HTTP_CX_REDIS_REPLY_MAX)
    {
        return NULL;
    }

    ch = ngx_alloc(n, rc->log);
    if (ch == NULL) {
        return NULL;
    }

    ch->next = NULL;
    ch->pos = (u_char *) ch + sizeof(ngx_http_cx_redis_chunk_t);
    ch->end = (u_char *) ch + n;

    if (last) {
        last->next = ch;

    } else if (rc->arena == NULL) {
        rc->arena = ch;

    } else {
        for (last = rc->arena; last->next; last = last->next) { /* void */ }
        last->next = ch;
    }

    rc->arena_size += n;
    rc->arena_current = ch;

    p = ch->pos;
    ch->pos += size;

    return p;
}


void
ngx_http_cx_redis_arena_reset(ngx_http_cx_redis_conn_t *rc)
{
    ngx_http_cx_redis_chunk_t  *ch, *next;

    if (rc->arena == NULL) {
        return;
    }

    if (rc->arena_size > NGX_HTTP_CX_REDIS_ARENA_KEEP) {
        /* a big reply: its memory goes, the first chunk stays */

        for (ch = rc->arena->next; ch; ch = next) {
            next = ch->next;
            rc->arena_size -= ch->end - (u_char *) ch;
            ngx_free(ch);
        }

        rc->arena->next = NULL;
    }

    for (ch = rc->arena; ch; ch = ch->next) {
        ch->pos = (u_char *) ch + sizeof(ngx_http_cx_redis_chunk_t);
    }

    rc->arena_current = rc->arena;
}


/* a reply object of the arena, in its parent array if it has one */

static redisReply *
ngx_http_cx_redis_object(const redisReadTask *task, int type)
{
    redisReply                *r, *parent;
    ngx_http_cx_redis_conn_t  *rc;

    rc = task->privdata;

    r = ngx_http_cx_redis_alloc(rc, sizeof(redisReply));
    if (r == NULL) {
        return NULL;
    }

    ngx_memzero(r, sizeof(redisReply));
    r->type = type;

    if (task->parent) {
        parent = task->parent->obj;

        if (parent == NULL || parent->type != REDIS_REPLY_ARRAY
            || task->idx < 0 || (size_t) task->idx >= parent->elements)
        {
            return NULL;
        }

        parent->element[task->idx] = r;
    }

    return r;
}


static void *
ngx_http_cx_redis_create_string(const redisReadTask *task, char *str,
    size_t len)
{
    redisReply  *r;

    if (len > NGX_HTTP_CX_REDIS_REPLY_MAX) {
        return NULL;
    }

    r = ngx_http_cx_redis_object(task, task->type);
    if (r == NULL) {
        return NULL;
    }

    r->str = ngx_http_cx_redis_alloc(task->privdata, len + 1);
    if (r->str == NULL) {
        return NULL;
    }

    ngx_memcpy(r->str, str, len);
    r->str[len] = '\0';
    r->len = len;

    return r;
}


static void *
ngx_http_cx_redis_create_array(const redisReadTask *task, int elements)
{
    redisReply  *r;

    if (elements < 0
        || (size_t) elements > NGX_HTTP_CX_REDIS_REPLY_MAX / sizeof(void *))
    {
        return NULL;
    }

    r = ngx_http_cx_redis_object(task, REDIS_REPLY_ARRAY);
    if (r == NULL) {
        return NULL;
    }

    if (elements) {
        r->element = ngx_http_cx_redis_alloc(task->privdata,
                                             elements * sizeof(redisReply *));
        if (r->element == NULL) {
            return NULL;
        }

        ngx_memzero(r->element, elements * sizeof(redisReply *));
    }

    r->elements = elements;

    return r;
}


static void *
ngx_http_cx_redis_create_integer(const redisReadTask *task, long long value)
{
    redisReply  *r;

    r = ngx_http_cx_redis_object(task, REDIS_REPLY_INTEGER);
    if (r == NULL) {
        return NULL;
    }

    r->integer = value;

    return r;
}


static void *
ngx_http_cx_redis_create_nil(const redisReadTask *task)
{
    return ngx_http_cx_redis_object(task, REDIS_REPLY_NIL);
}


/* the arena is reset as a whole */

static void
ngx_http_cx_redis_free_object(void *reply)
{
}
