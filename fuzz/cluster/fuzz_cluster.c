
/*
 * fuzz/cluster/fuzz_cluster.c: libFuzzer harness for the Redis Cluster
 * client rules (ngx_cx_module/ngx_http_cx_redis_cluster.c).  The first
 * byte picks the target: even, the rest is RESP bytes fed to hiredis's
 * reader and every reply it yields is read as a CLUSTER SLOTS map; odd,
 * the rest is an error reply's text for the redirection parser and a key
 * for the slot function.  Beyond "no crash, no read out of bounds"
 * (ASan, UBSan) it checks what the unit promises: a map it accepts
 * sends every slot of every range of the reply to that range's primary,
 * and nothing else; a refusal has a reason; a redirection's slot, port
 * and host are in range and inside the input; the slot of a key is the
 * one of a plain reading of the spec.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <stdlib.h>

#include "ngx_http_cx_redis_cluster.h"
#include "arena.h"


/* the spec's CRC16, bit by bit, and its hash tag rule, byte by byte */

static ngx_uint_t
plain_slot(const u_char *key, size_t len)
{
    size_t    i, open, close;
    uint16_t  crc;
    int       b;

    for (open = 0; open < len && key[open] != '{'; open++) { /* void */ }

    if (open < len) {
        for (close = open + 1; close < len && key[close] != '}'; close++) {
            /* void */
        }

        if (close < len && close != open + 1) {
            key += open + 1;
            len = close - open - 1;
        }
    }

    crc = 0;

    for (i = 0; i < len; i++) {
        crc ^= (uint16_t) (key[i] << 8);

        for (b = 0; b < 8; b++) {
            crc = (crc & 0x8000) ? (uint16_t) ((crc << 1) ^ 0x1021)
                                 : (uint16_t) (crc << 1);
        }
    }

    return crc % 16384;
}


/* aggregate counts past this would make hiredis allocate gigabytes */

static int
too_big(const uint8_t *p, size_t size)
{
    size_t  i, n;

    for (i = 0; i < size; i++) {
        if (p[i] != '*' && p[i] != '%' && p[i] != '~' && p[i] != '>') {
            continue;
        }

        for (n = 0; i + 1 < size && p[i + 1] >= '0' && p[i + 1] <= '9'; i++) {
            n = n * 10 + p[i + 1] - '0';

            if (n > 20000) {
                return 1;
            }
        }
    }

    return 0;
}


static int
same_node(ngx_http_cx_cluster_node_t *node, redisReply *n)
{
    redisReply  *h;

    h = n->element[0];

    if (h->type == REDIS_REPLY_NIL) {
        return node->host.len == 0 && node->port == n->element[1]->integer;
    }

    return node->host.len == h->len
           && memcmp(node->host.data, h->str, h->len) == 0
           && node->port == n->element[1]->integer;
}


static void
check_map(redisReply *r)
{
    size_t                           i, s, served;
    ngx_int_t                        rc;
    const char                      *reason;
    redisReply                      *e;
    ngx_http_cx_cluster_map_t       *map;
    ngx_http_cx_cluster_node_t      *node;
    ngx_http_cx_cluster_redirect_t   rd;

    reason = NULL;
    map = NULL;

    rc = ngx_http_cx_cluster_map(r, NULL, &map, &reason);

    if (rc != NGX_OK) {
        if (rc != NGX_ERROR || reason == NULL) {
            abort();
        }

        return;
    }

    /* accepted: the reply's ranges, exactly */

    served = 0;

    for (i = 0; i < r->elements; i++) {
        e = r->element[i];

        for (s = e->element[0]->integer; s <= (size_t) e->element[1]->integer;
             s++)
        {
            node = ngx_http_cx_cluster_node(map, s);

            if (node == NULL || !same_node(node, e->element[2])) {
                abort();
            }
        }

        served += e->element[1]->integer - e->element[0]->integer + 1;
    }

    if (served != map->covered || map->nnodes == 0
        || map->nnodes > NGX_HTTP_CX_CLUSTER_MAX_NODES)
    {
        abort();
    }

    for (s = 0, i = 0; s < NGX_HTTP_CX_CLUSTER_SLOTS; s++) {
        if (map->slot[s] == NGX_HTTP_CX_CLUSTER_NONE) {
            continue;
        }

        if (map->slot[s] >= map->nnodes) {
            abort();
        }

        i++;
    }

    if (i != served) {
        abort();
    }

    /* a MOVED to a new node: that slot, and only it, goes there */

    rd.type = NGX_HTTP_CX_CLUSTER_MOVED;
    rd.slot = (served * 7919) % NGX_HTTP_CX_CLUSTER_SLOTS;
    ngx_str_set(&rd.host, "moved.test");
    rd.port = 1;

    if (ngx_http_cx_cluster_moved(map, &rd, NULL) != NGX_OK) {
        return;     /* too many primaries or no memory: the map is as it was */
    }

    node = ngx_http_cx_cluster_node(map, rd.slot);

    if (node == NULL || node->port != 1 || node->host.len != 10
        || memcmp(node->host.data, "moved.test", 10) != 0)
    {
        abort();
    }

    for (s = 0, i = 0; s < NGX_HTTP_CX_CLUSTER_SLOTS; s++) {
        i += (map->slot[s] != NGX_HTTP_CX_CLUSTER_NONE);
    }

    if (i != map->covered || map->covered < served) {
        abort();
    }
}


static void
check_redirect(const uint8_t *data, size_t size)
{
    u_char                          *p;
    ngx_int_t                        rc;
    const char                      *reason;
    ngx_http_cx_cluster_redirect_t   rd;

    /* an exact copy: reading one byte past it is an ASan report */

    p = malloc(size ? size : 1);
    memcpy(p, data, size);

    reason = NULL;
    ngx_memzero(&rd, sizeof(rd));

    rc = ngx_http_cx_cluster_redirect(p, size, &rd, &reason);

    if (rc == NGX_ERROR && reason == NULL) {
        abort();
    }

    if (rc == NGX_OK && (rd.type == NGX_HTTP_CX_CLUSTER_MOVED
                         || rd.type == NGX_HTTP_CX_CLUSTER_ASK))
    {
        if (rd.slot >= NGX_HTTP_CX_CLUSTER_SLOTS || rd.port == 0
            || rd.host.data < p || rd.host.data + rd.host.len > p + size)
        {
            abort();
        }
    }

    if (ngx_http_cx_cluster_slot(p, size) != plain_slot(p, size)) {
        abort();
    }

    free(p);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    void         *reply;
    redisReader  *reader;

    if (size == 0 || size > 65536) {
        return 0;
    }

    if (data[0] & 1) {
        check_redirect(data + 1, size - 1);
        return 0;
    }

    if (too_big(data + 1, size - 1)) {
        return 0;
    }

    reader = redisReaderCreate();
    if (reader == NULL) {
        return 0;
    }

    if (redisReaderFeed(reader, (const char *) data + 1, size - 1)
        == REDIS_OK)
    {
        while (redisReaderGetReply(reader, &reply) == REDIS_OK
               && reply != NULL)
        {
            check_map(reply);
            freeReplyObject(reply);
            arena_reset();
        }
    }

    redisReaderFree(reader);
    arena_reset();

    return 0;
}
