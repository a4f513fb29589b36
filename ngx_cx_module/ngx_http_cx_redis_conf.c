
/*
 * ngx_http_cx_redis_conf.c: the cx_redis* directives.  Where Redis is
 * (cx_redis: host:port, an IP, unix:/path; cx_redis_sentinel: a master
 * name and the sentinels that know it; cx_redis_cluster: nodes to ask
 * for the slot map, and shards=), who we are (user=, password=,
 * sentinel_user=, sentinel_password=), db=, prefix=, cx_redis_wait, and
 * TLS: nginx's OpenSSL context, made once here, and for every node the
 * name its certificate must match.  Also the nodes announced at run time
 * (a sentinel's answer): ngx_http_cx_redis_node_found().
 *
 * A host name is resolved at every connect when there is a resolver
 * (cx_redis_resolver, or the http block's resolver); without one it is
 * resolved here, once, as nginx does for proxy_pass.  A password is never
 * repeated in a message.
 */


#include "ngx_http_cx_module.h"
#include "ngx_http_cx_redis_conn.h"
#include "ngx_http_cx_redis.h"
#include "ngx_http_cx_util.h"
#include "ngx_http_cx_shard.h"


#define NGX_HTTP_CX_REDIS_PORT          6379
#define NGX_HTTP_CX_SENTINEL_PORT       26379
#define NGX_HTTP_CX_REDIS_VERIFY_DEPTH  4
#define NGX_HTTP_CX_SHARDS_DEFAULT      16


static ngx_http_cx_redis_conf_t *ngx_http_cx_redis_begin(ngx_conf_t *cf,
    ngx_http_cx_main_conf_t *cmcf, const char *directive, char **rv);
static char *ngx_http_cx_redis_end(ngx_conf_t *cf,
    ngx_http_cx_main_conf_t *cmcf, ngx_http_cx_redis_conf_t *rc);
static char *ngx_http_cx_redis_once(ngx_conf_t *cf,
    ngx_http_cx_main_conf_t *cmcf);
static ngx_array_t *ngx_http_cx_redis_nodes(ngx_conf_t *cf,
    ngx_http_cx_main_conf_t *cmcf, ngx_http_cx_redis_conf_t *rc,
    ngx_uint_t first, ngx_uint_t max, in_port_t port);
static ngx_int_t ngx_http_cx_redis_parse_node(ngx_conf_t *cf,
    ngx_str_t *text, ngx_http_cx_redis_node_t *node, in_port_t port);
static ngx_http_cx_redis_conf_t *ngx_http_cx_redis_get_conf(ngx_conf_t *cf,
    ngx_http_cx_main_conf_t *cmcf);
static ngx_http_cx_redis_conf_t *ngx_http_cx_redis_ssl_conf(ngx_conf_t *cf,
    void *conf);
static char *ngx_http_cx_redis_param(ngx_conf_t *cf,
    ngx_http_cx_main_conf_t *cmcf, ngx_http_cx_redis_conf_t *rc,
    ngx_str_t *param);
static ngx_int_t ngx_http_cx_redis_init_node(ngx_conf_t *cf,
    ngx_http_cx_redis_conf_t *rc, ngx_http_cx_redis_node_t *node,
    in_port_t port);
static ngx_int_t ngx_http_cx_redis_init_ssl(ngx_conf_t *cf,
    ngx_http_cx_redis_conf_t *rc);
static ngx_uint_t ngx_http_cx_redis_is_ip(u_char *p, size_t len);


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
    ngx_uint_t                 i;
    ngx_http_cx_redis_conf_t  *rc;

    rc = ngx_http_cx_redis_begin(cf, cmcf, "cx_redis", &rv);
    if (rc == NULL) {
        return rv;
    }

    value = cf->args->elts;

    if (ngx_http_cx_redis_parse_node(cf, &value[1], &rc->node,
                                     NGX_HTTP_CX_REDIS_PORT)
        != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    for (i = 2; i < cf->args->nelts; i++) {
        rv = ngx_http_cx_redis_param(cf, cmcf, rc, &value[i]);
        if (rv != NGX_CONF_OK) {
            return rv;
        }
    }

    return ngx_http_cx_redis_end(cf, cmcf, rc);
}


/*
 * cx_redis_sentinel master host:port ... [tls] [user=name]
 *          [password=secret] [sentinel_user=name]
 *          [sentinel_password=secret] [db=N] [prefix=name]
 */

char *
ngx_http_cx_redis_sentinel_conf(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_cx_main_conf_t *cmcf = conf;

    char                      *rv;
    ngx_str_t                 *value;
    ngx_uint_t                 i;
    ngx_http_cx_redis_conf_t  *rc;

    rc = ngx_http_cx_redis_begin(cf, cmcf, "cx_redis_sentinel", &rv);
    if (rc == NULL) {
        return rv;
    }

    value = cf->args->elts;

    /* as Sentinel takes it: no space, no control byte */

    for (i = 0; i < value[1].len; i++) {
        if (value[1].data[i] <= ' ' || value[1].data[i] >= 0x7f) {
            break;
        }
    }

    if (value[1].len == 0 || value[1].len > NGX_HTTP_CX_NAME_MAX
        || i < value[1].len)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid master name \"%V\" in \"%V\": 1 to %d "
                           "printable characters", &value[1], &cmd->name,
                           NGX_HTTP_CX_NAME_MAX);
        return NGX_CONF_ERROR;
    }

    rc->master = value[1];

    rc->sentinels = ngx_http_cx_redis_nodes(cf, cmcf, rc, 2,
                                            NGX_HTTP_CX_SENTINELS_MAX,
                                            NGX_HTTP_CX_SENTINEL_PORT);
    if (rc->sentinels == NULL) {
        return NGX_CONF_ERROR;
    }

    if (rc->sentinels->nelts == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "no sentinel address in \"%V\": expected "
                           "\"%V %V host:port ...\"", &cmd->name,
                           &cmd->name, &value[1]);
        return NGX_CONF_ERROR;
    }

    if (rc->sentinel_user.len && rc->sentinel_password.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"sentinel_user=\" in \"%V\" needs "
                           "\"sentinel_password=\"", &cmd->name);
        return NGX_CONF_ERROR;
    }

    return ngx_http_cx_redis_end(cf, cmcf, rc);
}


/*
 * cx_redis_cluster host:port ... [tls] [user=name] [password=secret]
 *          [prefix=name] [shards=N]
 */

char *
ngx_http_cx_redis_cluster_conf(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_cx_main_conf_t *cmcf = conf;

    char                      *rv;
    ngx_http_cx_redis_conf_t  *rc;

    rc = ngx_http_cx_redis_begin(cf, cmcf, "cx_redis_cluster", &rv);
    if (rc == NULL) {
        return rv;
    }

    rc->shards = NGX_HTTP_CX_SHARDS_DEFAULT;

    rc->seeds = ngx_http_cx_redis_nodes(cf, cmcf, rc, 1,
                                        NGX_HTTP_CX_SEEDS_MAX,
                                        NGX_HTTP_CX_REDIS_PORT);
    if (rc->seeds == NULL) {
        return NGX_CONF_ERROR;
    }

    if (rc->seeds->nelts == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "no node address in \"%V\": expected "
                           "\"%V host:port ...\"", &cmd->name, &cmd->name);
        return NGX_CONF_ERROR;
    }

    return ngx_http_cx_redis_end(cf, cmcf, rc);
}


/*
 * The addresses of cx_redis_sentinel or cx_redis_cluster, from argument
 * first on, with their parameters among them: an array (maybe empty),
 * NULL on an error, logged.
 */

static ngx_array_t *
ngx_http_cx_redis_nodes(ngx_conf_t *cf, ngx_http_cx_main_conf_t *cmcf,
    ngx_http_cx_redis_conf_t *rc, ngx_uint_t first, ngx_uint_t max,
    in_port_t port)
{
    ngx_str_t                 *value;
    ngx_uint_t                 i;
    ngx_array_t               *nodes;
    ngx_http_cx_redis_node_t  *node;

    value = cf->args->elts;

    nodes = ngx_array_create(cf->pool, 3, sizeof(ngx_http_cx_redis_node_t));
    if (nodes == NULL) {
        return NULL;
    }

    /* the parameters see which directive this is */

    if (port == NGX_HTTP_CX_SENTINEL_PORT) {
        rc->sentinels = nodes;

    } else {
        rc->seeds = nodes;
    }

    for (i = first; i < cf->args->nelts; i++) {

        if (ngx_strlchr(value[i].data, value[i].data + value[i].len, '=')
            || (value[i].len == 3 && ngx_strncmp(value[i].data, "tls", 3)
                                     == 0))
        {
            if (ngx_http_cx_redis_param(cf, cmcf, rc, &value[i])
                != NGX_CONF_OK)
            {
                return NULL;
            }

            continue;
        }

        if (nodes->nelts == max) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "more than %ui addresses in \"%V\"",
                               max, &value[0]);
            return NULL;
        }

        node = ngx_array_push(nodes);
        if (node == NULL) {
            return NULL;
        }

        ngx_memzero(node, sizeof(ngx_http_cx_redis_node_t));

        if (ngx_http_cx_redis_parse_node(cf, &value[i], node, port)
            != NGX_OK)
        {
            return NULL;
        }
    }

    return nodes;
}


/* what every cx_redis* address directive starts with: NULL, *rv said */

static ngx_http_cx_redis_conf_t *
ngx_http_cx_redis_begin(ngx_conf_t *cf, ngx_http_cx_main_conf_t *cmcf,
    const char *directive, char **rv)
{
    ngx_http_cx_redis_conf_t  *rc;

    *rv = ngx_http_cx_redis_once(cf, cmcf);
    if (*rv != NGX_CONF_OK) {
        return NULL;
    }

    rc = ngx_http_cx_redis_get_conf(cf, cmcf);
    if (rc == NULL) {
        *rv = NGX_CONF_ERROR;
        return NULL;
    }

    rc->directive = directive;
    rc->file = cf->conf_file->file.name.data;
    rc->line = cf->conf_file->line;

    return rc;
}


/* and ends with: who we are, checked; the Redis of the module */

static char *
ngx_http_cx_redis_end(ngx_conf_t *cf, ngx_http_cx_main_conf_t *cmcf,
    ngx_http_cx_redis_conf_t *rc)
{
    if (rc->user.len && rc->password.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"user=\" in \"%s\" needs \"password=\"",
                           rc->directive);
        return NGX_CONF_ERROR;
    }

    cmcf->redis = rc;

    return NGX_CONF_OK;
}


/* one of cx_redis, cx_redis_sentinel and cx_redis_cluster, once */

static char *
ngx_http_cx_redis_once(ngx_conf_t *cf, ngx_http_cx_main_conf_t *cmcf)
{
    ngx_str_t  *value;

    if (cmcf->redis == NULL) {
        return NGX_CONF_OK;
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[0].data, cmcf->redis->directive) == 0) {
        return "is duplicate";
    }

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "\"%V\" and \"%s\" in %s:%ui: one Redis, one of them",
                       &value[0], cmcf->redis->directive, cmcf->redis->file,
                       cmcf->redis->line);

    return NGX_CONF_ERROR;
}


/* host:port, an IP address, [IPv6]:port or unix:/path */

static ngx_int_t
ngx_http_cx_redis_parse_node(ngx_conf_t *cf, ngx_str_t *text,
    ngx_http_cx_redis_node_t *node, in_port_t port)
{
    ngx_url_t   u;
    ngx_str_t  *value;

    value = cf->args->elts;

    node->addr = *text;

    ngx_memzero(&u, sizeof(ngx_url_t));

    u.url = *text;
    u.default_port = port;
    u.no_resolve = 1;

    if (ngx_parse_url(cf->pool, &u) != NGX_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid address \"%V\" in \"%V\": %s",
                           text, &value[0], u.err ? u.err : "invalid");
        return NGX_ERROR;
    }

    if (u.uri.len) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid address \"%V\" in \"%V\": a path",
                           text, &value[0]);
        return NGX_ERROR;
    }

    if (u.naddrs) {
        /* an IP address or unix:/path */
        node->addrs = u.addrs;
        node->naddrs = u.naddrs;

    } else {
        node->port = u.port;
    }

    /* the host (a name or an IP): what a certificate must match */

    if (u.family != AF_UNIX && u.host.len) {
        node->host.len = u.host.len;
        node->host.data = ngx_pnalloc(cf->pool, u.host.len + 1);
        if (node->host.data == NULL) {
            return NGX_ERROR;
        }

        ngx_cpystrn(node->host.data, u.host.data, u.host.len + 1);

        if (node->host.data[0] == '[') {
            /* [::1]: the address without brackets */
            node->host.data++;
            node->host.len -= 2;
            node->host.data[node->host.len] = '\0';
        }
    }

    return NGX_OK;
}


static char *
ngx_http_cx_redis_param(ngx_conf_t *cf, ngx_http_cx_main_conf_t *cmcf,
    ngx_http_cx_redis_conf_t *rc, ngx_str_t *param)
{
    u_char      *p;
    size_t       n;
    ngx_str_t    v, *user;
    ngx_int_t    shards;
    ngx_uint_t   i, sentinel, cluster;
    const char  *expected;

    sentinel = (rc->sentinels != NULL);
    cluster = (rc->seeds != NULL);

    if (param->len == 3 && ngx_strncmp(param->data, "tls", 3) == 0) {
#if (NGX_SSL)
        rc->tls = 1;
        return NGX_CONF_OK;
#else
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"tls\" in \"%s\" needs nginx built "
                           "with OpenSSL", rc->directive);
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

    if (sentinel && n == 17
        && ngx_strncmp(param->data, "sentinel_password", 17) == 0 && v.len)
    {
        rc->sentinel_password = v;
        return NGX_CONF_OK;
    }

    user = NULL;

    if (n == 4 && ngx_strncmp(param->data, "user", 4) == 0) {
        user = &rc->user;

    } else if (sentinel && n == 13
               && ngx_strncmp(param->data, "sentinel_user", 13) == 0)
    {
        user = &rc->sentinel_user;
    }

    if (user && v.len) {
        for (i = 0; i < v.len; i++) {
            if (v.data[i] <= ' ' || v.data[i] == 0x7f) {
                goto invalid;
            }
        }

        *user = v;
        return NGX_CONF_OK;
    }

    if (cluster && n == 6 && ngx_strncmp(param->data, "shards", 6) == 0) {
        shards = ngx_atoi(v.data, v.len);
        if (shards < 1 || shards > NGX_HTTP_CX_SHARDS_MAX) {
            goto invalid;
        }

        rc->shards = shards;
        return NGX_CONF_OK;
    }

    /* a cluster has database 0 only */

    if (!cluster && n == 2 && ngx_strncmp(param->data, "db", 2) == 0) {
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

    if (cluster) {
        expected = "tls, user=name, password=..., prefix=name or "
                   "shards=1..1024";

    } else if (sentinel) {
        expected = "tls, user=name, password=..., sentinel_user=name, "
                   "sentinel_password=..., db=0..65535 or prefix=name";

    } else {
        expected = "tls, user=name, password=..., db=0..65535 "
                   "or prefix=name";
    }

    /* what may be a secret mistyped is not repeated */

    if (p == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter in \"%s\" (not shown: "
                           "it may be a secret): expected %s",
                           rc->directive, expected);
        return NGX_CONF_ERROR;
    }

    if (ngx_strlcasestrn(param->data, p, (u_char *) "pas", 2) != NULL) {
        param->len = p - param->data + 1;
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V...\" in \"%s\": "
                           "expected %s", param, rc->directive, expected);
        return NGX_CONF_ERROR;
    }

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid parameter \"%V\" in \"%s\": expected %s",
                       param, rc->directive, expected);
    return NGX_CONF_ERROR;
}


/* cx_redis_wait replicas time | off */

char *
ngx_http_cx_redis_wait(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_int_t                  n;
    ngx_str_t                 *value;
    ngx_msec_t                 ms;
    ngx_http_cx_redis_conf_t  *rc;

    rc = ngx_http_cx_redis_get_conf(cf, conf);
    if (rc == NULL) {
        return NGX_CONF_ERROR;
    }

    if (rc->wait_file) {
        return "is duplicate";
    }

    rc->wait_file = cf->conf_file->file.name.data;
    rc->wait_line = cf->conf_file->line;

    value = cf->args->elts;

    if (cf->args->nelts == 2
        && value[1].len == 3 && ngx_strncmp(value[1].data, "off", 3) == 0)
    {
        return NGX_CONF_OK;
    }

    if (cf->args->nelts != 3) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" takes a number of replicas and a time, "
                           "e.g. \"%V 1 500ms;\", or \"off\"",
                           &cmd->name, &cmd->name);
        return NGX_CONF_ERROR;
    }

    n = ngx_atoi(value[1].data, value[1].len);

    if (n < 1 || n > 64) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid number of replicas \"%V\" in \"%V\": "
                           "1 to 64", &value[1], &cmd->name);
        return NGX_CONF_ERROR;
    }

    ms = ngx_parse_time(&value[2], 0);

    if (ms == (ngx_msec_t) NGX_ERROR || ms == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid time \"%V\" in \"%V\"",
                           &value[2], &cmd->name);
        return NGX_CONF_ERROR;
    }

    rc->wait = n;
    rc->wait_timeout = ms;

    return NGX_CONF_OK;
}


/*
 * Our conf for a cx_redis_ssl_* directive, and where the first of them
 * was written (the place nginx -t names if TLS is not used after all)
 */

static ngx_http_cx_redis_conf_t *
ngx_http_cx_redis_ssl_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_cx_redis_conf_t  *rc;

    rc = ngx_http_cx_redis_get_conf(cf, conf);
    if (rc == NULL) {
        return NULL;
    }

    if (rc->ssl_file == NULL) {
        rc->ssl_file = cf->conf_file->file.name.data;
        rc->ssl_line = cf->conf_file->line;
    }

    return rc;
}


/* cx_redis_ssl_* and cx_redis_resolver_timeout: nginx's slots, on our conf */

char *
ngx_http_cx_redis_str_slot(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_cx_redis_conf_t  *rc;

    rc = ngx_http_cx_redis_ssl_conf(cf, conf);
    if (rc == NULL) {
        return NGX_CONF_ERROR;
    }

    return ngx_conf_set_str_slot(cf, cmd, rc);
}


char *
ngx_http_cx_redis_flag_slot(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_cx_redis_conf_t  *rc;

    rc = ngx_http_cx_redis_ssl_conf(cf, conf);
    if (rc == NULL) {
        return NGX_CONF_ERROR;
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

    rc = ngx_http_cx_redis_ssl_conf(cf, conf);
    if (rc == NULL) {
        return NGX_CONF_ERROR;
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
 * names resolved now when there is none, the TLS context and the name
 * every node's certificate must have; for Sentinel, the sentinels' own
 * credentials.
 */

ngx_int_t
ngx_http_cx_redis_init_conf(ngx_conf_t *cf, ngx_http_cx_main_conf_t *cmcf)
{
    ngx_uint_t                 i;
    ngx_http_cx_redis_conf_t  *rc, *sc;
    ngx_http_cx_redis_node_t  *node;
    ngx_http_core_loc_conf_t  *clcf;

    rc = cmcf->redis_conf;

    if (rc == NULL) {
        return NGX_OK;
    }

    if (cmcf->redis == NULL) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"cx_redis_*\" directives need \"cx_redis\", "
                      "\"cx_redis_sentinel\" or \"cx_redis_cluster\"");
        return NGX_ERROR;
    }

    if (rc->ssl_file && !rc->tls) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"cx_redis_ssl_*\" in %s:%ui needs the \"tls\" "
                      "parameter of \"%s\" in %s:%ui",
                      rc->ssl_file, rc->ssl_line, rc->directive,
                      rc->file, rc->line);
        return NGX_ERROR;
    }

    if (rc->wait && rc->wait_timeout >= cmcf->redis_timeout) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "the time of \"cx_redis_wait\" in %s:%ui must be "
                      "less than \"cx_redis_timeout\" (%Mms), which "
                      "bounds every reply", rc->wait_file, rc->wait_line,
                      cmcf->redis_timeout);
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

#if (NGX_SSL)
    if (rc->tls && ngx_http_cx_redis_init_ssl(cf, rc) != NGX_OK) {
        return NGX_ERROR;
    }
#endif

    if (rc->seeds) {
        node = rc->seeds->elts;

        for (i = 0; i < rc->seeds->nelts; i++) {
            if (ngx_http_cx_redis_init_node(cf, rc, &node[i],
                                            NGX_HTTP_CX_REDIS_PORT)
                != NGX_OK)
            {
                return NGX_ERROR;
            }
        }

        return NGX_OK;
    }

    if (rc->sentinels == NULL) {
        return ngx_http_cx_redis_init_node(cf, rc, &rc->node,
                                           NGX_HTTP_CX_REDIS_PORT);
    }

    node = rc->sentinels->elts;

    for (i = 0; i < rc->sentinels->nelts; i++) {
        if (ngx_http_cx_redis_init_node(cf, rc, &node[i],
                                        NGX_HTTP_CX_SENTINEL_PORT)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    /* the sentinels: the same TLS, their own AUTH, no SELECT */

    sc = ngx_palloc(cf->pool, sizeof(ngx_http_cx_redis_conf_t));
    if (sc == NULL) {
        return NGX_ERROR;
    }

    *sc = *rc;

    sc->user = rc->sentinel_user;
    sc->password = rc->sentinel_password;
    sc->db = 0;
    sc->sentinels = NULL;

    rc->sentinel_conf = sc;

    return NGX_OK;
}


/* a configured node: a name resolved now without a resolver; its TLS name */

static ngx_int_t
ngx_http_cx_redis_init_node(ngx_conf_t *cf, ngx_http_cx_redis_conf_t *rc,
    ngx_http_cx_redis_node_t *node, in_port_t port)
{
    ngx_url_t  u;

    if (node->naddrs == 0 && rc->resolver == NULL) {

        /* no resolver: the name is resolved once, now */

        ngx_memzero(&u, sizeof(ngx_url_t));

        u.url = node->addr;
        u.default_port = port;

        if (ngx_parse_url(cf->pool, &u) != NGX_OK || u.naddrs == 0) {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "invalid address \"%V\" in \"%s\": %s "
                          "in %s:%ui", &node->addr, rc->directive,
                          u.err ? u.err : "host not found",
                          rc->file, rc->line);
            return NGX_ERROR;
        }

        node->addrs = u.addrs;
        node->naddrs = u.naddrs;
    }

    /* SNI and the name checked: cx_redis_ssl_server_name, or the host */

    node->ssl_name = rc->ssl_server_name.len ? rc->ssl_server_name
                                             : node->host;

    node->ssl_name_ip = ngx_http_cx_redis_is_ip(node->ssl_name.data,
                                                node->ssl_name.len);

    return NGX_OK;
}


/*
 * A node announced at run time, e.g. by a sentinel: an IP address, or a
 * name (Sentinel's announce-hostnames) that needs a resolver.  Its TLS
 * name is cx_redis_ssl_server_name, or the host as announced.
 * NGX_DECLINED: not an address; NGX_ABORT: a name, and no resolver.
 */

ngx_int_t
ngx_http_cx_redis_node_found(ngx_http_cx_redis_found_t *f,
    ngx_http_cx_redis_conf_t *conf, ngx_str_t *host, ngx_str_t *port)
{
    u_char               *p, ch;
    ngx_int_t             n;
    ngx_uint_t            i, ip6;
    in_addr_t             inaddr;
    struct sockaddr_in   *sin;
#if (NGX_HAVE_INET6)
    struct sockaddr_in6  *sin6;
#endif

    ngx_memzero(f, sizeof(ngx_http_cx_redis_found_t));

    n = ngx_atoi(port->data, port->len);

    if (host->len == 0 || host->len > NGX_HTTP_CX_REDIS_HOST_MAX
        || n < 1 || n > 65535)
    {
        return NGX_DECLINED;
    }

    ip6 = 0;
    inaddr = ngx_inet_addr(host->data, host->len);

    if (inaddr != INADDR_NONE) {
        sin = &f->sockaddr.sockaddr_in;
        sin->sin_family = AF_INET;
        sin->sin_port = htons((in_port_t) n);
        sin->sin_addr.s_addr = inaddr;

        f->addr.socklen = sizeof(struct sockaddr_in);

#if (NGX_HAVE_INET6)
    } else if (ngx_inet6_addr(host->data, host->len,
                              f->sockaddr.sockaddr_in6.sin6_addr.s6_addr)
               == NGX_OK)
    {
        sin6 = &f->sockaddr.sockaddr_in6;
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((in_port_t) n);

        f->addr.socklen = sizeof(struct sockaddr_in6);
        ip6 = 1;
#endif

    } else {

        /* a name: letters, digits, '-', '.', '_' */

        for (i = 0; i < host->len; i++) {
            ch = ngx_tolower(host->data[i]);

            if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')
                  || ch == '-' || ch == '.' || ch == '_'))
            {
                return NGX_DECLINED;
            }
        }

        if (conf->resolver == NULL) {
            return NGX_ABORT;
        }
    }

    if (f->addr.socklen) {
        f->addr.sockaddr = &f->sockaddr.sockaddr;
        f->node.addrs = &f->addr;
        f->node.naddrs = 1;
    }

    p = ngx_cpymem(f->host, host->data, host->len);
    *p = '\0';

    f->node.host.data = f->host;
    f->node.host.len = host->len;
    f->node.port = (in_port_t) n;

    p = ngx_sprintf(f->text, ip6 ? "[%V]:%i" : "%V:%i", host, n);

    f->node.addr.data = f->text;
    f->node.addr.len = p - f->text;

    if (conf->ssl_server_name.len) {
        f->node.ssl_name = conf->ssl_server_name;

    } else {
        f->node.ssl_name = f->node.host;
    }

    f->node.ssl_name_ip = ngx_http_cx_redis_is_ip(f->node.ssl_name.data,
                                                  f->node.ssl_name.len);

    return NGX_OK;
}


static ngx_uint_t
ngx_http_cx_redis_is_ip(u_char *p, size_t len)
{
#if (NGX_HAVE_INET6)
    u_char  addr6[16];
#endif

    if (len == 0) {
        return 0;
    }

    if (ngx_inet_addr(p, len) != INADDR_NONE) {
        return 1;
    }

#if (NGX_HAVE_INET6)
    if (ngx_inet6_addr(p, len, addr6) == NGX_OK) {
        return 1;
    }
#endif

    return 0;
}


static ngx_int_t
ngx_http_cx_redis_init_ssl(ngx_conf_t *cf, ngx_http_cx_redis_conf_t *rc)
{
#if (NGX_SSL)
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
