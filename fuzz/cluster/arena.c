
/*
 * fuzz/cluster/arena.c: ngx_palloc() and ngx_pnalloc() for the cluster
 * harness and check program.  Each allocation is its own malloc (so
 * ASan sees its bounds), freed together by arena_reset(); past a budget
 * of bytes or blocks they return NULL, so running out of memory is a
 * path the fuzzer walks too.
 */


#include <stdlib.h>

#include "arena.h"


#define ARENA_BYTES   (1024 * 1024)
#define ARENA_BLOCKS  4096


static void    *blocks[ARENA_BLOCKS];
static size_t   nblocks;
static size_t   used;


void
arena_reset(void)
{
    while (nblocks) {
        free(blocks[--nblocks]);
    }

    used = 0;
}


void *
ngx_palloc(ngx_pool_t *pool, size_t size)
{
    void  *p;

    if (nblocks == ARENA_BLOCKS || ARENA_BYTES - used < size) {
        return NULL;
    }

    p = malloc(size ? size : 1);
    if (p == NULL) {
        return NULL;
    }

    blocks[nblocks++] = p;
    used += size;

    return p;
}


void *
ngx_pnalloc(ngx_pool_t *pool, size_t size)
{
    return ngx_palloc(pool, size);
}
