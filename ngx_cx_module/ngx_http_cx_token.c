
/*
 * ngx_http_cx_token.c: survey tokens.  A token is issued with every
 * survey impression and is good for one answer:
 *
 *     DAY "." NONCE "." MAC
 *
 * DAY is the UTC day (YYYYMMDD), NONCE 12 random bytes and MAC the first
 * 16 bytes of HMAC-SHA256(cx_secret, "cx2|" prefix "|" site "|" survey
 * "|" touchpoint "|" DAY "|" NONCE), both base64url without padding: a
 * token is good for one Redis namespace (the prefix of cx_redis and the
 * site), one survey and one touchpoint.
 *
 * A page view that asks one variant of the question (a rule returned
 * variant=) gets
 *
 *     DAY "." NONCE "." MAC "." VARIANT
 *
 * with the MAC over "cx3|" ... "|" NONCE "|" VARIANT: the variant cannot
 * be changed, added or taken away without the MAC failing (a token
 * without one is checked as "cx2", with one as "cx3").  VARIANT is a
 * name of at most NGX_HTTP_CX_VARIANT_MAX bytes.
 *
 * Signing is on the path of every injected page, so the HMAC key pads are
 * hashed once at configuration time (a token then costs three SHA-256
 * blocks) and nonces come from a per-worker xoshiro256** generator seeded
 * from the system CSPRNG: a nonce must be unique, not secret -- the MAC is
 * what cannot be forged.
 *
 * The door (ngx_http_cx_token_use()): each worker remembers the events of
 * recent tokens in a direct-mapped table, so that a replayed event, or a
 * token's custom event past NGX_HTTP_CX_TOKEN_CUSTOM, is refused before
 * it is queued.  A token pushed out of the table by another is only
 * forgotten by this worker: the flush script applies the same rules
 * exactly (ngx_http_cx_flush.c).
 */


/* the low-level SHA-256 API: a pre-keyed context is a plain struct copy */
#define OPENSSL_SUPPRESS_DEPRECATED

#include "ngx_http_cx_module.h"
#include "ngx_http_cx_token.h"
#include "ngx_http_cx_util.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>


#define NGX_HTTP_CX_NONCE_BYTES  12
#define NGX_HTTP_CX_NONCE_LEN    16     /* base64url */
#define NGX_HTTP_CX_MAC_BYTES    16
#define NGX_HTTP_CX_MAC_LEN      22     /* base64url */

#define NGX_HTTP_CX_SEEN         4096   /* tokens remembered, a power of 2 */


typedef struct {
    uint64_t                     s[4];
} ngx_http_cx_rng_t;


/* what this worker has accepted of one token */

typedef struct {
    u_char                       nonce[NGX_HTTP_CX_NONCE_LEN];
    uint32_t                     custom[NGX_HTTP_CX_TOKEN_CUSTOM];
    uint8_t                      events;    /* bits of the widget's events */
    uint8_t                      ncustom;
} ngx_http_cx_seen_t;


/* per worker: seeded in ngx_http_cx_token_init_worker() */
static ngx_http_cx_rng_t  ngx_http_cx_rng;

/* per worker: about 144 KB */
static ngx_http_cx_seen_t  ngx_http_cx_seen[NGX_HTTP_CX_SEEN];


static uint64_t ngx_http_cx_rng_next(ngx_http_cx_rng_t *rng);
static void ngx_http_cx_token_mac(ngx_http_request_t *r, ngx_str_t *survey,
    ngx_str_t *touchpoint, u_char *day, u_char *nonce, ngx_str_t *variant,
    u_char *mac);


ngx_int_t
ngx_http_cx_token_init(ngx_conf_t *cf, ngx_http_cx_main_conf_t *cmcf)
{
    u_char      *p;
    ngx_uint_t   i;
    u_char       pad[SHA256_CBLOCK];
    u_char       key[SHA256_DIGEST_LENGTH];

    if (cmcf->secret.data == NULL) {

        /* no cx_secret: a random one, good until the next reload */

        p = ngx_pnalloc(cf->pool, 32);
        if (p == NULL) {
            return NGX_ERROR;
        }

        if (RAND_bytes(p, 32) != 1) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "RAND_bytes() failed");
            return NGX_ERROR;
        }

        cmcf->secret.data = p;
        cmcf->secret.len = 32;

        if (cmcf->surveys.nelts) {
            ngx_log_error(NGX_LOG_WARN, cf->log, 0,
                          "\"cx_secret\" is not set: survey tokens use a "
                          "random key that changes on every reload and "
                          "that other servers cannot check");
        }
    }

    cmcf->hmac = ngx_pcalloc(cf->pool, 2 * sizeof(SHA256_CTX));
    if (cmcf->hmac == NULL) {
        return NGX_ERROR;
    }

    /* RFC 2104: keys longer than a block are hashed first */

    ngx_memzero(pad, sizeof(pad));

    if (cmcf->secret.len > SHA256_CBLOCK) {
        SHA256(cmcf->secret.data, cmcf->secret.len, key);
        ngx_memcpy(pad, key, sizeof(key));

    } else {
        ngx_memcpy(pad, cmcf->secret.data, cmcf->secret.len);
    }

    for (i = 0; i < SHA256_CBLOCK; i++) {
        pad[i] ^= 0x36;
    }

    SHA256_Init(&((SHA256_CTX *) cmcf->hmac)[0]);
    SHA256_Update(&((SHA256_CTX *) cmcf->hmac)[0], pad, SHA256_CBLOCK);

    for (i = 0; i < SHA256_CBLOCK; i++) {
        pad[i] ^= 0x36 ^ 0x5c;
    }

    SHA256_Init(&((SHA256_CTX *) cmcf->hmac)[1]);
    SHA256_Update(&((SHA256_CTX *) cmcf->hmac)[1], pad, SHA256_CBLOCK);

    ngx_explicit_memzero(pad, sizeof(pad));
    ngx_explicit_memzero(key, sizeof(key));

    return NGX_OK;
}


ngx_int_t
ngx_http_cx_token_init_worker(ngx_cycle_t *cycle)
{
    if (RAND_bytes((u_char *) ngx_http_cx_rng.s, sizeof(ngx_http_cx_rng.s))
        != 1)
    {
        ngx_log_error(NGX_LOG_EMERG, cycle->log, 0, "RAND_bytes() failed");
        return NGX_ERROR;
    }

    return NGX_OK;
}


static uint64_t
ngx_http_cx_rng_next(ngx_http_cx_rng_t *rng)
{
    uint64_t  *s, r, t;

    s = rng->s;

    r = s[1] * 5;
    r = ((r << 7) | (r >> 57)) * 9;
    t = s[1] << 17;

    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = (s[3] << 45) | (s[3] >> 19);

    return r;
}


/*
 * The site and prefix are the request's: where the token is counted.
 * variant: NULL or empty for a token without one.
 */

static void
ngx_http_cx_token_mac(ngx_http_request_t *r, ngx_str_t *survey,
    ngx_str_t *touchpoint, u_char *day, u_char *nonce, ngx_str_t *variant,
    u_char *mac)
{
    u_char                   *p;
    ngx_uint_t                v;
    SHA256_CTX                c;
    ngx_http_cx_srv_conf_t   *cscf;
    ngx_http_cx_main_conf_t  *cmcf;
    u_char                    msg[4 + 4 * (NGX_HTTP_CX_NAME_MAX + 1) + 8 + 1
                                  + NGX_HTTP_CX_NONCE_LEN + 1
                                  + NGX_HTTP_CX_VARIANT_MAX];
    u_char                    md[SHA256_DIGEST_LENGTH];

    cmcf = ngx_http_get_module_main_conf(r, ngx_http_cx_module);
    cscf = ngx_http_get_module_srv_conf(r, ngx_http_cx_module);

    v = (variant && variant->len);

    /* every part is a validated name: at most NGX_HTTP_CX_NAME_MAX bytes */

    p = ngx_cpymem(msg, v ? "cx3|" : "cx2|", 4);
    p = ngx_cpymem(p, cmcf->redis_prefix.data, cmcf->redis_prefix.len);
    *p++ = '|';
    p = ngx_cpymem(p, cscf->site.data, cscf->site.len);
    *p++ = '|';
    p = ngx_cpymem(p, survey->data, survey->len);
    *p++ = '|';
    p = ngx_cpymem(p, touchpoint->data, touchpoint->len);
    *p++ = '|';
    p = ngx_cpymem(p, day, 8);
    *p++ = '|';
    p = ngx_cpymem(p, nonce, NGX_HTTP_CX_NONCE_LEN);

    if (v) {
        *p++ = '|';
        p = ngx_cpymem(p, variant->data, variant->len);
    }

    c = ((SHA256_CTX *) cmcf->hmac)[0];
    SHA256_Update(&c, msg, p - msg);
    SHA256_Final(md, &c);

    c = ((SHA256_CTX *) cmcf->hmac)[1];
    SHA256_Update(&c, md, sizeof(md));
    SHA256_Final(md, &c);

    ngx_memcpy(mac, md, NGX_HTTP_CX_MAC_BYTES);
}


/*
 * A token for this page view at token (NGX_HTTP_CX_TOKEN_MAX bytes of
 * room): its length.  variant: NULL or empty for none, else a valid
 * variant name (ngx_http_cx_variant_valid()).
 */

size_t
ngx_http_cx_token_sign(ngx_http_request_t *r, ngx_str_t *survey,
    ngx_str_t *touchpoint, ngx_str_t *variant, u_char *token)
{
    uint64_t   n[2];
    ngx_tm_t   tm;
    ngx_str_t  src, dst;
    u_char     mac[NGX_HTTP_CX_MAC_BYTES];

    n[0] = ngx_http_cx_rng_next(&ngx_http_cx_rng);
    n[1] = ngx_http_cx_rng_next(&ngx_http_cx_rng);

    ngx_gmtime(ngx_time(), &tm);
    ngx_sprintf(token, "%04d%02d%02d.", tm.ngx_tm_year, tm.ngx_tm_mon,
                tm.ngx_tm_mday);

    src.data = (u_char *) n;
    src.len = NGX_HTTP_CX_NONCE_BYTES;
    dst.data = token + 9;
    ngx_encode_base64url(&dst, &src);

    token[25] = '.';

    ngx_http_cx_token_mac(r, survey, touchpoint, token, token + 9, variant,
                          mac);

    src.data = mac;
    src.len = sizeof(mac);
    dst.data = token + 26;
    ngx_encode_base64url(&dst, &src);

    if (variant == NULL || variant->len == 0) {
        return NGX_HTTP_CX_TOKEN_LEN;
    }

    token[NGX_HTTP_CX_TOKEN_LEN] = '.';
    ngx_memcpy(token + NGX_HTTP_CX_TOKEN_LEN + 1, variant->data, variant->len);

    return NGX_HTTP_CX_TOKEN_LEN + 1 + variant->len;
}


/* a question variant's name: [a-z0-9_.-], 1 to NGX_HTTP_CX_VARIANT_MAX */

ngx_uint_t
ngx_http_cx_variant_valid(u_char *p, size_t len)
{
    return len <= NGX_HTTP_CX_VARIANT_MAX && ngx_http_cx_name_valid(p, len);
}


/* a worker-unique number: ids, not secrets */

uint64_t
ngx_http_cx_random64(void)
{
    return ngx_http_cx_rng_next(&ngx_http_cx_rng);
}


/*
 * Checks a token against the site, survey and touchpoint it is offered
 * with.
 * It must be of today (UTC), or of yesterday during the first hour of
 * today, so that a page shown just before midnight can still be
 * answered.  On success the nonce (16 characters) is copied out: the
 * answer is recorded once per nonce; and the token's variant (empty for
 * none), which points into the token.
 */

ngx_int_t
ngx_http_cx_token_verify(ngx_http_request_t *r, ngx_str_t *token,
    ngx_str_t *survey, ngx_str_t *touchpoint, u_char *nonce,
    ngx_str_t *variant, const char **err)
{
    u_char      *t;
    time_t       now;
    ngx_tm_t     tm;
    ngx_str_t    src, dst;
    ngx_uint_t   i;
    u_char       mac[NGX_HTTP_CX_MAC_BYTES];
    u_char       want[32];
    u_char       today[8], yesterday[8];

    t = token->data;

    ngx_str_null(variant);

    if (token->len > NGX_HTTP_CX_TOKEN_LEN) {

        /* DAY.NONCE.MAC.VARIANT */

        variant->data = t + NGX_HTTP_CX_TOKEN_LEN + 1;
        variant->len = token->len - NGX_HTTP_CX_TOKEN_LEN - 1;

        if (t[NGX_HTTP_CX_TOKEN_LEN] != '.'
            || !ngx_http_cx_variant_valid(variant->data, variant->len))
        {
            goto malformed;
        }
    }

    if (token->len < NGX_HTTP_CX_TOKEN_LEN || t[8] != '.' || t[25] != '.') {
        goto malformed;
    }

    for (i = 0; i < NGX_HTTP_CX_TOKEN_LEN; i++) {
        if (i == 8 || i == 25) {
            continue;
        }

        if (t[i] >= '0' && t[i] <= '9') {
            continue;
        }

        if (i < 8
            || !((t[i] >= 'a' && t[i] <= 'z') || (t[i] >= 'A' && t[i] <= 'Z')
                 || t[i] == '-' || t[i] == '_'))
        {
            goto malformed;
        }
    }

    ngx_http_cx_token_mac(r, survey, touchpoint, t, t + 9, variant, mac);

    src.data = mac;
    src.len = sizeof(mac);
    dst.data = want;
    ngx_encode_base64url(&dst, &src);

    if (CRYPTO_memcmp(want, t + 26, NGX_HTTP_CX_MAC_LEN) != 0) {
        *err = "token: invalid for this site, survey and touchpoint";
        return NGX_DECLINED;
    }

    now = ngx_time();

    ngx_gmtime(now, &tm);
    ngx_sprintf(today, "%04d%02d%02d", tm.ngx_tm_year, tm.ngx_tm_mon,
                tm.ngx_tm_mday);

    if (ngx_memcmp(t, today, 8) != 0) {

        ngx_gmtime(now - 86400, &tm);
        ngx_sprintf(yesterday, "%04d%02d%02d", tm.ngx_tm_year,
                    tm.ngx_tm_mon, tm.ngx_tm_mday);

        if (ngx_memcmp(t, yesterday, 8) != 0 || now % 86400 >= 3600) {
            *err = "token: expired (not of today)";
            return NGX_DECLINED;
        }
    }

    ngx_memcpy(nonce, t + 9, NGX_HTTP_CX_NONCE_LEN);

    return NGX_OK;

malformed:

    ngx_str_null(variant);
    *err = "token: malformed";
    return NGX_DECLINED;
}


/*
 * The door: an event of a verified token, once: a widget event (shown,
 * dismissed, answered: a bit each), or the custom event custom names.
 * NGX_OK: not seen by this worker, now remembered; NGX_BUSY: seen (a
 * replay); NGX_DECLINED: the token has its custom events already.
 */

ngx_int_t
ngx_http_cx_token_use(u_char *nonce, ngx_http_cx_event_e event,
    ngx_str_t *custom)
{
    uint32_t             hash;
    ngx_uint_t           i;
    ngx_http_cx_seen_t  *s;

    s = &ngx_http_cx_seen[ngx_murmur_hash2(nonce, NGX_HTTP_CX_NONCE_LEN)
                          & (NGX_HTTP_CX_SEEN - 1)];

    if (ngx_memcmp(s->nonce, nonce, NGX_HTTP_CX_NONCE_LEN) != 0) {
        /* another token had the slot: it is forgotten here */
        ngx_memzero(s, sizeof(ngx_http_cx_seen_t));
        ngx_memcpy(s->nonce, nonce, NGX_HTTP_CX_NONCE_LEN);
    }

    if (custom == NULL) {
        if (s->events & (1 << event)) {
            return NGX_BUSY;
        }

        s->events |= (uint8_t) (1 << event);
        return NGX_OK;
    }

    /* a hash stands for the name: a collision only costs its own token */

    hash = ngx_murmur_hash2(custom->data, custom->len);

    for (i = 0; i < s->ncustom; i++) {
        if (s->custom[i] == hash) {
            return NGX_BUSY;
        }
    }

    if (s->ncustom == NGX_HTTP_CX_TOKEN_CUSTOM) {
        return NGX_DECLINED;
    }

    s->custom[s->ncustom++] = hash;

    return NGX_OK;
}
