
/*
 * ngx_http_cx_redis_conn.c: one connection to Redis on nginx's own I/O
 * (see the header).
 *
 * A connect goes: resolving (a name, with nginx's resolver), connecting
 * (ngx_event_connect_peer), tls (ngx_ssl_handshake, then the chain and
 * the name checked), handshaking (AUTH, SELECT), ready.  One timer, the
 * deadline, bounds connecting to ready by cx_redis_timeout; once
 * commands wait, the read timer does (no byte from Redis in that time:
 * the connection is closed), and the write timer bounds a send.
 *
 * Reads go until the socket says EAGAIN (nginx's epoll is
 * edge-triggered); every reply is handed to its command's callback as
 * soon as it is complete (built by ngx_http_cx_redis_reply.c), or to
 * push() when it is a subscribed connection's message.  Writes are
 * coalesced: a command is formatted into the out buffer and the write
 * event posted for the loop's next turn, so what a handler queues goes
 * out in one send.
 *
 * nginx's own code logs what goes wrong on the socket (connect(),
 * recv(), SSL_*) to c->log.  Here that log is a capture: the line
 * becomes the reason in our own message, which the owner logs once, at
 * the level it chooses.
 */


#include "ngx_http_cx_module.h"
#include "ngx_http_cx_redis_conn.h"


#define NGX_HTTP_CX_REDIS_OUT_KEEP    (1024 * 1024)


static void ngx_http_cx_redis_resolved(ngx_resolver_ctx_t *ctx);
static void ngx_http_cx_redis_connect_addr(ngx_http_cx_redis_conn_t *rc,
    struct sockaddr *sa, socklen_t socklen);
static void ngx_http_cx_redis_connected(ngx_http_cx_redis_conn_t *rc);
#if (NGX_SSL)
static void ngx_http_cx_redis_ssl_start(ngx_http_cx_redis_conn_t *rc);
static void ngx_http_cx_redis_ssl_done(ngx_connection_t *c);
static ngx_int_t ngx_http_cx_redis_ssl_verify(ngx_http_cx_redis_conn_t *rc,
    ngx_connection_t *c);
#endif
static void ngx_http_cx_redis_handshake(ngx_http_cx_redis_conn_t *rc);
static void ngx_http_cx_redis_handshake_reply(ngx_http_cx_redis_conn_t *rc,
    redisReply *reply, void *data);
static void ngx_http_cx_redis_deadline(ngx_event_t *ev);
static void ngx_http_cx_redis_read_handler(ngx_event_t *ev);
static void ngx_http_cx_redis_write_handler(ngx_event_t *ev);
static void ngx_http_cx_redis_replies(ngx_http_cx_redis_conn_t *rc);
static ngx_uint_t ngx_http_cx_redis_message(redisReply *r);
static ngx_int_t ngx_http_cx_redis_queue(ngx_http_cx_redis_conn_t *rc,
    int argc, const char **argv, const size_t *argvlen,
    ngx_http_cx_redis_reply_pt handler, void *data, ngx_uint_t secret);
static void ngx_http_cx_redis_flush_out(ngx_http_cx_redis_conn_t *rc);
static void ngx_http_cx_redis_fail(ngx_http_cx_redis_conn_t *rc,
    const char *fmt, ...);
static void ngx_http_cx_redis_shut(ngx_http_cx_redis_conn_t *rc);
static u_char *ngx_http_cx_redis_reason(ngx_http_cx_redis_conn_t *rc,
    ngx_err_t err);
static void ngx_http_cx_redis_capture(ngx_log_t *log, ngx_uint_t level,
    u_char *buf, size_t len);

static u_char  ngx_http_cx_redis_read_buf[NGX_HTTP_CX_REDIS_READ_BUF];


ngx_int_t
ngx_http_cx_redis_conn_init(ngx_http_cx_redis_conn_t *rc,
    ngx_http_cx_redis_conf_t *conf, ngx_msec_t timeout, ngx_log_t *log)
{
    rc->conf = conf;
    rc->node = &conf->node;
    rc->timeout = timeout;
    rc->log = log;
    rc->phase = ngx_http_cx_redis_phase_closed;

    rc->deadline.handler = ngx_http_cx_redis_deadline;
    rc->deadline.data = rc;
    rc->deadline.log = log;
    rc->deadline.cancelable = 1;

    /* nginx's lines about the socket: a reason for ours (see the header) */

    rc->capture = *log;
    rc->capture.log_level = NGX_LOG_INFO | (log->log_level & ~0xf);
    rc->capture.connection = 0;
    rc->capture.handler = NULL;
    rc->capture.data = NULL;
    rc->capture.action = NULL;
    rc->capture.writer = ngx_http_cx_redis_capture;
    rc->capture.wdata = rc;
    rc->capture.next = NULL;

    rc->cmds_size = 64;
    rc->cmds = ngx_alloc(rc->cmds_size * sizeof(ngx_http_cx_redis_cmd_t),
                         log);
    if (rc->cmds == NULL) {
        return NGX_ERROR;
    }

    rc->reader = ngx_http_cx_redis_reader(rc);
    if (rc->reader == NULL) {
        return NGX_ERROR;
    }

    ngx_str_set(&rc->name, "");

    return NGX_OK;
}


void
ngx_http_cx_redis_conn_free(ngx_http_cx_redis_conn_t *rc)
{
    ngx_http_cx_redis_shut(rc);

    if (rc->reader) {
        redisReaderFree(rc->reader);
        rc->reader = NULL;
    }

    ngx_http_cx_redis_arena_free(rc);

    if (rc->out) {
        ngx_free(rc->out);
        rc->out = NULL;
    }

    if (rc->cmds) {
        ngx_free(rc->cmds);
        rc->cmds = NULL;
    }
}


/* starts a connection; ready() or closed() tell how it went */

void
ngx_http_cx_redis_connect(ngx_http_cx_redis_conn_t *rc)
{
    ngx_uint_t                 i;
    ngx_resolver_ctx_t        *ctx;
    ngx_http_cx_redis_node_t  *node;

    if (rc->phase != ngx_http_cx_redis_phase_closed) {
        return;
    }

    node = rc->node;

    rc->lost = 0;
    rc->step = NULL;
    rc->error[0] = '\0';
    rc->said[0] = '\0';
    rc->name = node->addr;

    if (rc->reader == NULL) {
        rc->reader = ngx_http_cx_redis_reader(rc);
        if (rc->reader == NULL) {
            rc->phase = ngx_http_cx_redis_phase_connecting;
            ngx_http_cx_redis_fail(rc, "no memory");
            return;
        }
    }

    i = rc->attempt++;

    if (node->naddrs) {
        i %= node->naddrs;
        ngx_http_cx_redis_connect_addr(rc, node->addrs[i].sockaddr,
                                       node->addrs[i].socklen);
        return;
    }

    /* a name: asked again at every connect (the resolver caches by TTL) */

    ctx = ngx_resolve_start(rc->conf->resolver, NULL);

    if (ctx == NULL || ctx == NGX_NO_RESOLVER) {
        rc->phase = ngx_http_cx_redis_phase_resolving;
        ngx_http_cx_redis_fail(rc, "cannot start resolving");
        return;
    }

    ctx->name = node->host;
    ctx->handler = ngx_http_cx_redis_resolved;
    ctx->data = rc;
    ctx->timeout = rc->conf->resolver_timeout;
    ctx->cancelable = 1;

    rc->phase = ngx_http_cx_redis_phase_resolving;
    rc->resolving = ctx;

    /* the handler may run before this returns, with a cached answer */

    if (ngx_resolve_name(ctx) != NGX_OK) {
        rc->resolving = NULL;
        ngx_http_cx_redis_fail(rc, "cannot start resolving");
    }
}


static void
ngx_http_cx_redis_resolved(ngx_resolver_ctx_t *ctx)
{
    ngx_http_cx_redis_conn_t *rc = ctx->data;

    ngx_uint_t  i, n;

    rc->resolving = NULL;

    if (ctx->state) {
        ngx_http_cx_redis_fail(rc, "%s",
                               ngx_resolver_strerror(ctx->state));
        ngx_resolve_name_done(ctx);
        return;
    }

    n = ngx_min(ctx->naddrs, NGX_HTTP_CX_REDIS_ADDRS);

    for (i = 0; i < n; i++) {
        ngx_memcpy(&rc->resolved[i], ctx->addrs[i].sockaddr,
                   ctx->addrs[i].socklen);
        rc->resolved_len[i] = ctx->addrs[i].socklen;
        ngx_inet_set_port(&rc->resolved[i].sockaddr, rc->node->port);
    }

    rc->nresolved = n;

    ngx_resolve_name_done(ctx);

    if (n == 0) {
        ngx_http_cx_redis_fail(rc, "no address");
        return;
    }

    /* after a failure, the next address */

    i = rc->attempt % n;

    ngx_http_cx_redis_connect_addr(rc, &rc->resolved[i].sockaddr,
                                   rc->resolved_len[i]);
}


static void
ngx_http_cx_redis_connect_addr(ngx_http_cx_redis_conn_t *rc,
    struct sockaddr *sa, socklen_t socklen)
{
    u_char            *p;
    ngx_int_t          r;
    ngx_connection_t  *c;

    rc->peer_name.data = rc->peer_buf;
    rc->peer_name.len = ngx_sock_ntop(sa, socklen, rc->peer_buf,
                                      NGX_SOCKADDR_STRLEN, 1);

    if (rc->node->naddrs == 0) {
        /* a name: which address it was */
        p = ngx_snprintf(rc->name_buf, sizeof(rc->name_buf), "%V (%V)",
                         &rc->node->addr, &rc->peer_name);
        rc->name.data = rc->name_buf;
        rc->name.len = p - rc->name_buf;
    }

    ngx_memzero(&rc->peer, sizeof(ngx_peer_connection_t));

    rc->peer.sockaddr = sa;
    rc->peer.socklen = socklen;
    rc->peer.name = &rc->peer_name;
    rc->peer.get = ngx_event_get_peer;
    rc->peer.log = &rc->capture;
    rc->peer.log_error = NGX_ERROR_INFO;

    rc->phase = ngx_http_cx_redis_phase_connecting;
    rc->said[0] = '\0';

    r = ngx_event_connect_peer(&rc->peer);

    if (r == NGX_ERROR || r == NGX_BUSY || r == NGX_DECLINED) {
        rc->peer.connection = NULL;
        ngx_http_cx_redis_fail(rc, "%s", ngx_http_cx_redis_reason(rc, 0));
        return;
    }

    c = rc->peer.connection;

    c->data = rc;
    c->read->handler = ngx_http_cx_redis_read_handler;
    c->write->handler = ngx_http_cx_redis_write_handler;

    /* a worker that exits does not wait for these */
    c->read->cancelable = 1;
    c->write->cancelable = 1;

    /* nginx wakes idle connections with c->close set when it quits */
    c->idle = 1;

    c->pool = ngx_create_pool(1024, rc->log);
    if (c->pool == NULL) {
        ngx_http_cx_redis_fail(rc, "no memory");
        return;
    }

    if (sa->sa_family != AF_UNIX) {
        /* small pipelined writes must not wait for an ACK */
        (void) ngx_tcp_nodelay(c);
    }

    ngx_add_timer(&rc->deadline, rc->timeout);

    if (r == NGX_AGAIN) {
        /* the write event says when connect() is done */
        return;
    }

    ngx_http_cx_redis_connected(rc);
}


static void
ngx_http_cx_redis_connected(ngx_http_cx_redis_conn_t *rc)
{
    int                err;
    socklen_t          len;
    ngx_connection_t  *c;

    c = rc->peer.connection;

    err = 0;
    len = sizeof(int);

    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, (void *) &err, &len) == -1) {
        err = ngx_socket_errno;
    }

    if (err) {
        ngx_http_cx_redis_fail(rc, "%s", ngx_http_cx_redis_reason(rc, err));
        return;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_EVENT, rc->log, 0,
                   "cx redis: connected to %V", &rc->name);

#if (NGX_SSL)
    if (rc->conf->tls) {
        ngx_http_cx_redis_ssl_start(rc);
        return;
    }
#endif

    ngx_http_cx_redis_handshake(rc);
}


#if (NGX_SSL)

static void
ngx_http_cx_redis_ssl_start(ngx_http_cx_redis_conn_t *rc)
{
    ngx_int_t                  r;
    ngx_connection_t          *c;
    ngx_http_cx_redis_node_t  *node;

    c = rc->peer.connection;
    node = rc->node;

    rc->phase = ngx_http_cx_redis_phase_tls;

    if (ngx_ssl_create_connection(rc->conf->ssl, c, NGX_SSL_CLIENT)
        != NGX_OK)
    {
        ngx_http_cx_redis_fail(rc, "%s", ngx_http_cx_redis_reason(rc, 0));
        return;
    }

    /* the out buffer may move between a write and its retry */
    SSL_set_mode(c->ssl->connection, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);

    /* as per RFC 6066, no IP address in SNI */

    if (node->ssl_name.len && !node->ssl_name_ip
        && SSL_set_tlsext_host_name(c->ssl->connection,
                                    (char *) node->ssl_name.data)
           == 0)
    {
        ngx_http_cx_redis_fail(rc, "SSL_set_tlsext_host_name() failed");
        return;
    }

    r = ngx_ssl_handshake(c);

    if (r == NGX_AGAIN) {
        c->ssl->handler = ngx_http_cx_redis_ssl_done;
        return;
    }

    ngx_http_cx_redis_ssl_done(c);
}


static void
ngx_http_cx_redis_ssl_done(ngx_connection_t *c)
{
    ngx_http_cx_redis_conn_t *rc = c->data;

    if (!c->ssl->handshaked) {
        ngx_http_cx_redis_fail(rc, "%s", ngx_http_cx_redis_reason(rc, 0));
        return;
    }

    if (rc->conf->ssl_verify && ngx_http_cx_redis_ssl_verify(rc, c) != NGX_OK)
    {
        return;
    }

    c->read->handler = ngx_http_cx_redis_read_handler;
    c->write->handler = ngx_http_cx_redis_write_handler;

    ngx_http_cx_redis_handshake(rc);
}


/* the chain, then the name: an IP address or a DNS name, as curl does */

static ngx_int_t
ngx_http_cx_redis_ssl_verify(ngx_http_cx_redis_conn_t *rc,
    ngx_connection_t *c)
{
    long                       r;
    X509                      *cert;
    ngx_int_t                  ok;
    ngx_http_cx_redis_node_t  *node;

    node = rc->node;

    r = SSL_get_verify_result(c->ssl->connection);

    if (r != X509_V_OK) {
        ngx_http_cx_redis_fail(rc, "certificate verify failed: %s",
                               X509_verify_cert_error_string(r));
        return NGX_ERROR;
    }

    if (node->ssl_name.len == 0) {
        /* unix:/path without cx_redis_ssl_server_name: the chain only */
        return NGX_OK;
    }

    if (!node->ssl_name_ip) {
        if (ngx_ssl_check_host(c, &node->ssl_name) != NGX_OK) {
            ngx_http_cx_redis_fail(rc, "certificate does not match host "
                                   "name \"%V\"", &node->ssl_name);
            return NGX_ERROR;
        }

        return NGX_OK;
    }

    cert = SSL_get_peer_certificate(c->ssl->connection);
    if (cert == NULL) {
        ngx_http_cx_redis_fail(rc, "no certificate");
        return NGX_ERROR;
    }

    ok = X509_check_ip_asc(cert, (char *) node->ssl_name.data, 0) == 1;

    X509_free(cert);

    if (!ok) {
        ngx_http_cx_redis_fail(rc, "certificate does not match IP address "
                               "\"%V\"", &node->ssl_name);
        return NGX_ERROR;
    }

    return NGX_OK;
}

#endif


/* AUTH and SELECT, pipelined, before any command of the owner's */

static void
ngx_http_cx_redis_handshake(ngx_http_cx_redis_conn_t *rc)
{
    int                        argc;
    size_t                     lens[3];
    u_char                     db[NGX_INT_T_LEN];
    const char                *argv[3];
    ngx_http_cx_redis_conf_t  *conf;

    conf = rc->conf;

    rc->phase = ngx_http_cx_redis_phase_handshaking;

    if (conf->password.len) {
        argc = 0;
        argv[argc] = "AUTH";
        lens[argc++] = 4;

        if (conf->user.len) {
            argv[argc] = (const char *) conf->user.data;
            lens[argc++] = conf->user.len;
        }

        argv[argc] = (const char *) conf->password.data;
        lens[argc++] = conf->password.len;

        if (ngx_http_cx_redis_queue(rc, argc, argv, lens,
                                    ngx_http_cx_redis_handshake_reply,
                                    "AUTH", 1)
            != NGX_OK)
        {
            ngx_http_cx_redis_fail(rc, "no memory");
            return;
        }

        rc->handshake++;
    }

    if (conf->db) {
        argv[0] = "SELECT";
        lens[0] = 6;
        argv[1] = (const char *) db;
        lens[1] = ngx_sprintf(db, "%i", conf->db) - db;

        if (ngx_http_cx_redis_queue(rc, 2, argv, lens,
                                    ngx_http_cx_redis_handshake_reply,
                                    "SELECT", 0)
            != NGX_OK)
        {
            ngx_http_cx_redis_fail(rc, "no memory");
            return;
        }

        rc->handshake++;
    }

    if (rc->handshake == 0) {
        rc->phase = ngx_http_cx_redis_phase_ready;

        if (rc->deadline.timer_set) {
            ngx_del_timer(&rc->deadline);
        }

        rc->ready(rc);
    }
}


static void
ngx_http_cx_redis_handshake_reply(ngx_http_cx_redis_conn_t *rc,
    redisReply *reply, void *data)
{
    if (reply == NULL) {
        return;
    }

    if (reply->type == REDIS_REPLY_ERROR) {
        /* Redis never repeats a password in its errors */
        rc->step = data;
        ngx_http_cx_redis_fail(rc, "%*s", (size_t) reply->len, reply->str);
        return;
    }

    if (--rc->handshake) {
        return;
    }

    rc->phase = ngx_http_cx_redis_phase_ready;

    if (rc->deadline.timer_set) {
        ngx_del_timer(&rc->deadline);
    }

    rc->ready(rc);
}


static void
ngx_http_cx_redis_deadline(ngx_event_t *ev)
{
    ngx_http_cx_redis_conn_t *rc = ev->data;

    ngx_http_cx_redis_fail(rc, "timed out after %Mms", rc->timeout);
}


static void
ngx_http_cx_redis_read_handler(ngx_event_t *ev)
{
    ssize_t                    n;
    ngx_uint_t                 gen, got;
    ngx_connection_t          *c;
    ngx_http_cx_redis_conn_t  *rc;

    c = ev->data;
    rc = c->data;

    if (c->close) {
        /* graceful shutdown or reload: the owner decides when to go */
        c->close = 0;
        c->idle = 0;

        if (rc->quit) {
            rc->quit(rc);
        }

        return;
    }

    if (rc->phase == ngx_http_cx_redis_phase_connecting) {
        ngx_http_cx_redis_connected(rc);
        return;
    }

    if (ev->timedout) {
        ev->timedout = 0;
        ngx_http_cx_redis_fail(rc, "no reply in %Mms", rc->timeout);
        return;
    }

    gen = rc->generation;
    got = 0;

    for ( ;; ) {
        n = c->recv(c, ngx_http_cx_redis_read_buf,
                    NGX_HTTP_CX_REDIS_READ_BUF);

        if (n == NGX_AGAIN) {
            break;
        }

        if (n == 0) {
            ngx_http_cx_redis_fail(rc, "closed by the server");
            return;
        }

        if (n == NGX_ERROR) {
            ngx_http_cx_redis_fail(rc, "%s", ngx_http_cx_redis_reason(rc, 0));
            return;
        }

        got = 1;

        if (rc->reader->len - rc->reader->pos > NGX_HTTP_CX_REDIS_REPLY_MAX) {
            ngx_http_cx_redis_fail(rc, "a reply of more than %uz bytes",
                                   (size_t) NGX_HTTP_CX_REDIS_REPLY_MAX);
            return;
        }

        if (redisReaderFeed(rc->reader, (char *) ngx_http_cx_redis_read_buf,
                            n)
            != REDIS_OK)
        {
            ngx_http_cx_redis_fail(rc, "no memory for a reply");
            return;
        }

        ngx_http_cx_redis_replies(rc);

        if (rc->generation != gen) {
            /* a callback closed it */
            return;
        }
    }

    if (rc->pending == 0) {
        if (c->read->timer_set) {
            ngx_del_timer(c->read);
        }

    } else if (got || !c->read->timer_set) {
        ngx_add_timer(c->read, rc->timeout);
    }

    if (ngx_handle_read_event(c->read, 0) != NGX_OK) {
        ngx_http_cx_redis_fail(rc, "cannot wait for reading");
    }
}


static void
ngx_http_cx_redis_write_handler(ngx_event_t *ev)
{
    ngx_connection_t          *c;
    ngx_http_cx_redis_conn_t  *rc;

    c = ev->data;
    rc = c->data;

    if (rc->phase == ngx_http_cx_redis_phase_connecting) {
        ngx_http_cx_redis_connected(rc);
        return;
    }

    if (ev->timedout) {
        ev->timedout = 0;
        ngx_http_cx_redis_fail(rc, "sending timed out after %Mms",
                               rc->timeout);
        return;
    }

    ngx_http_cx_redis_flush_out(rc);
}


/* every complete reply to its command, in order */

static void
ngx_http_cx_redis_replies(ngx_http_cx_redis_conn_t *rc)
{
    void                     *reply;
    ngx_uint_t                gen;
    ngx_http_cx_redis_cmd_t   cmd;

    gen = rc->generation;

    for ( ;; ) {
        if (redisReaderGetReply(rc->reader, &reply) != REDIS_OK) {
            ngx_http_cx_redis_fail(rc, "protocol error: %s",
                                   rc->reader->errstr);
            return;
        }

        if (reply == NULL) {
            return;
        }

        if (rc->push && ngx_http_cx_redis_message(reply)) {
            /* subscribed: a message no command asked for */
            rc->push(rc, reply, NULL);

            ngx_http_cx_redis_arena_reset(rc);

            if (rc->generation != gen) {
                return;
            }

            continue;
        }

        if (rc->pending == 0) {
            ngx_http_cx_redis_arena_reset(rc);
            ngx_http_cx_redis_fail(rc, "a reply to no command");
            return;
        }

        cmd = rc->cmds[rc->cmds_head];
        rc->cmds_head = (rc->cmds_head + 1) % rc->cmds_size;
        rc->pending--;

        cmd.handler(rc, reply, cmd.data);

        ngx_http_cx_redis_arena_reset(rc);

        if (rc->generation != gen) {
            return;
        }
    }
}


/* a subscribed connection's message: ["message", channel, payload] */

static ngx_uint_t
ngx_http_cx_redis_message(redisReply *r)
{
    redisReply  *kind;

    if (r->type != REDIS_REPLY_ARRAY || r->elements != 3) {
        return 0;
    }

    kind = r->element[0];

    return kind->type == REDIS_REPLY_STRING && kind->len == 7
           && ngx_strncmp(kind->str, "message", 7) == 0;
}


ngx_int_t
ngx_http_cx_redis_send(ngx_http_cx_redis_conn_t *rc, int argc,
    const char **argv, const size_t *argvlen,
    ngx_http_cx_redis_reply_pt handler, void *data)
{
    if (rc->phase != ngx_http_cx_redis_phase_ready) {
        return NGX_DECLINED;
    }

    return ngx_http_cx_redis_queue(rc, argc, argv, argvlen, handler, data, 0);
}


static ngx_int_t
ngx_http_cx_redis_queue(ngx_http_cx_redis_conn_t *rc, int argc,
    const char **argv, const size_t *argvlen,
    ngx_http_cx_redis_reply_pt handler, void *data, ngx_uint_t secret)
{
    int                       len;
    char                     *cmd;
    u_char                   *p;
    size_t                    size, used;
    ngx_uint_t                i, n;
    ngx_connection_t         *c;
    ngx_http_cx_redis_cmd_t  *cmds;

    c = rc->peer.connection;

    /* room for one more callback */

    if (rc->pending == rc->cmds_size) {
        n = rc->cmds_size * 2;

        cmds = ngx_alloc(n * sizeof(ngx_http_cx_redis_cmd_t), rc->log);
        if (cmds == NULL) {
            return NGX_ERROR;
        }

        for (i = 0; i < rc->pending; i++) {
            cmds[i] = rc->cmds[(rc->cmds_head + i) % rc->cmds_size];
        }

        ngx_free(rc->cmds);

        rc->cmds = cmds;
        rc->cmds_size = n;
        rc->cmds_head = 0;
    }

    len = redisFormatCommandArgv(&cmd, argc, argv, argvlen);
    if (len < 0) {
        return NGX_ERROR;
    }

    /* room for the command */

    if ((size_t) (rc->out_end - rc->out_last) < (size_t) len) {
        used = rc->out_last - rc->out_pos;
        size = ngx_max((size_t) NGX_HTTP_CX_REDIS_READ_BUF,
                       (used + len) * 2);

        p = ngx_alloc(size, rc->log);
        if (p == NULL) {
            ngx_memzero(cmd, len);
            redisFreeCommand(cmd);
            return NGX_ERROR;
        }

        if (used) {
            ngx_memcpy(p, rc->out_pos, used);
        }

        if (rc->out) {
            ngx_free(rc->out);
        }

        rc->out = p;
        rc->out_pos = p;
        rc->out_last = p + used;
        rc->out_end = p + size;
    }

    rc->out_last = ngx_cpymem(rc->out_last, cmd, len);

    if (secret) {
        ngx_memzero(cmd, len);
    }

    redisFreeCommand(cmd);

    rc->cmds[(rc->cmds_head + rc->pending) % rc->cmds_size].handler = handler;
    rc->cmds[(rc->cmds_head + rc->pending) % rc->cmds_size].data = data;
    rc->pending++;

    if (!c->read->timer_set) {
        ngx_add_timer(c->read, rc->timeout);
    }

    /*
     * What the caller queues now goes out in one send, at the event
     * loop's next turn (the "next" queue: a command queued outside an
     * event handler -- the graceful quit, a worker's start -- must not
     * wait for the next event)
     */

    if (!c->write->posted) {
        ngx_post_event(c->write, &ngx_posted_next_events);
    }

    return NGX_OK;
}


static void
ngx_http_cx_redis_flush_out(ngx_http_cx_redis_conn_t *rc)
{
    ssize_t            n;
    ngx_connection_t  *c;

    c = rc->peer.connection;

    while (rc->out_pos < rc->out_last) {
        n = c->send(c, rc->out_pos, rc->out_last - rc->out_pos);

        if (n == NGX_AGAIN || n == 0) {
            if (!c->write->timer_set) {
                ngx_add_timer(c->write, rc->timeout);
            }

            if (ngx_handle_write_event(c->write, 0) != NGX_OK) {
                ngx_http_cx_redis_fail(rc, "cannot wait for writing");
            }

            return;
        }

        if (n == NGX_ERROR) {
            ngx_http_cx_redis_fail(rc, "%s", ngx_http_cx_redis_reason(rc, 0));
            return;
        }

        rc->out_pos += n;
    }

    if (c->write->timer_set) {
        ngx_del_timer(c->write);
    }

    if (rc->phase == ngx_http_cx_redis_phase_handshaking) {
        /* AUTH went: no password left in memory */
        ngx_memzero(rc->out, rc->out_last - rc->out);
    }

    rc->out_pos = rc->out;
    rc->out_last = rc->out;

    if (rc->out_end - rc->out > NGX_HTTP_CX_REDIS_OUT_KEEP) {
        ngx_free(rc->out);
        rc->out = NULL;
        rc->out_pos = NULL;
        rc->out_last = NULL;
        rc->out_end = NULL;
    }
}


void
ngx_http_cx_redis_close(ngx_http_cx_redis_conn_t *rc)
{
    ngx_http_cx_redis_shut(rc);
}


/*
 * The connection ended by itself: the message (what failed, on what,
 * why) in rc->error, pending callbacks called with NULL, then closed().
 */

static void
ngx_http_cx_redis_fail(ngx_http_cx_redis_conn_t *rc, const char *fmt, ...)
{
    u_char   *p, *last;
    va_list   args;

    p = rc->error;
    last = rc->error + NGX_HTTP_CX_REDIS_ERROR_LEN - 1;

    switch (rc->phase) {

    case ngx_http_cx_redis_phase_resolving:
        p = ngx_slprintf(p, last, "cannot resolve \"%V\": ",
                         &rc->node->host);
        break;

    case ngx_http_cx_redis_phase_tls:
        p = ngx_slprintf(p, last, "TLS handshake with %V failed: ",
                         &rc->name);
        break;

    case ngx_http_cx_redis_phase_handshaking:
        p = ngx_slprintf(p, last, "%s to %V failed: ",
                         rc->step ? rc->step : "connect", &rc->name);
        break;

    case ngx_http_cx_redis_phase_ready:
        p = ngx_slprintf(p, last, "connection to %V lost: ", &rc->name);
        rc->lost = 1;
        break;

    default:
        p = ngx_slprintf(p, last, "connect to %V failed: ", &rc->name);
    }

    va_start(args, fmt);
    p = ngx_vslprintf(p, last, fmt, args);
    va_end(args);

#if (NGX_SSL)
    if (rc->phase == ngx_http_cx_redis_phase_handshaking && rc->step == NULL
        && rc->conf->tls && rc->conf->ssl_certificate.len == 0)
    {
        /* with TLS 1.3 a server refuses a client only after the handshake */
        p = ngx_slprintf(p, last, " (a server that wants a client "
                         "certificate? see cx_redis_ssl_certificate)");
    }
#endif

    *p = '\0';

    ngx_http_cx_redis_shut(rc);

    if (rc->closed) {
        rc->closed(rc);
    }
}


/* closes whatever there is; every pending callback gets NULL */

static void
ngx_http_cx_redis_shut(ngx_http_cx_redis_conn_t *rc)
{
    ngx_connection_t         *c;
    ngx_http_cx_redis_cmd_t   cmd;

    if (rc->resolving) {
        ngx_resolve_name_done(rc->resolving);
        rc->resolving = NULL;
    }

    if (rc->deadline.timer_set) {
        ngx_del_timer(&rc->deadline);
    }

    c = rc->peer.connection;

    if (c) {
        rc->peer.connection = NULL;

#if (NGX_SSL)
        if (c->ssl) {
            c->ssl->no_wait_shutdown = 1;
            (void) ngx_ssl_shutdown(c);
        }
#endif

        if (c->pool) {
            ngx_destroy_pool(c->pool);
            c->pool = NULL;
        }

        ngx_close_connection(c);
    }

    if (rc->phase == ngx_http_cx_redis_phase_closed) {
        return;
    }

    rc->phase = ngx_http_cx_redis_phase_closed;
    rc->generation++;
    rc->handshake = 0;

    if (rc->out) {
        /* it may hold AUTH */
        ngx_memzero(rc->out, rc->out_last - rc->out);
    }

    rc->out_pos = rc->out;
    rc->out_last = rc->out;

    /* a reply cut in the middle, or a protocol error, goes with the reader */

    if (rc->reader
        && (rc->reader->err || rc->reader->len || rc->reader->ridx != -1))
    {
        redisReaderFree(rc->reader);
        rc->reader = ngx_http_cx_redis_reader(rc);
    }

    ngx_http_cx_redis_arena_reset(rc);

    while (rc->pending) {
        cmd = rc->cmds[rc->cmds_head];
        rc->cmds_head = (rc->cmds_head + 1) % rc->cmds_size;
        rc->pending--;

        cmd.handler(rc, NULL, cmd.data);
    }

    rc->cmds_head = 0;
}


/*
 * Why an I/O call failed: what nginx logged about it (the part in
 * parentheses of e.g. "recv() failed (104: Connection reset by peer)" or
 * "SSL_do_handshake() failed (SSL: error:...)"), else err.
 */

static u_char *
ngx_http_cx_redis_reason(ngx_http_cx_redis_conn_t *rc, ngx_err_t err)
{
    u_char  *p, *open, *last;

    if (rc->said[0] == '\0') {
        if (err) {
            p = ngx_strerror(err, rc->said, NGX_HTTP_CX_REDIS_ERROR_LEN - 1);
            *p = '\0';

        } else {
            ngx_cpystrn(rc->said, (u_char *) "unknown error",
                        NGX_HTTP_CX_REDIS_ERROR_LEN);
        }

        return rc->said;
    }

    last = rc->said + ngx_strlen(rc->said);

    if (last[-1] != ')') {
        return rc->said;
    }

    open = NULL;

    for (p = rc->said; p + 1 < last; p++) {
        if (p[0] == ' ' && p[1] == '(') {
            open = p + 2;
        }
    }

    if (open == NULL) {
        return rc->said;
    }

    last[-1] = '\0';

    /* "104: Connection reset by peer" */

    for (p = open; *p >= '0' && *p <= '9'; p++) { /* void */ }

    if (p > open && p[0] == ':' && p[1] == ' ') {
        return p + 2;
    }

    return open;
}


/* the log of the connection's socket: keeps the line (see the header) */

static void
ngx_http_cx_redis_capture(ngx_log_t *log, ngx_uint_t level, u_char *buf,
    size_t len)
{
    ngx_http_cx_redis_conn_t *rc = log->wdata;

    u_char  *p, *last;

    if (level == NGX_LOG_DEBUG || level <= NGX_LOG_ALERT) {
        /* not a reason: as it is, to the real log */
        (void) ngx_write_fd(rc->log->file->fd, buf, len);

        if (level == NGX_LOG_DEBUG) {
            return;
        }
    }

    /* "2026/01/01 00:00:00 [info] 123#0: message\n": the message */

    last = buf + len;

    while (last > buf && (last[-1] == '\n' || last[-1] == '\r')) {
        last--;
    }

    p = ngx_strlchr(buf, last, '#');
    p = p ? ngx_strlchr(p, last, ':') : NULL;

    if (p == NULL || p + 2 > last) {
        return;
    }

    p += 2;

    len = ngx_min((size_t) (last - p), NGX_HTTP_CX_REDIS_ERROR_LEN - 1);

    ngx_memcpy(rc->said, p, len);
    rc->said[len] = '\0';
}
