# cx_redis_cluster: the directive (its errors fail nginx -t with
# file:line), and counting into a Redis Cluster: the worker loads the
# slot map from the seeds, opens a connection per primary on first use,
# sends each sub-batch to its slot's primary and follows MOVED, ASK,
# TRYAGAIN, CLUSTERDOWN and lost nodes.  The cluster (3 primaries + 3
# replicas on loopback) is t/lib/Test/CX/Cluster.pm's, started at the
# first block that needs it and stopped by PID at the end.
use lib 't/lib';
use Test::CX;

add_block_preprocessor(sub {
    my $block = shift;

    return if defined $block->must_die;
});

run_tests();

__DATA__

=== TEST 1: cx_redis_cluster and cx_redis: one Redis, one of them
--- must_die
--- http_config
cx_redis 127.0.0.1:6379;
cx_redis_cluster 127.0.0.1:7000;
--- error_log eval
qr/"cx_redis_cluster" and "cx_redis" in \S+nginx\.conf:\d+: one Redis, one of them/



=== TEST 2: cx_redis_sentinel after cx_redis_cluster
--- must_die
--- http_config
cx_redis_cluster 127.0.0.1:7000;
cx_redis_sentinel cx 127.0.0.1:26379;
--- error_log eval
qr/"cx_redis_sentinel" and "cx_redis_cluster" in \S+nginx\.conf:\d+: one Redis, one of them/



=== TEST 3: cx_redis_cluster twice
--- must_die
--- http_config
cx_redis_cluster 127.0.0.1:7000;
cx_redis_cluster 127.0.0.1:7001;
--- error_log eval
qr/"cx_redis_cluster" directive is duplicate in \S+nginx\.conf:\d+/



=== TEST 4: cx_redis_cluster without a node
--- must_die
--- http_config
cx_redis_cluster tls password=x;
--- error_log
no node address in "cx_redis_cluster": expected "cx_redis_cluster host:port ..."



=== TEST 5: a cluster has database 0 only: db= is refused
--- must_die
--- http_config
cx_redis_cluster 127.0.0.1:7000 db=1;
--- error_log eval
qr/invalid parameter "db=1" in "cx_redis_cluster": expected tls, user=name, password=\.\.\., prefix=name or shards=1\.\.1024 in \S+nginx\.conf:\d+/



=== TEST 6: shards= out of range
--- must_die
--- http_config
cx_redis_cluster 127.0.0.1:7000 shards=0;
--- error_log eval
qr/invalid parameter "shards=0" in "cx_redis_cluster": expected .* in \S+nginx\.conf:\d+/



=== TEST 7: shards= not a number
--- must_die
--- http_config
cx_redis_cluster 127.0.0.1:7000 shards=1025;
--- error_log eval
qr/invalid parameter "shards=1025" in "cx_redis_cluster"/



=== TEST 8: a mistyped password is not repeated
--- must_die
--- http_config
cx_redis_cluster 127.0.0.1:7000 pasword=s3cret-Value;
--- error_log
invalid parameter "pasword=..." in "cx_redis_cluster"
--- no_error_log
s3cret-Value



=== TEST 9: sentinel_user= belongs to cx_redis_sentinel
--- must_die
--- http_config
cx_redis_cluster 127.0.0.1:7000 sentinel_user=x;
--- error_log
invalid parameter "sentinel_user=x" in "cx_redis_cluster"



=== TEST 10: a bad address
--- must_die
--- http_config
cx_redis_cluster 127.0.0.1:7000 127.0.0.1:99999;
--- error_log eval
qr/invalid address "127\.0\.0\.1:99999" in "cx_redis_cluster": invalid port in \S+nginx\.conf:\d+/



=== TEST 11: user= needs password=
--- must_die
--- http_config
cx_redis_cluster 127.0.0.1:7000 user=cx;
--- error_log eval
qr/"user=" in "cx_redis_cluster" needs "password=" in \S+nginx\.conf:\d+/



=== TEST 12: more than 16 seeds
--- must_die
--- http_config
cx_redis_cluster 127.0.0.1:7000 127.0.0.1:7001 127.0.0.1:7002 127.0.0.1:7003 127.0.0.1:7004 127.0.0.1:7005 127.0.0.1:7006 127.0.0.1:7007 127.0.0.1:7008 127.0.0.1:7009 127.0.0.1:7010 127.0.0.1:7011 127.0.0.1:7012 127.0.0.1:7013 127.0.0.1:7014 127.0.0.1:7015 127.0.0.1:7016;
--- error_log
more than 16 addresses in "cx_redis_cluster"



=== TEST 13: cx_redis_ssl_* needs tls on cx_redis_cluster
--- must_die
--- http_config
cx_redis_cluster 127.0.0.1:7000;
cx_redis_ssl_verify off;
--- error_log eval
qr/"cx_redis_ssl_\*" in \S+:\d+ needs the "tls" parameter of "cx_redis_cluster" in \S+nginx\.conf:\d+/
