
/*
 * ngx_http_cx_redis_conn.h: one connection to Redis on nginx's own I/O
 * (ngx_http_cx_redis_conn.c), its replies (ngx_http_cx_redis_reply.c)
 * and what configures it (the cx_redis* directives,
 * ngx_http_cx_redis_conf.c).
 *
 * The socket is an nginx peer connection (ngx_event_connect_peer); TLS is
 * nginx's OpenSSL (ngx_ssl_*); a name goes through nginx's resolver at
 * every connect; every wait is an nginx timer.  hiredis is only the
 * protocol: redisFormatCommandArgv() writes the commands, and its
 * redisReader parses the replies into redisReply structs that our own
 * object functions build in the connection's arena, which is reset once
 * a reply's callback returns (no malloc per field, nothing to free).
 *
 * Commands are pipelined.  Each has a callback and data of the caller's
 * (never in a request pool: a request may be gone when its reply comes),
 * called exactly once: with the reply, valid until the callback returns,
 * or with NULL when the connection went first.
 *
 * A connection goes to a node (where a Redis is, and the name its
 * certificate must have): the one of cx_redis, a sentinel of
 * cx_redis_sentinel, or a node announced at run time (a sentinel's
 * answer).  The owner sets rc->node while the connection is closed.
 *
 * A connection says AUTH [user] password and SELECT db before any other
 * command, then calls ready().  It calls closed() when it ends by itself
 * (refused, timed out, lost, a TLS check failed) with the reason in
 * error, and quit() when nginx asks its idle connections to close
 * (graceful shutdown or reload).  The owner decides what to log and when
 * to connect again.
 *
 * Subscribed (SUBSCRIBE), a connection also gets messages no command
 * asked for: with push set, every "message" reply goes to push().
 */


#ifndef _NGX_HTTP_CX_REDIS_CONN_H_INCLUDED_
#define _NGX_HTTP_CX_REDIS_CONN_H_INCLUDED_


#include "ngx_http_cx_module.h"

#include <ngx_event_connect.h>
#include <hiredis/hiredis.h>


#define NGX_HTTP_CX_REDIS_ERROR_LEN   320
#define NGX_HTTP_CX_REDIS_ADDRS       8     /* used of a name's addresses */
#define NGX_HTTP_CX_REDIS_READ_BUF    16384
#define NGX_HTTP_CX_REDIS_REPLY_MAX   (64 * 1024 * 1024)
#define NGX_HTTP_CX_REDIS_HOST_MAX    255   /* an announced host */
#define NGX_HTTP_CX_SENTINELS_MAX     16
#define NGX_HTTP_CX_SEEDS_MAX         16


/* where a Redis is, and the name its certificate must have */

typedef struct {
    ngx_str_t                    addr;      /* as configured, for logs */
    ngx_addr_t                  *addrs;     /* fixed: IP, unix:, resolved */
    ngx_uint_t                   naddrs;
    ngx_str_t                    host;      /* a name, NUL-terminated */
    in_port_t                    port;

    ngx_str_t                    ssl_name;  /* SNI and the name checked */
    unsigned                     ssl_name_ip:1;
} ngx_http_cx_redis_node_t;


/* a node announced at run time, with its own storage */

typedef struct {
    ngx_http_cx_redis_node_t     node;
    ngx_addr_t                   addr;
    ngx_sockaddr_t               sockaddr;
    u_char                       text[NGX_HTTP_CX_REDIS_HOST_MAX + 9];
    u_char                       host[NGX_HTTP_CX_REDIS_HOST_MAX + 1];
} ngx_http_cx_redis_found_t;


/* the cx_redis* directives */

struct ngx_http_cx_redis_conf_s {
    ngx_http_cx_redis_node_t     node;      /* cx_redis */
    const char                  *directive; /* cx_redis[_sentinel|_cluster] */

    /* cx_redis_sentinel: the primary the sentinels know by that name */
    ngx_str_t                    master;
    ngx_array_t                 *sentinels; /* ngx_http_cx_redis_node_t */
    ngx_str_t                    sentinel_user;
    ngx_str_t                    sentinel_password;
    ngx_http_cx_redis_conf_t    *sentinel_conf; /* with their AUTH */

    /* cx_redis_cluster: the nodes asked for the slot map, in order */
    ngx_array_t                 *seeds;     /* ngx_http_cx_redis_node_t */
    ngx_uint_t                   shards;  /* cx_redis_cluster shards=N; 0: not a cluster */

    ngx_uint_t                   wait;      /* cx_redis_wait: replicas */
    ngx_msec_t                   wait_timeout;

    ngx_str_t                    user;
    ngx_str_t                    password;
    ngx_int_t                    db;

    ngx_resolver_t              *resolver;  /* for host, at every connect */
    ngx_msec_t                   resolver_timeout;

    ngx_flag_t                   tls;
    ngx_flag_t                   ssl_verify;
    ngx_uint_t                   ssl_protocols;
    ngx_str_t                    ssl_trusted_certificate;
    ngx_str_t                    ssl_certificate;
    ngx_str_t                    ssl_certificate_key;
    ngx_str_t                    ssl_server_name;   /* NUL-terminated */
#if (NGX_SSL)
    ngx_ssl_t                   *ssl;
#endif

    u_char                      *file;      /* where cx_redis[_sentinel] is */
    ngx_uint_t                   line;
    u_char                      *ssl_file;  /* the first cx_redis_ssl_* */
    ngx_uint_t                   ssl_line;
    u_char                      *wait_file; /* cx_redis_wait */
    ngx_uint_t                   wait_line;
};


typedef struct ngx_http_cx_redis_conn_s  ngx_http_cx_redis_conn_t;

/* a reply, or NULL: the connection went before it came */
typedef void (*ngx_http_cx_redis_reply_pt)(ngx_http_cx_redis_conn_t *rc,
    redisReply *reply, void *data);

typedef void (*ngx_http_cx_redis_event_pt)(ngx_http_cx_redis_conn_t *rc);


typedef enum {
    ngx_http_cx_redis_phase_closed = 0,
    ngx_http_cx_redis_phase_resolving,
    ngx_http_cx_redis_phase_connecting,
    ngx_http_cx_redis_phase_tls,
    ngx_http_cx_redis_phase_handshaking,
    ngx_http_cx_redis_phase_ready
} ngx_http_cx_redis_phase_e;


typedef struct {
    ngx_http_cx_redis_reply_pt   handler;
    void                        *data;
} ngx_http_cx_redis_cmd_t;


typedef struct ngx_http_cx_redis_chunk_s  ngx_http_cx_redis_chunk_t;

struct ngx_http_cx_redis_chunk_s {
    ngx_http_cx_redis_chunk_t   *next;
    u_char                      *pos;
    u_char                      *end;
};


struct ngx_http_cx_redis_conn_s {
    ngx_http_cx_redis_conf_t    *conf;
    ngx_http_cx_redis_node_t    *node;      /* where: conf->node unless set */
    ngx_log_t                   *log;
    ngx_msec_t                   timeout;   /* connect, send, each reply */
    void                        *data;      /* the owner's */

    ngx_http_cx_redis_event_pt   ready;
    ngx_http_cx_redis_event_pt   closed;
    ngx_http_cx_redis_event_pt   quit;
    ngx_http_cx_redis_reply_pt   push;      /* subscribed: messages */

    ngx_http_cx_redis_phase_e    phase;
    ngx_uint_t                   generation;    /* one per connection */
    ngx_uint_t                   attempt;

    ngx_peer_connection_t        peer;
    ngx_resolver_ctx_t          *resolving;
    ngx_event_t                  deadline;  /* connect to ready */

    ngx_sockaddr_t               resolved[NGX_HTTP_CX_REDIS_ADDRS];
    socklen_t                    resolved_len[NGX_HTTP_CX_REDIS_ADDRS];
    ngx_uint_t                   nresolved;

    /* formatted commands not yet sent */
    u_char                      *out;
    u_char                      *out_pos;
    u_char                      *out_last;
    u_char                      *out_end;

    /* commands waiting for their reply: a ring */
    ngx_http_cx_redis_cmd_t     *cmds;
    ngx_uint_t                   cmds_size;
    ngx_uint_t                   cmds_head;
    ngx_uint_t                   pending;
    ngx_uint_t                   handshake; /* own commands pending */

    redisReader                 *reader;

    ngx_http_cx_redis_chunk_t   *arena;
    ngx_http_cx_redis_chunk_t   *arena_current;
    size_t                       arena_size;

    /* what nginx's own code logged about the connection, and why it ended */
    ngx_log_t                    capture;
    u_char                       said[NGX_HTTP_CX_REDIS_ERROR_LEN];
    u_char                       error[NGX_HTTP_CX_REDIS_ERROR_LEN];

    ngx_str_t                    name;      /* for logs: addr (peer) */
    u_char                       name_buf[NGX_SOCKADDR_STRLEN * 2 + 8];
    ngx_str_t                    peer_name;
    u_char                       peer_buf[NGX_SOCKADDR_STRLEN];

    const char                  *step;      /* AUTH, SELECT: what failed */

    unsigned                     lost:1;    /* it had been ready */
};


ngx_int_t ngx_http_cx_redis_conn_init(ngx_http_cx_redis_conn_t *rc,
    ngx_http_cx_redis_conf_t *conf, ngx_msec_t timeout, ngx_log_t *log);
void ngx_http_cx_redis_conn_free(ngx_http_cx_redis_conn_t *rc);
void ngx_http_cx_redis_connect(ngx_http_cx_redis_conn_t *rc);
void ngx_http_cx_redis_close(ngx_http_cx_redis_conn_t *rc);
/* NGX_DECLINED: not ready */
ngx_int_t ngx_http_cx_redis_send(ngx_http_cx_redis_conn_t *rc, int argc,
    const char **argv, const size_t *argvlen,
    ngx_http_cx_redis_reply_pt handler, void *data);

/* ngx_http_cx_redis_conf.c: a node announced at run time (host, port) */
ngx_int_t ngx_http_cx_redis_node_found(ngx_http_cx_redis_found_t *f,
    ngx_http_cx_redis_conf_t *conf, ngx_str_t *host, ngx_str_t *port);

/* ngx_http_cx_redis_reply.c */
redisReader *ngx_http_cx_redis_reader(ngx_http_cx_redis_conn_t *rc);
void ngx_http_cx_redis_arena_reset(ngx_http_cx_redis_conn_t *rc);
void ngx_http_cx_redis_arena_free(ngx_http_cx_redis_conn_t *rc);

#define ngx_http_cx_redis_is_ready(rc)                                       \
    ((rc)->phase == ngx_http_cx_redis_phase_ready)

/* a backoff delay, spread over [3/4, 5/4] so workers do not retry together */
#define ngx_http_cx_redis_jitter(ms)                                         \
    ((ms) - (ms) / 4 + (ngx_msec_t) ngx_random() % ((ms) / 2 + 1))


#endif /* _NGX_HTTP_CX_REDIS_CONN_H_INCLUDED_ */
