
/*
 * ngx_http_cx_redis_cluster.c: Redis Cluster's rules as a client sees
 * them (https://redis.io/docs/reference/cluster-spec/).
 *
 * A key lives in slot CRC16(key) mod 16384, CRC16 being the CCITT
 * polynomial 0x1021 with a zero start and no reflection (XMODEM); a key
 * with a hash tag, the bytes between its first '{' and the first '}'
 * after it when there is at least one, hashes the tag alone.  The map
 * from slots to primaries comes from CLUSTER SLOTS, read as hostile
 * input: every type, range and address is checked and a reply that is
 * not a map is refused with a reason, never half-used.  The error
 * replies that redirect a client are parsed here too.
 */


#include "ngx_http_cx_redis_cluster.h"


static ngx_int_t ngx_http_cx_cluster_range(ngx_http_cx_cluster_map_t *map,
    redisReply *e, ngx_pool_t *pool, const char **reason);
static ngx_int_t ngx_http_cx_cluster_endpoint(redisReply *n, ngx_str_t *host,
    in_port_t *port, const char **reason);
static ngx_int_t ngx_http_cx_cluster_add_node(ngx_http_cx_cluster_map_t *map,
    ngx_str_t *host, in_port_t port, ngx_pool_t *pool);
static ngx_int_t ngx_http_cx_cluster_host(u_char *p, size_t len);
static ngx_int_t ngx_http_cx_cluster_number(u_char *p, size_t len,
    ngx_uint_t max);


static uint16_t  ngx_http_cx_cluster_crc_table[256];
static ngx_uint_t  ngx_http_cx_cluster_crc_ready;


uint16_t
ngx_http_cx_cluster_crc16(u_char *p, size_t len)
{
    uint16_t    crc, c;
    ngx_uint_t  i, b;

    if (!ngx_http_cx_cluster_crc_ready) {

        /* the CRC of each byte value alone, bit by bit, once */

        for (i = 0; i < 256; i++) {
            c = (uint16_t) (i << 8);

            for (b = 0; b < 8; b++) {
                c = (c & 0x8000) ? (uint16_t) ((c << 1) ^ 0x1021)
                                 : (uint16_t) (c << 1);
            }

            ngx_http_cx_cluster_crc_table[i] = c;
        }

        ngx_http_cx_cluster_crc_ready = 1;
    }

    crc = 0;

    while (len--) {
        crc = (uint16_t) ((crc << 8)
                          ^ ngx_http_cx_cluster_crc_table[(crc >> 8) ^ *p++]);
    }

    return crc;
}


ngx_uint_t
ngx_http_cx_cluster_slot(u_char *key, size_t len)
{
    u_char  *open, *close;

    open = ngx_strlchr(key, key + len, '{');

    if (open != NULL) {
        close = ngx_strlchr(open + 1, key + len, '}');

        if (close != NULL && close > open + 1) {
            key = open + 1;
            len = close - key;
        }
    }

    return ngx_http_cx_cluster_crc16(key, len)
           & (NGX_HTTP_CX_CLUSTER_SLOTS - 1);
}


ngx_int_t
ngx_http_cx_cluster_map(redisReply *r, ngx_pool_t *pool,
    ngx_http_cx_cluster_map_t **map, const char **reason)
{
    size_t                      i;
    ngx_http_cx_cluster_map_t  *m;

    if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
        *reason = "CLUSTER SLOTS: not an array";
        return NGX_ERROR;
    }

    if (r->elements == 0) {
        *reason = "CLUSTER SLOTS: no slot is served";
        return NGX_ERROR;
    }

    if (r->elements > NGX_HTTP_CX_CLUSTER_SLOTS) {
        *reason = "CLUSTER SLOTS: more ranges than slots";
        return NGX_ERROR;
    }

    m = ngx_palloc(pool, sizeof(ngx_http_cx_cluster_map_t));
    if (m == NULL) {
        *reason = "no memory";
        return NGX_ERROR;
    }

    ngx_memset(m->slot, 0xff, sizeof(m->slot));
    m->nodes = NULL;
    m->nnodes = 0;
    m->covered = 0;

    for (i = 0; i < r->elements; i++) {
        if (ngx_http_cx_cluster_range(m, r->element[i], pool, reason)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    *map = m;

    return NGX_OK;
}


/* one entry: start, end, the primary, then its replicas */

static ngx_int_t
ngx_http_cx_cluster_range(ngx_http_cx_cluster_map_t *map, redisReply *e,
    ngx_pool_t *pool, const char **reason)
{
    size_t      i;
    in_port_t   port;
    ngx_int_t   n;
    ngx_str_t   host;
    long long   start, end;

    if (e == NULL || e->type != REDIS_REPLY_ARRAY || e->elements < 3) {
        *reason = "CLUSTER SLOTS: a range is not [start, end, node, ...]";
        return NGX_ERROR;
    }

    if (e->element[0] == NULL || e->element[0]->type != REDIS_REPLY_INTEGER
        || e->element[1] == NULL || e->element[1]->type != REDIS_REPLY_INTEGER)
    {
        *reason = "CLUSTER SLOTS: a range's bounds are not integers";
        return NGX_ERROR;
    }

    start = e->element[0]->integer;
    end = e->element[1]->integer;

    if (start < 0 || end >= NGX_HTTP_CX_CLUSTER_SLOTS || start > end) {
        *reason = "CLUSTER SLOTS: a range is out of 0-16383";
        return NGX_ERROR;
    }

    if (ngx_http_cx_cluster_endpoint(e->element[2], &host, &port, reason)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* the replicas are checked too: a reply with a bad one is not sane */

    for (i = 3; i < e->elements; i++) {
        if (ngx_http_cx_cluster_endpoint(e->element[i], NULL, NULL, reason)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    n = ngx_http_cx_cluster_add_node(map, &host, port, pool);

    if (n == NGX_ERROR) {
        *reason = "no memory";
        return NGX_ERROR;
    }

    if (n == NGX_DECLINED) {
        *reason = "CLUSTER SLOTS: too many primaries";
        return NGX_ERROR;
    }

    if ((size_t) e->elements - 3 > map->nodes[n].replicas) {
        map->nodes[n].replicas = e->elements - 3;
    }

    for (i = (size_t) start; i <= (size_t) end; i++) {
        if (map->slot[i] != NGX_HTTP_CX_CLUSTER_NONE) {
            *reason = "CLUSTER SLOTS: ranges overlap";
            return NGX_ERROR;
        }

        map->slot[i] = (uint16_t) n;
    }

    map->covered += end - start + 1;

    return NGX_OK;
}


/* a node: [endpoint, port, id, ...]; host and port NULL: check only */

static ngx_int_t
ngx_http_cx_cluster_endpoint(redisReply *n, ngx_str_t *host, in_port_t *port,
    const char **reason)
{
    redisReply  *h, *p;

    if (n == NULL || n->type != REDIS_REPLY_ARRAY || n->elements < 2) {
        *reason = "CLUSTER SLOTS: a node is not [endpoint, port, ...]";
        return NGX_ERROR;
    }

    h = n->element[0];
    p = n->element[1];

    if (h == NULL
        || (h->type != REDIS_REPLY_STRING && h->type != REDIS_REPLY_NIL))
    {
        *reason = "CLUSTER SLOTS: a node's endpoint is not a string";
        return NGX_ERROR;
    }

    if (h->type == REDIS_REPLY_STRING && h->len == 1 && h->str[0] == '?') {
        *reason = "CLUSTER SLOTS: a node's endpoint is unknown (\"?\")";
        return NGX_ERROR;
    }

    if (h->type == REDIS_REPLY_STRING
        && ngx_http_cx_cluster_host((u_char *) h->str, h->len) != NGX_OK)
    {
        *reason = "CLUSTER SLOTS: a node's endpoint is not a host";
        return NGX_ERROR;
    }

    if (p == NULL || p->type != REDIS_REPLY_INTEGER
        || p->integer <= 0 || p->integer > 65535)
    {
        *reason = "CLUSTER SLOTS: a node's port is not 1-65535";
        return NGX_ERROR;
    }

    if (host != NULL) {
        host->data = (u_char *) (h->type == REDIS_REPLY_STRING ? h->str : "");
        host->len = (h->type == REDIS_REPLY_STRING) ? h->len : 0;
        *port = (in_port_t) p->integer;
    }

    return NGX_OK;
}


/*
 * The index of the primary host:port, added (its host copied) if new;
 * NGX_DECLINED past NGX_HTTP_CX_CLUSTER_MAX_NODES.  A map has few
 * primaries: a linear search is the simple and fast one.
 */

static ngx_int_t
ngx_http_cx_cluster_add_node(ngx_http_cx_cluster_map_t *map, ngx_str_t *host,
    in_port_t port, ngx_pool_t *pool)
{
    ngx_uint_t                   i;
    ngx_http_cx_cluster_node_t  *node, *nodes;

    for (i = 0; i < map->nnodes; i++) {
        node = &map->nodes[i];

        if (node->port == port && node->host.len == host->len
            && ngx_memcmp(node->host.data, host->data, host->len) == 0)
        {
            return i;
        }
    }

    if (map->nnodes == NGX_HTTP_CX_CLUSTER_MAX_NODES) {
        return NGX_DECLINED;
    }

    /* grow by doubling: the old arrays stay in the pool until it goes */

    if (map->nnodes == 0
        || (map->nnodes >= 4 && (map->nnodes & (map->nnodes - 1)) == 0))
    {
        nodes = ngx_palloc(pool, (map->nnodes ? 2 * map->nnodes : 4)
                                 * sizeof(ngx_http_cx_cluster_node_t));
        if (nodes == NULL) {
            return NGX_ERROR;
        }

        if (map->nnodes) {
            ngx_memcpy(nodes, map->nodes,
                       map->nnodes * sizeof(ngx_http_cx_cluster_node_t));
        }

        map->nodes = nodes;
    }

    node = &map->nodes[map->nnodes];

    node->host.len = host->len;
    node->host.data = ngx_pnalloc(pool, host->len + 1);
    if (node->host.data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(node->host.data, host->data, host->len);
    node->host.data[host->len] = '\0';
    node->port = port;
    node->replicas = 0;

    return map->nnodes++;
}


ngx_int_t
ngx_http_cx_cluster_moved(ngx_http_cx_cluster_map_t *map,
    ngx_http_cx_cluster_redirect_t *rd, ngx_pool_t *pool)
{
    ngx_int_t  n;

    if (rd->slot >= NGX_HTTP_CX_CLUSTER_SLOTS) {
        return NGX_ERROR;
    }

    n = ngx_http_cx_cluster_add_node(map, &rd->host, rd->port, pool);

    if (n == NGX_ERROR || n == NGX_DECLINED) {
        return NGX_ERROR;
    }

    if (map->slot[rd->slot] == NGX_HTTP_CX_CLUSTER_NONE) {
        map->covered++;
    }

    map->slot[rd->slot] = (uint16_t) n;

    return NGX_OK;
}


ngx_http_cx_cluster_node_t *
ngx_http_cx_cluster_node(ngx_http_cx_cluster_map_t *map, ngx_uint_t slot)
{
    ngx_uint_t  n;

    if (slot >= NGX_HTTP_CX_CLUSTER_SLOTS) {
        return NULL;
    }

    n = map->slot[slot];

    if (n == NGX_HTTP_CX_CLUSTER_NONE) {
        return NULL;
    }

    return &map->nodes[n];
}


ngx_int_t
ngx_http_cx_cluster_redirect(u_char *p, size_t len,
    ngx_http_cx_cluster_redirect_t *rd, const char **reason)
{
    u_char     *end, *sp, *colon;
    ngx_int_t   n;

    end = p + len;

    /* "MOVED <slot> <host>:<port>", "ASK <slot> <host>:<port>" */

    if (len >= 6 && ngx_strncmp(p, "MOVED ", 6) == 0) {
        rd->type = NGX_HTTP_CX_CLUSTER_MOVED;
        p += 6;

    } else if (len >= 4 && ngx_strncmp(p, "ASK ", 4) == 0) {
        rd->type = NGX_HTTP_CX_CLUSTER_ASK;
        p += 4;

    } else if ((len == 8 || (len > 8 && p[8] == ' '))
               && ngx_strncmp(p, "TRYAGAIN", 8) == 0)
    {
        rd->type = NGX_HTTP_CX_CLUSTER_TRYAGAIN;
        return NGX_OK;

    } else if ((len == 11 || (len > 11 && p[11] == ' '))
               && ngx_strncmp(p, "CLUSTERDOWN", 11) == 0)
    {
        rd->type = NGX_HTTP_CX_CLUSTER_CLUSTERDOWN;
        return NGX_OK;

    } else {
        return NGX_DECLINED;
    }

    sp = ngx_strlchr(p, end, ' ');

    if (sp == NULL) {
        *reason = "redirection without an address";
        return NGX_ERROR;
    }

    n = ngx_http_cx_cluster_number(p, sp - p, NGX_HTTP_CX_CLUSTER_SLOTS - 1);

    if (n == NGX_ERROR) {
        *reason = "redirection to a slot out of 0-16383";
        return NGX_ERROR;
    }

    rd->slot = n;
    p = sp + 1;

    /* host:port, the host may be an IPv6 address: the last ':' splits */

    for (colon = NULL, sp = p; sp < end; sp++) {
        if (*sp == ':') {
            colon = sp;
        }
    }

    if (colon == NULL) {
        *reason = "redirection to an address without a port";
        return NGX_ERROR;
    }

    n = ngx_http_cx_cluster_number(colon + 1, end - colon - 1, 65535);

    if (n == NGX_ERROR || n == 0) {
        *reason = "redirection to a port out of 1-65535";
        return NGX_ERROR;
    }

    if (colon > p && ngx_http_cx_cluster_host(p, colon - p) != NGX_OK) {
        *reason = "redirection to a bad host";
        return NGX_ERROR;
    }

    rd->host.data = p;
    rd->host.len = colon - p;
    rd->port = (in_port_t) n;

    return NGX_OK;
}


/* a host name or address: printable, no space, not too long */

static ngx_int_t
ngx_http_cx_cluster_host(u_char *p, size_t len)
{
    size_t  i;

    if (len > NGX_HTTP_CX_CLUSTER_MAX_HOST) {
        return NGX_ERROR;
    }

    for (i = 0; i < len; i++) {
        if (p[i] <= ' ' || p[i] >= 0x7f || p[i] == '/' || p[i] == '@') {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/* decimal digits only, at most max */

static ngx_int_t
ngx_http_cx_cluster_number(u_char *p, size_t len, ngx_uint_t max)
{
    size_t      i;
    ngx_uint_t  n;

    if (len == 0 || len > 5) {
        return NGX_ERROR;
    }

    n = 0;

    for (i = 0; i < len; i++) {
        if (p[i] < '0' || p[i] > '9') {
            return NGX_ERROR;
        }

        n = n * 10 + (p[i] - '0');
    }

    return (n > max) ? NGX_ERROR : (ngx_int_t) n;
}
