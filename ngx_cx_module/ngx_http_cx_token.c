
/*
 * ngx_http_cx_token.c: survey tokens.  A token is issued with every
 * survey impression and is good for one answer:
 *
 *     DAY "." NONCE "." MAC
 *
 * DAY is the UTC day (YYYYMMDD), NONCE 12 random bytes and MAC the first
 * 16 bytes of HMAC-SHA256(cx_secret, "cx1|" survey "|" touchpoint "|"
 * DAY "|" NONCE), both base64url without padding.
 */


#include "ngx_http_cx_module.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>


#define NGX_HTTP_CX_NONCE_BYTES  12
#define NGX_HTTP_CX_MAC_BYTES    16


ngx_int_t
ngx_http_cx_token_init(ngx_conf_t *cf, ngx_http_cx_main_conf_t *cmcf)
{
    u_char  *p;

    if (cmcf->secret.data) {
        return NGX_OK;
    }

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
                      "\"cx_secret\" is not set: survey tokens use a random "
                      "key that changes on every reload and that other "
                      "servers cannot check");
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_cx_token_mac(ngx_str_t *secret, ngx_str_t *survey,
    ngx_str_t *touchpoint, u_char *day, u_char *nonce, u_char *mac)
{
    u_char        *p;
    unsigned int   len;
    u_char         msg[4 + 2 * NGX_HTTP_CX_NAME_MAX + 32 + 8];
    u_char         md[EVP_MAX_MD_SIZE];

    p = ngx_cpymem(msg, "cx1|", 4);
    p = ngx_cpymem(p, survey->data, survey->len);
    *p++ = '|';
    p = ngx_cpymem(p, touchpoint->data, touchpoint->len);
    *p++ = '|';
    p = ngx_cpymem(p, day, 8);
    *p++ = '|';
    p = ngx_cpymem(p, nonce, 16);

    if (HMAC(EVP_sha256(), secret->data, secret->len, msg, p - msg, md, &len)
        == NULL)
    {
        return NGX_ERROR;
    }

    ngx_memcpy(mac, md, NGX_HTTP_CX_MAC_BYTES);

    return NGX_OK;
}


ngx_int_t
ngx_http_cx_token_sign(ngx_http_request_t *r, ngx_str_t *secret,
    ngx_str_t *survey, ngx_str_t *touchpoint, u_char *token)
{
    ngx_tm_t   tm;
    ngx_str_t  src, dst;
    u_char     rnd[NGX_HTTP_CX_NONCE_BYTES];
    u_char     mac[NGX_HTTP_CX_MAC_BYTES];

    if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "cx: RAND_bytes() failed");
        return NGX_ERROR;
    }

    ngx_gmtime(ngx_time(), &tm);
    ngx_sprintf(token, "%04d%02d%02d.", tm.ngx_tm_year, tm.ngx_tm_mon,
                tm.ngx_tm_mday);

    src.data = rnd;
    src.len = sizeof(rnd);
    dst.data = token + 9;
    ngx_encode_base64url(&dst, &src);

    token[25] = '.';

    if (ngx_http_cx_token_mac(secret, survey, touchpoint, token, token + 9,
                              mac)
        != NGX_OK)
    {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "cx: HMAC() failed");
        return NGX_ERROR;
    }

    src.data = mac;
    src.len = sizeof(mac);
    dst.data = token + 26;
    ngx_encode_base64url(&dst, &src);

    return NGX_OK;
}
