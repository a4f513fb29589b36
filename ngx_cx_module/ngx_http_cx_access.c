
/*
 * ngx_http_cx_access.c: who may read what the module knows -- the scores
 * and follow-up comments (cx_score), the dashboard (cx_dashboard) and the
 * metrics (cx_metrics) -- and which sites site= may read.
 *
 *   neither cx_score_token nor cx_score_open   loopback clients only
 *   cx_score_token                             the bearer token, from
 *                                              every client
 *   cx_score_open on                           every client
 *
 * "Loopback" is the connection's peer address (127.0.0.0/8, ::1, and
 * ::ffff:127.0.0.0/104), as the realip module may have replaced it, never
 * a header the module reads itself; a unix-domain socket is not loopback.
 * The dashboard's page and assets hold no data: with a token they are
 * served to everyone, and the page asks for the token.  README.md
 * "Who may read the scores" has the matrix and the reasons.
 */


#include "ngx_http_cx_module.h"
#include "ngx_http_cx_access.h"
#include "ngx_http_cx_json.h"
#include "ngx_http_cx_util.h"


static ngx_uint_t ngx_http_cx_access_loopback(ngx_connection_t *c);
static ngx_int_t ngx_http_cx_access_token(ngx_http_request_t *r,
    ngx_str_t *token);
static ngx_int_t ngx_http_cx_access_add_site(ngx_array_t *sites,
    ngx_str_t *site);


/*
 * NGX_OK: the request may go on; NGX_HTTP_FORBIDDEN: not a loopback
 * client (and no token nor cx_score_open); NGX_DECLINED: no bearer token;
 * NGX_ERROR: another token.  ngx_http_cx_access_denied() answers the
 * refusals.
 */

ngx_int_t
ngx_http_cx_access(ngx_http_request_t *r, ngx_uint_t page)
{
    ngx_http_cx_loc_conf_t  *lcf;

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_cx_module);

    if (lcf->score_token.len) {

        /* the dashboard's page asks for the token itself */

        if (page) {
            return NGX_OK;
        }

        return ngx_http_cx_access_token(r, &lcf->score_token);
    }

    if (lcf->score_open || ngx_http_cx_access_loopback(r->connection)) {
        return NGX_OK;
    }

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "cx: access forbidden: not a loopback client, and "
                  "neither \"cx_score_token\" nor \"cx_score_open\" is set");

    return NGX_HTTP_FORBIDDEN;
}


ngx_int_t
ngx_http_cx_access_denied(ngx_http_request_t *r, ngx_int_t rc)
{
    ngx_table_elt_t  *h;

    if (rc == NGX_HTTP_FORBIDDEN) {
        return ngx_http_cx_json_error(r, NGX_HTTP_FORBIDDEN, NULL,
                   "only loopback clients may read this: configure "
                   "cx_score_token (a bearer token), or cx_score_open on "
                   "where allow/deny, auth_request or a VPN protects "
                   "this location");
    }

    h = ngx_http_cx_header_add(&r->headers_out.headers, "WWW-Authenticate",
                               NULL);
    if (h == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->headers_out.www_authenticate = h;

    if (rc == NGX_DECLINED) {
        ngx_str_set(&h->value, "Bearer");
        return ngx_http_cx_json_error(r, NGX_HTTP_UNAUTHORIZED, NULL,
                                      "bearer token required");
    }

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "cx: wrong bearer token");

    ngx_str_set(&h->value, "Bearer error=\"invalid_token\"");

    return ngx_http_cx_json_error(r, NGX_HTTP_UNAUTHORIZED, NULL,
                                  "invalid bearer token");
}


/* the TCP peer (after realip), never a header: unix sockets are not */

static ngx_uint_t
ngx_http_cx_access_loopback(ngx_connection_t *c)
{
    struct sockaddr_in   *sin;
#if (NGX_HAVE_INET6)
    u_char               *a;
    struct sockaddr_in6  *sin6;
#endif

    switch (c->sockaddr->sa_family) {

    case AF_INET:
        sin = (struct sockaddr_in *) c->sockaddr;
        return (ntohl(sin->sin_addr.s_addr) >> 24) == 127;

#if (NGX_HAVE_INET6)
    case AF_INET6:
        sin6 = (struct sockaddr_in6 *) c->sockaddr;
        a = sin6->sin6_addr.s6_addr;

        if (IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr)) {
            return 1;
        }

        return IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr) && a[12] == 127;
#endif

    default:
        return 0;
    }
}


/*
 * "Authorization: Bearer TOKEN": NGX_OK; no bearer token: NGX_DECLINED;
 * another token: NGX_ERROR.  Compared in constant time.
 */

static ngx_int_t
ngx_http_cx_access_token(ngx_http_request_t *r, ngx_str_t *token)
{
    u_char            *p, *last, diff;
    size_t             i;
    ngx_table_elt_t   *h;

    h = r->headers_in.authorization;

    if (h == NULL || h->value.len < sizeof("Bearer ") - 1
        || ngx_strncasecmp(h->value.data, (u_char *) "Bearer ",
                           sizeof("Bearer ") - 1) != 0)
    {
        return NGX_DECLINED;
    }

    p = h->value.data + sizeof("Bearer ") - 1;
    last = h->value.data + h->value.len;

    while (p < last && *p == ' ') {
        p++;
    }

    while (last > p && last[-1] == ' ') {
        last--;
    }

    if ((size_t) (last - p) != token->len) {
        return NGX_ERROR;
    }

    diff = 0;

    for (i = 0; i < token->len; i++) {
        diff |= p[i] ^ token->data[i];
    }

    return diff ? NGX_ERROR : NGX_OK;
}


/* site=: a site of this nginx's servers, or one cx_score_sites lists */

ngx_int_t
ngx_http_cx_access_site(ngx_http_request_t *r, ngx_str_t *site)
{
    ngx_str_t                *s;
    ngx_uint_t                i, k;
    ngx_array_t              *lists[2];
    ngx_http_cx_loc_conf_t   *lcf;
    ngx_http_cx_main_conf_t  *cmcf;

    cmcf = ngx_http_get_module_main_conf(r, ngx_http_cx_module);
    lcf = ngx_http_get_module_loc_conf(r, ngx_http_cx_module);

    lists[0] = &cmcf->sites;
    lists[1] = lcf->score_sites;

    for (k = 0; k < 2; k++) {
        if (lists[k] == NULL) {
            continue;
        }

        s = lists[k]->elts;

        for (i = 0; i < lists[k]->nelts; i++) {
            if (s[i].len == site->len
                && ngx_strncmp(s[i].data, site->data, site->len) == 0)
            {
                return NGX_OK;
            }
        }
    }

    return NGX_DECLINED;
}


/* the sites this nginx serves: each server's cx_site, merged */

ngx_int_t
ngx_http_cx_access_init(ngx_conf_t *cf)
{
    ngx_uint_t                  s;
    ngx_http_cx_srv_conf_t     *cscf;
    ngx_http_cx_main_conf_t    *cmcf;
    ngx_http_core_srv_conf_t  **cscfp;
    ngx_http_core_main_conf_t  *core;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_cx_module);
    core = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    if (ngx_array_init(&cmcf->sites, cf->pool, 4, sizeof(ngx_str_t))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    cscfp = core->servers.elts;

    for (s = 0; s < core->servers.nelts; s++) {
        cscf = cscfp[s]->ctx->srv_conf[ngx_http_cx_module.ctx_index];

        if (ngx_http_cx_access_add_site(&cmcf->sites, &cscf->site)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_cx_access_add_site(ngx_array_t *sites, ngx_str_t *site)
{
    ngx_str_t   *s;
    ngx_uint_t   i;

    s = sites->elts;

    for (i = 0; i < sites->nelts; i++) {
        if (s[i].len == site->len
            && ngx_strncmp(s[i].data, site->data, site->len) == 0)
        {
            return NGX_OK;
        }
    }

    s = ngx_array_push(sites);
    if (s == NULL) {
        return NGX_ERROR;
    }

    *s = *site;

    return NGX_OK;
}


/* cx_score_token: at least 16 characters of a bearer token (token68) */

char *
ngx_http_cx_score_token(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_cx_loc_conf_t *lcf = conf;

    u_char     *p, *last;
    ngx_str_t  *value;

    if (lcf->score_token.data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    last = value[1].data + value[1].len;

    for (p = value[1].data; p < last; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
              || (*p >= '0' && *p <= '9') || *p == '-' || *p == '.'
              || *p == '_' || *p == '~' || *p == '+' || *p == '/'
              || *p == '='))
        {
            break;
        }
    }

    if (value[1].len < 16 || p != last) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid token in \"%V\": at least 16 of "
                           "[A-Za-z0-9-._~+/=]", &cmd->name);
        return NGX_CONF_ERROR;
    }

    lcf->score_token = value[1];

    return NGX_CONF_OK;
}


/* cx_score_sites NAME ...: other sites site= may read here */

char *
ngx_http_cx_score_sites(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_cx_loc_conf_t *lcf = conf;

    ngx_str_t   *value;
    ngx_uint_t   i;

    if (lcf->score_sites != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    lcf->score_sites = ngx_array_create(cf->pool, cf->args->nelts - 1,
                                        sizeof(ngx_str_t));
    if (lcf->score_sites == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {
        if (!ngx_http_cx_name_valid(value[i].data, value[i].len)) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid site \"%V\" in \"%V\": a name is "
                               "1-64 of [a-z0-9_.-]", &value[i], &cmd->name);
            return NGX_CONF_ERROR;
        }

        if (ngx_http_cx_access_add_site(lcf->score_sites, &value[i])
            != NGX_OK)
        {
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}
