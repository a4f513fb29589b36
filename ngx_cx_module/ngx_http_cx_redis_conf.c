
/*
 * ngx_http_cx_redis_conf.c: the cx_redis* directives.  Where Redis is
 * (host:port, an IP, unix:/path), who we are (user=, password=), db=,
 * prefix=, and TLS: nginx's OpenSSL context, made once here, with the
 * name the server's certificate must match.
 *
 * A host name is resolved at every connect when there is a resolver
 * (cx_redis_resolver, or the http block's resolver); without one it is
 * resolved here, once, as nginx does for proxy_pass.  A password is never
 * repeated in a message.
 */


#include "ngx_http_cx_module.h"
#include "ngx_http_cx_redis_conn.h"


#define NGX_HTTP_CX_REDIS_PORT          6379
#define NGX_HTTP_CX_REDIS_VERIFY_DEPTH  4


static ngx_http_cx_redis_conf_t *ngx_http_cx_redis_get_conf(ngx_conf_t *cf,
    ngx_http_cx_main_conf_t *cmcf);
static char *ngx_http_cx_redis_param(ngx_conf_t *cf,
    ngx_http_cx_main_conf_t *cmcf, ngx_http_cx_redis_conf_t *rc,
    ngx_str_t *param);
static ngx_int_t ngx_http_cx_redis_init_ssl(ngx_conf_t *cf,
    ngx_http_cx_redis_conf_t *rc);


#if (NGX_SSL)

static ngx_conf_bitmask_t  ngx_http_cx_redis_ssl_protocols[] = {
    { ngx_string("TLSv1"), NGX_SSL_TLSv1 },
    { ngx_string("TLSv1.1"), NGX_SSL_TLSv1_1 },
    { ngx_string("TLSv1.2"), NGX_SSL_TLSv1_2 },
    { ngx_string("TLSv1.3"), NGX_SSL_TLSv1_3 },
    { ngx_null_string, 0 }
};

#endif


/*
 * cx_redis host:port | unix:/path [tls] [user=name] [password=secret]
 *          [db=N] [prefix=name]
 */

char *
ngx_http_cx_redis_conf(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_cx_main_conf_t *cmcf = conf;

    char                      *rv;
    ngx_str_t                 *value;
    ngx_url_t                  u;
    ngx_uint_t                 i;
    ngx_http_cx_redis_conf_t  *rc;

    if (cmcf->redis) {
        return "is duplicate";
    }

    rc = ngx_http_cx_redis_get_conf(cf, cmcf);
    if (rc == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    rc->addr = value[1];
    rc->file = cf->conf_file->file.name.data;
    rc->line = cf->conf_file->line;

    ngx_memzero(&u, sizeof(ngx_url_t));

    u.url = value[1];
    u.default_port = NGX_HTTP_CX_REDIS_PORT;
    u.no_resolve = 1;

    if (ngx_parse_url(cf->pool, &u) != NGX_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid address \"%V\" in \"%V\": %s",
                           &value[1], &cmd->name,
                           u.err ? u.err : "invalid");
        return NGX_CONF_ERROR;
    }

    if (u.uri.len) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid address \"%V\" in \"%V\": a path",
                           &value[1], &cmd->name);
        return NGX_CONF_ERROR;
    }

    if (u.naddrs) {
        /* an IP address or unix:/path */
        rc->addrs = u.addrs;
        rc->naddrs = u.naddrs;

    } else {
        rc->port = u.port;
    }

    /* the host (a name or an IP): what a certificate must match */

    if (u.family != AF_UNIX && u.host.len) {
        rc->host.len = u.host.len;
        rc->host.data = ngx_pnalloc(cf->pool, u.host.len + 1);
        if (rc->host.data == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_cpystrn(rc->host.data, u.host.data, u.host.len + 1);

        if (rc->host.data[0] == '[') {
            /* [::1]: the address without brackets */
            rc->host.data++;
            rc->host.len -= 2;
            rc->host.data[rc->host.len] = '\0';
        }
    }

    for (i = 2; i < cf->args->nelts; i++) {
        rv = ngx_http_cx_redis_param(cf, cmcf, rc, &value[i]);
        if (rv != NGX_CONF_OK) {
            return rv;
        }
    }

    if (rc->user.len && rc->password.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"user=\" in \"%V\" needs \"password=\"",
                           &cmd->name);
        return NGX_CONF_ERROR;
    }

    cmcf->redis = rc;

    return NGX_CONF_OK;
}


static char *
ngx_http_cx_redis_param(ngx_conf_t *cf, ngx_http_cx_main_conf_t *cmcf,
    ngx_http_cx_redis_conf_t *rc, ngx_str_t *param)
{
    u_char     *p;
    size_t      n;
    ngx_str_t   v;
    ngx_uint_t  i;

    if (param->len == 3 && ngx_strncmp(param->data, "tls", 3) == 0) {
#if (NGX_SSL)
        rc->tls = 1;
        return NGX_CONF_OK;
#else
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"tls\" in \"cx_redis\" needs nginx built "
                           "with OpenSSL");
        return NGX_CONF_ERROR;
#endif
    }

    p = ngx_strlchr(param->data, param->data + param->len, '=');
    if (p == NULL) {
        goto invalid;
    }

    n = p - param->data;
    v.data = p + 1;
    v.len = param->data + param->len - v.data;

    if (n == 8 && ngx_strncmp(param->data, "password", 8) == 0 && v.len) {
        rc->password = v;
        return NGX_CONF_OK;
    }

    if (n == 4 && ngx_strncmp(param->data, "user", 4) == 0 && v.len) {
        for (i = 0; i < v.len; i++) {
            if (v.data[i] <= ' ' || v.data[i] == 0x7f) {
                goto invalid;
            }
        }

        rc->user = v;
        return NGX_CONF_OK;
    }

    if (n == 2 && ngx_strncmp(param->data, "db", 2) == 0) {
        rc->db = ngx_atoi(v.data, v.len);
        if (rc->db == NGX_ERROR || rc->db > 65535) {
            goto invalid;
        }

        return NGX_CONF_OK;
    }

    if (n == 6 && ngx_strncmp(param->data, "prefix", 6) == 0
        && ngx_http_cx_name_valid(v.data, v.len))
    {
        cmcf->redis_prefix = v;
        return NGX_CONF_OK;
    }

invalid:

    /* what may be a secret mistyped is not repeated */

    if (p == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter in \"cx_redis\" (not shown: "
                           "it may be a secret): expected tls, user=name, "
                           "password=..., db=0..65535 or prefix=name");
        return NGX_CONF_ERROR;
    }

    if (ngx_strlcasestrn(param->data, p, (u_char *) "pas", 2) != NULL) {
        param->len = p - param->data + 1;
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V...\" in \"cx_redis\": "
                           "expected tls, user=name, password=..., "
                           "db=0..65535 or prefix=name", param);
        return NGX_CONF_ERROR;
    }

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid parameter \"%V\" in \"cx_redis\": expected "
                       "tls, user=name, password=..., db=0..65535 or "
                       "prefix=name", param);
    return NGX_CONF_ERROR;
}


/* cx_redis_ssl_* and cx_redis_resolver_timeout: nginx's slots, on our conf */

char *
ngx_http_cx_redis_str_slot(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_cx_redis_conf_t  *rc;

    rc = ngx_http_cx_redis_get_conf(cf, conf);
    if (rc == NULL) {
        return NGX_CONF_ERROR;
    }

    if (rc->ssl_file == NULL) {
        rc->ssl_file = cf->conf_file->file.name.data;
        rc->ssl_line = cf->conf_file->line;
    }

    return ngx_conf_set_str_slot(cf, cmd, rc);
}


char *
ngx_http_cx_redis_flag_slot(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_cx_redis_conf_t  *rc;

    rc = ngx_http_cx_redis_get_conf(cf, conf);
    if (rc == NULL) {
        return NGX_CONF_ERROR;
    }

    if (rc->ssl_file == NULL) {
        rc->ssl_file = cf->conf_file->file.name.data;
        rc->ssl_line = cf->conf_file->line;
    }

    return ngx_conf_set_flag_slot(cf, cmd, rc);
}


char *
ngx_http_cx_redis_protocols_slot(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
#if (NGX_SSL)
    ngx_command_t              c;
    ngx_http_cx_redis_conf_t  *rc;

    rc = ngx_http_cx_redis_get_conf(cf, conf);
    if (rc == NULL) {
        return NGX_CONF_ERROR;
    }

    if (rc->ssl_file == NULL) {
        rc->ssl_file = cf->conf_file->file.name.data;
        rc->ssl_line = cf->conf_file->line;
    }

    c = *cmd;
    c.post = ngx_http_cx_redis_ssl_protocols;

    return ngx_conf_set_bitmask_slot(cf, &c, rc);
#else
    return "needs nginx built with OpenSSL";
#endif
}


char *
ngx_http_cx_redis_msec_slot(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_cx_redis_conf_t  *rc;

    rc = ngx_http_cx_redis_get_conf(cf, conf);
    if (rc == NULL) {
        return NGX_CONF_ERROR;
    }

    return ngx_conf_set_msec_slot(cf, cmd, rc);
}


/* cx_redis_resolver address ... [valid=time] [ipv6=on|off] */

char *
ngx_http_cx_redis_resolver(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_str_t                 *value;
    ngx_http_cx_redis_conf_t  *rc;

    rc = ngx_http_cx_redis_get_conf(cf, conf);
    if (rc == NULL) {
        return NGX_CONF_ERROR;
    }

    if (rc->resolver) {
        return "is duplicate";
    }

    value = cf->args->elts;

    rc->resolver = ngx_resolver_create(cf, &value[1], cf->args->nelts - 1);
    if (rc->resolver == NULL) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/* made by whichever cx_redis* directive comes first */

static ngx_http_cx_redis_conf_t *
ngx_http_cx_redis_get_conf(ngx_conf_t *cf, ngx_http_cx_main_conf_t *cmcf)
{
    ngx_http_cx_redis_conf_t  *rc;

    if (cmcf->redis_conf) {
        return cmcf->redis_conf;
    }

    rc = ngx_pcalloc(cf->pool, sizeof(ngx_http_cx_redis_conf_t));
    if (rc == NULL) {
        return NULL;
    }

    rc->resolver_timeout = NGX_CONF_UNSET_MSEC;
    rc->ssl_verify = NGX_CONF_UNSET;

    cmcf->redis_conf = rc;

    return rc;
}


/*
 * Once the http block is read: the resolver (ours, or the http block's),
 * a name resolved now when there is none, and the TLS context.
 */

ngx_int_t
ngx_http_cx_redis_init_conf(ngx_conf_t *cf, ngx_http_cx_main_conf_t *cmcf)
{
    ngx_url_t                  u;
    ngx_http_cx_redis_conf_t  *rc;
    ngx_http_core_loc_conf_t  *clcf;

    rc = cmcf->redis_conf;

    if (rc == NULL) {
        return NGX_OK;
    }

    if (cmcf->redis == NULL) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"cx_redis_*\" directives need \"cx_redis\"");
        return NGX_ERROR;
    }

    if (rc->ssl_file && !rc->tls) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"cx_redis_ssl_*\" in %s:%ui needs the \"tls\" "
                      "parameter of \"cx_redis\" in %s:%ui",
                      rc->ssl_file, rc->ssl_line, rc->file, rc->line);
        return NGX_ERROR;
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    if (rc->resolver == NULL
        && clcf->resolver && clcf->resolver->connections.nelts)
    {
        rc->resolver = clcf->resolver;

        if (rc->resolver_timeout == NGX_CONF_UNSET_MSEC
            && clcf->resolver_timeout != NGX_CONF_UNSET_MSEC)
        {
            rc->resolver_timeout = clcf->resolver_timeout;
        }
    }

    ngx_conf_init_msec_value(rc->resolver_timeout, 30000);

    if (rc->naddrs == 0 && rc->resolver == NULL) {

        /* no resolver: the name is resolved once, now */

        ngx_memzero(&u, sizeof(ngx_url_t));

        u.url = rc->addr;
        u.default_port = NGX_HTTP_CX_REDIS_PORT;

        if (ngx_parse_url(cf->pool, &u) != NGX_OK || u.naddrs == 0) {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "invalid address \"%V\" in \"cx_redis\": %s "
                          "in %s:%ui", &rc->addr,
                          u.err ? u.err : "host not found",
                          rc->file, rc->line);
            return NGX_ERROR;
        }

        rc->addrs = u.addrs;
        rc->naddrs = u.naddrs;
    }

    if (rc->tls) {
        return ngx_http_cx_redis_init_ssl(cf, rc);
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_cx_redis_init_ssl(ngx_conf_t *cf, ngx_http_cx_redis_conf_t *rc)
{
#if (NGX_SSL)
    ngx_addr_t           addr;
    ngx_str_t            none;
    ngx_pool_cleanup_t  *cln;

    if (rc->ssl_protocols == 0) {
        rc->ssl_protocols = NGX_CONF_BITMASK_SET
                            |NGX_SSL_TLSv1_2|NGX_SSL_TLSv1_3;
    }

    ngx_conf_init_value(rc->ssl_verify, 1);

    rc->ssl = ngx_pcalloc(cf->pool, sizeof(ngx_ssl_t));
    if (rc->ssl == NULL) {
        return NGX_ERROR;
    }

    rc->ssl->log = cf->log;

    if (ngx_ssl_create(rc->ssl, rc->ssl_protocols, NULL) != NGX_OK) {
        return NGX_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        ngx_ssl_cleanup_ctx(rc->ssl);
        return NGX_ERROR;
    }

    cln->handler = ngx_ssl_cleanup_ctx;
    cln->data = rc->ssl;

    if (rc->ssl_certificate.len || rc->ssl_certificate_key.len) {

        if (rc->ssl_certificate.len == 0 || rc->ssl_certificate_key.len == 0)
        {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "\"cx_redis_ssl_certificate\" and "
                          "\"cx_redis_ssl_certificate_key\" go together");
            return NGX_ERROR;
        }

        if (ngx_ssl_certificate(cf, rc->ssl, &rc->ssl_certificate,
                                &rc->ssl_certificate_key, NULL)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    /* SNI and the name checked: cx_redis_ssl_server_name, or the host */

    rc->ssl_name = rc->ssl_server_name.len ? rc->ssl_server_name : rc->host;

    if (rc->ssl_name.len
        && ngx_parse_addr(cf->pool, &addr, rc->ssl_name.data,
                          rc->ssl_name.len)
           == NGX_OK)
    {
        rc->ssl_name_ip = 1;
    }

    if (!rc->ssl_verify) {
        return NGX_OK;
    }

    if (rc->ssl_trusted_certificate.len) {
        return ngx_ssl_trusted_certificate(cf, rc->ssl,
                                           &rc->ssl_trusted_certificate,
                                           NGX_HTTP_CX_REDIS_VERIFY_DEPTH);
    }

    /* the system's certificate authorities */

    ngx_str_null(&none);

    if (ngx_ssl_trusted_certificate(cf, rc->ssl, &none,
                                    NGX_HTTP_CX_REDIS_VERIFY_DEPTH)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (SSL_CTX_set_default_verify_paths(rc->ssl->ctx) != 1) {
        ngx_ssl_error(NGX_LOG_EMERG, cf->log, 0,
                      "SSL_CTX_set_default_verify_paths() failed");
        return NGX_ERROR;
    }

    return NGX_OK;
#else
    return NGX_ERROR;
#endif
}
