
/*
 * ngx_http_cx_shard.c: a site's shards in Redis Cluster (see the header).
 *
 * Plain tags {prefix:site:s} land where CRC16 puts them: with 16 shards
 * over three equal primaries a site may get 3, 3 and 10 of them.  So the
 * tag of shard s of n is {prefix:site:s.k}, with the smallest k whose
 * slot falls in the s-th n-th of the slot space, [s x 16384 / n,
 * (s + 1) x 16384 / n): the n shards are one per slice, hence spread
 * evenly over primaries that own contiguous equal ranges (what
 * redis-cli --cluster create and rebalance make).  A try lands in its
 * slice with a chance of 1 in n: about n tries a shard, n x n a site,
 * once per site at configuration time.
 */


#include "ngx_http_cx_shard.h"
#include "ngx_http_cx_redis_cluster.h"


/* far more tries than a slice ever needs (about n) */
#define NGX_HTTP_CX_SHARD_TRIES  (1 << 24)


static u_char *ngx_http_cx_shard_num(u_char *p, ngx_uint_t n);


/*
 * The tag of shard s of n, braces included, at buf (prefix, site and
 * NGX_HTTP_CX_SHARD_TAG_LEN bytes), and its slot; NULL if no k gives a
 * slot in the slice (never seen)
 */

u_char *
ngx_http_cx_shard_tag(u_char *buf, ngx_str_t *prefix, ngx_str_t *site,
    ngx_uint_t s, ngx_uint_t n, ngx_uint_t *slot)
{
    u_char      *p, *k0;
    ngx_uint_t   k, lo, hi, sl;

    p = buf;
    *p++ = '{';
    p = ngx_cpymem(p, prefix->data, prefix->len);
    *p++ = ':';
    p = ngx_cpymem(p, site->data, site->len);
    *p++ = ':';
    p = ngx_http_cx_shard_num(p, s);
    *p++ = '.';
    k0 = p;

    lo = s * NGX_HTTP_CX_CLUSTER_SLOTS / n;
    hi = (s + 1) * NGX_HTTP_CX_CLUSTER_SLOTS / n;

    for (k = 0; k < NGX_HTTP_CX_SHARD_TRIES; k++) {
        p = ngx_http_cx_shard_num(k0, k);

        sl = ngx_http_cx_cluster_crc16(buf + 1, p - buf - 1)
             & (NGX_HTTP_CX_CLUSTER_SLOTS - 1);

        if (sl >= lo && sl < hi) {
            *p++ = '}';
            *slot = sl;
            return p;
        }
    }

    return NULL;
}


/* the shard of a token (its random nonce: an even spread) */

ngx_uint_t
ngx_http_cx_shard_of(u_char *nonce, size_t len, ngx_uint_t n)
{
    if (n <= 1) {
        return 0;
    }

    return ngx_http_cx_cluster_crc16(nonce, len) % n;
}


/* n in decimal (no ngx_sprintf: the check program has no nginx core) */

static u_char *
ngx_http_cx_shard_num(u_char *p, ngx_uint_t n)
{
    u_char   *q, c;
    u_char   *start;

    start = p;

    do {
        *p++ = (u_char) ('0' + n % 10);
        n /= 10;
    } while (n);

    for (q = p - 1; start < q; start++, q--) {
        c = *start;
        *start = *q;
        *q = c;
    }

    return p;
}
