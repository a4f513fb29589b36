package Test::CX::Fleet;

# Test::CX::Fleet: Redis as production runs it, on one machine, for t/
# and bench/.  A primary with a replica watched by three sentinels; a
# Redis Cluster of three primaries and three replicas; more nginx
# instances with the module, each with its own prefix and port; and a
# load that counts what they answered.  Everything listens on 127.0.0.1,
# is started by this process and stopped by PID (stop(), or at exit).
#
#     my $f = Test::CX::Fleet->new(dir => "/tmp/x");
#     $f->sentinel_start;                 # primary, replica, 3 sentinels
#     my $port = $f->primary;             # as the sentinels name it
#     $f->kill_node($port);               # kill -9
#     my $new = $f->wait_failover($port); # the promoted replica's port
#     $f->start_node($port);              # back, as the sentinels' replica
#     $f->wait_replica($port);
#     $f->cluster_start;                  # 3 + 3 nodes, cluster_state:ok
#     my $n = $f->nginx_start(name => 'b', http => '...', server => '...');
#     my $load = $f->load_start(ports => [ $n->{port}, ... ]);
#     my $got = $f->load_stop($load);     # { ok => N, other => N, ... }
#     $f->stop;
#
# Methods are documented where they are defined; t/README.md lists them.

use strict;
use warnings;

use Test::TCP qw(empty_port);
use IO::Socket::INET;
use IO::Select;
use File::Path qw(make_path);
use POSIX qw(:sys_wait_h);
use Time::HiRes qw(sleep time);

# new(dir => DIR, [nginx => BINARY], [module => SO], [env => [VAR=...]],
#     [master => NAME], [redis => {setting => value}],
#     [sentinel => {setting => value}], [cli => [redis-cli options]],
#     [tls => CERTDIR])
# redis and sentinel add redis.conf settings for every data node and
# every sentinel; cli are the options redis-cli then needs.  tls: every
# node and sentinel speaks TLS only, with CERTDIR's server.crt/.key and
# ca.crt (Test::CX's tls_certificates()), replication and sentinels too.

sub new {
    my ($class, %o) = @_;

    my $self = bless {
        dir => $o{dir} // die("dir"),
        nginx => $o{nginx} // '/usr/sbin/nginx',
        module => $o{module},
        env => $o{env} // [],
        master => $o{master} // 'cx',
        redis_conf => $o{redis} // {},
        sentinel_conf => $o{sentinel} // {},
        cli => $o{cli} // [],
        tls => $o{tls},
        down_after => $o{down_after} // 1000,
        failover_timeout => $o{failover_timeout} // 2000,
        nodes => {},            # port => { pid, dir, conf }
        sentinels => [],        # ports
        cluster => [],          # ports
        nginxes => {},          # name => { port, prefix, ... }
        owner => $$,
    }, $class;

    make_path($self->{dir});

    if ($o{tls}) {
        push @{ $self->{cli} }, '--tls', '--cacert', "$o{tls}/ca.crt";
    }

    return $self;
}

# how a node or a sentinel listens: plain, or TLS only

sub listen_conf {
    my ($self, $port) = @_;

    my $tls = $self->{tls} or return (port => $port);

    return (
        port => 0,
        'tls-port' => $port,
        'tls-cert-file' => "$tls/server.crt",
        'tls-key-file' => "$tls/server.key",
        'tls-ca-cert-file' => "$tls/ca.crt",
        'tls-auth-clients' => 'no',
        'tls-replication' => 'yes',
    );
}

sub dir { $_[0]{dir} }
sub master_name { $_[0]{master} }
sub sentinel_ports { @{ $_[0]{sentinels} } }
sub cluster_ports { @{ $_[0]{cluster} } }

# ------------------------------------------------------------ processes

# a free port whose cluster bus port (port + 10000) is free too

sub free_port {
    for (1 .. 100) {
        my $p = empty_port();
        next if $p > 55000;
        my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
                                      LocalPort => $p + 10000,
                                      ReuseAddr => 1, Listen => 1);
        next unless $s;
        close $s;
        return $p;
    }

    die "no free port pair";
}

sub write_conf {
    my ($path, %c) = @_;

    open my $fh, '>', $path or die "$path: $!";
    for my $k (sort keys %c) {
        for my $v (ref $c{$k} ? @{ $c{$k} } : $c{$k}) {
            print $fh "$k $v\n";
        }
    }
    close $fh;
}

# redis-server CONF [ARGS] in the foreground, as our child: its PID is ours

sub spawn {
    my (@cmd) = @_;

    my $pid = fork;
    die "fork: $!" unless defined $pid;

    if ($pid == 0) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', '/dev/null';
        open STDERR, '>', '/dev/null';
        { exec @cmd }
        POSIX::_exit(127);
    }

    return $pid;
}

sub alive {
    my ($pid) = @_;

    return 0 unless $pid;
    return 0 if waitpid($pid, WNOHANG) == $pid;
    return kill 0, $pid;
}

sub stop_pid {
    my ($pid, $signal) = @_;

    return unless $pid;

    kill $signal // 'TERM', $pid;

    for (1 .. 500) {
        return if waitpid($pid, WNOHANG) == $pid || !kill(0, $pid);
        sleep 0.01;
    }

    kill 'KILL', $pid;
    waitpid $pid, 0;
}

# redis-cli against a port, with the fleet's options (TLS...)

sub cli {
    my ($self, $port, @cmd) = @_;

    my $pid = open my $fh, '-|';
    die "fork: $!" unless defined $pid;

    if ($pid == 0) {
        open STDERR, '>', '/dev/null';
        { exec 'redis-cli', '-h', '127.0.0.1', '-p', $port, @{ $self->{cli} },
               '--no-auth-warning', @cmd }
        POSIX::_exit(127);
    }

    local $/;
    my $out = <$fh> // '';
    close $fh;
    $out =~ s/\s+\z//;

    return $out;
}

sub wait_until {
    my ($check, $timeout) = @_;

    my $deadline = time + ($timeout // 10);

    while (time < $deadline) {
        my $v = eval { $check->() };
        return $v if $v;
        sleep 0.1;
    }

    return undef;
}

# --------------------------------------------------------- data nodes

# a Redis data node on PORT (a new one, or the one that was there, with
# the same directory and configuration file, as a restart after a crash)

sub start_node {
    my ($self, $port, %conf) = @_;

    my $node = $self->{nodes}{$port};

    unless ($node) {
        my $dir = "$self->{dir}/redis-$port";
        make_path($dir);

        write_conf("$dir/redis.conf",
            $self->listen_conf($port),
            bind => '127.0.0.1',
            dir => $dir,
            logfile => "$dir/redis.log",
            save => '""',
            appendonly => 'yes',
            appendfsync => 'always',
            'repl-diskless-sync' => 'yes',
            'repl-diskless-sync-delay' => 0,
            'enable-debug-command' => 'local',
            %{ $self->{redis_conf} },
            %conf);

        $node = $self->{nodes}{$port} = { dir => $dir };
    }

    $node->{pid} = spawn('redis-server', "$node->{dir}/redis.conf");

    wait_until(sub { $self->cli($port, 'PING') =~ /PONG|NOAUTH/ }, 10)
        or die "redis-server on $port did not start";

    return $port;
}

# kill -9 by default: a crash

sub kill_node {
    my ($self, $port, $signal) = @_;

    my $node = $self->{nodes}{$port} or return;

    stop_pid(delete $node->{pid}, $signal // 'KILL');
}

sub node_pid {
    my ($self, $port) = @_;
    return $self->{nodes}{$port}{pid};
}

# module_commands(PORT): { command => calls } from INFO commandstats
# (those of scripts included), without the sentinels', replication's and
# the measuring scripts' own commands: what the module sent

sub module_commands {
    my ($self, $port) = @_;

    my %calls;
    my $info = $self->cli($port, 'INFO', 'commandstats');

    while ($info =~ /^cmdstat_([\w|]+):calls=(\d+)/mg) {
        my ($cmd, $n) = ($1, $2);
        next if $cmd =~ /^(?:info|config|ping|replconf|psync|sync|client
                            |command|publish|subscribe|slaveof|replicaof
                            |multi|exec|cluster|flushall|hget|scan
                            |unlink|memory|dbsize|xlen|type)$/x;
        $calls{$cmd} = $n;
    }

    return \%calls;
}

# ROLE's first word: master, slave, sentinel

sub role {
    my ($self, $port) = @_;
    my ($role) = split /\n/, $self->cli($port, 'ROLE');
    return $role // '';
}

# ----------------------------------------------------------- sentinel

# sentinel_start(): a primary, one replica and three sentinels (quorum
# 2, down-after 1 s, failover-timeout 2 s: a failover takes a few
# seconds); returns the primary's port once every sentinel knows the
# replica and the other sentinels

sub sentinel_start {
    my ($self) = @_;

    my $primary = free_port();
    my $replica = free_port();

    $self->start_node($primary);
    $self->start_node($replica, replicaof => "127.0.0.1 $primary");

    wait_until(sub {
        $self->cli($primary, 'INFO', 'replication')
            =~ /slave0:.*state=online/
    }, 20) or die "the replica did not sync";

    my $name = $self->{master};

    for (1 .. 3) {
        my $port = free_port();
        my $dir = "$self->{dir}/sentinel-$port";
        make_path($dir);

        write_conf("$dir/sentinel.conf",
            $self->listen_conf($port),
            bind => '127.0.0.1',
            dir => $dir,
            logfile => "$dir/sentinel.log",
            sentinel => [
                "monitor $name 127.0.0.1 $primary 2",
                "down-after-milliseconds $name $self->{down_after}",
                "failover-timeout $name $self->{failover_timeout}",
                "parallel-syncs $name 1",
            ],
            %{ $self->{sentinel_conf} });

        $self->{nodes}{$port} = {
            dir => $dir,
            pid => spawn('redis-server', "$dir/sentinel.conf", '--sentinel'),
            sentinel => 1,
        };

        push @{ $self->{sentinels} }, $port;
    }

    for my $s (@{ $self->{sentinels} }) {
        wait_until(sub {
            my $m = $self->cli($s, 'SENTINEL', 'MASTER', $name);
            $m =~ /num-slaves\n1\n/ && $m =~ /num-other-sentinels\n2\n/
        }, 20) or die "sentinel $s does not see the fleet";
    }

    $self->{replica} = $replica;

    return $primary;
}

# the primary's port as the sentinels name it (the first that answers)

sub primary {
    my ($self) = @_;

    for my $s (@{ $self->{sentinels} }) {
        my $a = $self->cli($s, 'SENTINEL', 'get-master-addr-by-name',
                           $self->{master});
        my (undef, $port) = split /\n/, $a;
        return $port if $port && $port =~ /^\d+$/;
    }

    return undef;
}

# ports of the data nodes that are not the primary

sub replicas {
    my ($self) = @_;
    my $p = $self->primary // 0;
    return grep { $_ != $p && !$self->{nodes}{$_}{sentinel} }
           sort keys %{ $self->{nodes} };
}

# until every sentinel names another primary than OLD: its port (or undef)

sub wait_failover {
    my ($self, $old, $timeout) = @_;

    return wait_until(sub {
        my %named;
        for my $s (@{ $self->{sentinels} }) {
            my (undef, $p) = split /\n/,
                $self->cli($s, 'SENTINEL', 'get-master-addr-by-name',
                           $self->{master});
            return 0 unless $p && $p != $old;
            $named{$p} = 1;
        }
        return keys %named == 1 ? (keys %named)[0] : 0;
    }, $timeout // 30);
}

# the replica on PORT stops getting the primary's writes (its link is
# cut and it cannot authenticate again) until mend_replication(): what
# the primary acknowledges meanwhile is on the primary alone

sub cut_replication {
    my ($self, $port) = @_;

    $self->cli($port, 'CONFIG', 'SET', 'masterauth', 'cx-not-the-password');

    my ($primary) = $self->cli($port, 'INFO', 'replication')
        =~ /master_port:(\d+)/;
    $self->cli($primary, 'CLIENT', 'KILL', 'TYPE', 'replica') if $primary;

    wait_until(sub {
        $self->cli($port, 'INFO', 'replication')
            =~ /master_link_status:down/
    }, 5) or die "the link of $port is still up";
}

sub mend_replication {
    my ($self, $port) = @_;

    # a promotion may have written the cut into its redis.conf
    $self->cli($port, 'CONFIG', 'SET', 'masterauth', '');
    $self->cli($port, 'CONFIG', 'REWRITE');
}

# until PORT is a replica with its link up (the sentinels convert an old
# primary some 8 s after it is back)

sub wait_replica {
    my ($self, $port, $timeout) = @_;

    return wait_until(sub {
        $self->role($port) eq 'slave'
            && $self->cli($port, 'INFO', 'replication')
               =~ /master_link_status:up/
    }, $timeout // 30);
}

# ------------------------------------------------------------ cluster

# cluster_start(): six nodes, `redis-cli --cluster create ...
# --cluster-replicas 1`, until every node says cluster_state:ok

sub cluster_start {
    my ($self, %o) = @_;

    my @ports = map { free_port() } 1 .. 6;

    for my $port (@ports) {
        $self->start_node($port,
            'cluster-enabled' => 'yes',
            'cluster-config-file' => "nodes-$port.conf",
            'cluster-node-timeout' => $o{node_timeout} // 2000);
    }

    my $out = `redis-cli @{ $self->{cli} } --cluster create @{[ map { "127.0.0.1:$_" } @ports ]} --cluster-replicas 1 --cluster-yes 2>&1`;
    die "redis-cli --cluster create failed:\n$out" if $?;

    for my $port (@ports) {
        wait_until(sub {
            $self->cli($port, 'CLUSTER', 'INFO') =~ /cluster_state:ok/
        }, 30) or die "cluster node $port is not ok";
    }

    $self->{cluster} = \@ports;

    return @ports;
}

# -------------------------------------------------------------- nginx

# nginx_start(name => NAME, http => TEXT, server => TEXT, [workers => N],
# [root => DIR], [files => { name => content }]): one more nginx with
# the module, in its own prefix (DIR/nginx-NAME) on a free port; `server`
# goes inside a server {} listening there.  Returns { port, prefix }.

sub nginx_start {
    my ($self, %o) = @_;

    my $name = $o{name} // 'b';
    my $prefix = "$self->{dir}/nginx-$name";
    my $port = $o{port} // empty_port();
    my $root = $o{root} // "$prefix/html";

    make_path("$prefix/conf", "$prefix/logs", "$prefix/html",
              "$prefix/tmp");

    for my $f (keys %{ $o{files} // {} }) {
        open my $fh, '>', "$prefix/html/$f" or die "$f: $!";
        print $fh $o{files}{$f};
        close $fh;
    }

    my $workers = $o{workers} // 1;
    my $user = $> == 0 ? 'user root;' : '';
    my $load = $self->{module} ? "load_module $self->{module};" : '';

    open my $fh, '>', "$prefix/conf/nginx.conf" or die "nginx.conf: $!";
    print $fh <<"EOF";
$load
$user
worker_processes $workers;
daemon on;
master_process on;
pid $prefix/logs/nginx.pid;
error_log $prefix/logs/error.log @{[ $o{log_level} // 'info' ]};
worker_rlimit_core 0;

events {
    worker_connections 1024;
    accept_mutex off;
}

http {
    include /etc/nginx/mime.types;
    default_type text/plain;
    access_log off;

    client_body_temp_path $prefix/tmp/body;
    proxy_temp_path $prefix/tmp/proxy;
    fastcgi_temp_path $prefix/tmp/fastcgi;
    uwsgi_temp_path $prefix/tmp/uwsgi;
    scgi_temp_path $prefix/tmp/scgi;

    keepalive_timeout 10s;

$o{http}

    server {
        listen 127.0.0.1:$port;
        server_name localhost;
        root $root;

$o{server}
    }
}
EOF
    close $fh;

    unlink "$prefix/logs/nginx.pid";

    # $NGINX would be taken for sockets inherited from an old binary
    my $cmd = join ' ', map { "'$_'" } 'env', '-u', 'NGINX',
                        @{ $self->{env} }, $self->{nginx}, '-p', "$prefix/",
                        '-c', "$prefix/conf/nginx.conf";
    my $out = `$cmd 2>&1`;
    die "nginx $name did not start:\n$out" if $?;

    wait_until(sub {
        IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port", Timeout => 1)
    }, 10) or die "nginx $name does not listen on $port";

    return $self->{nginxes}{$name} = { name => $name, port => $port,
                                       prefix => $prefix };
}

sub nginx_pid {
    my ($self, $name) = @_;

    my $n = $self->{nginxes}{$name} or return;
    open my $fh, '<', "$n->{prefix}/logs/nginx.pid" or return;
    my $pid = <$fh>;
    chomp $pid if defined $pid;

    return $pid;
}

# graceful: QUIT, and the master's exit awaited

sub nginx_stop {
    my ($self, $name) = @_;

    my $pid = $self->nginx_pid($name) or return;
    my $n = delete $self->{nginxes}{$name};

    kill 'QUIT', $pid;

    for (1 .. 1000) {
        return unless kill 0, $pid;
        sleep 0.01;
    }

    kill 'KILL', $pid;
}

# the same http and server blocks as a test block's, in a second nginx
# 'b' of two workers on its own port (a fleet's second instance)

sub second_nginx {
    my ($self, $block) = @_;

    $self->nginx_stop('b');

    return $self->nginx_start(name => 'b', workers => 2,
                              http => $block->http_config,
                              server => $block->config,
                              files => { 'index.html' => "<body>hi</body>\n" });
}

# fake_resp(PORT, REPLY): a child answering every command of the RESP
# requests it reads with REPLY->(COMMAND NAME in capitals, its own port),
# for LIFE seconds at most (30); PORT 0 for a free one.  Each connection
# is served by its own child, which closes the listening socket, so that
# a fake made again on the port can bind while old connections live on.
# Returns (port, pid); the caller kills the pid.

sub fake_resp {
    my ($self, $port, $reply, $life) = @_;

    my $listen = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
                                       LocalPort => $port, Listen => 16,
                                       ReuseAddr => 1) or die "fake: $!";
    $port = $listen->sockport;

    my $pid = fork;
    die "fork: $!" unless defined $pid;

    if ($pid) {
        close $listen;
        return ($port, $pid);
    }

    local $SIG{ALRM} = sub { POSIX::_exit(0) };
    alarm($life // 30);
    $SIG{CHLD} = 'IGNORE';

    while (my $c = $listen->accept) {
        next if fork;
        close $listen;
        while (sysread $c, my $buf, 65536) {
            my $out = '';
            for my $cmd ($buf =~ /\*\d+\r\n\$\d+\r\n(\w+)/g) {
                $out .= $reply->(uc $cmd, $port);
            }
            syswrite $c, $out;
        }
        POSIX::_exit(0);
    }

    POSIX::_exit(0);
}

sub nginx_error_log {
    my ($self, $name) = @_;

    my $n = $self->{nginxes}{$name} or return '';
    open my $fh, '<', "$n->{prefix}/logs/error.log" or return '';
    local $/;
    return <$fh> // '';
}

# --------------------------------------------------------------- load

# load_start(ports => [...], [path => '/'], [rate => 200]): one client
# process per port, each sending GET path over keep-alive connections
# (a new one after an error) at most `rate` a second, until
# load_stop().  The time of every 200 is kept.

sub load_start {
    my ($self, %o) = @_;

    my $path = $o{path} // '/';
    my $rate = $o{rate} // 200;
    my @kids;

    for my $port (@{ $o{ports} }) {
        my $out = "$self->{dir}/load-$port-" . scalar(@kids) . ".txt";
        unlink $out;

        my $pid = fork;
        die "fork: $!" unless defined $pid;

        if ($pid == 0) {
            load_client($port, $path, $rate, $out);
            POSIX::_exit(0);
        }

        push @kids, { pid => $pid, out => $out, port => $port };
    }

    return { kids => \@kids, started => time };
}

sub load_client {
    my ($port, $path, $rate, $out) = @_;

    my $stop = 0;
    local $SIG{TERM} = sub { $stop = 1 };

    my (%status, @times, $sock, $buf);
    my $req = "GET $path HTTP/1.1\r\nHost: localhost\r\n\r\n";
    my $t0 = time;
    my $n = 0;
    my $parent = getppid();

    # until load_stop(), or the end of the process that started it
    while (!$stop && getppid() == $parent) {
        $sock ||= IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port",
                                        Timeout => 2);
        unless ($sock) {
            $status{connect}++;
            sleep 0.05;
            next;
        }

        my ($st, $keep) = one_request($sock, $req);

        if (!defined $st) {
            # a connection nginx closed as load_stop came: not an error
            last if $stop;
            $status{error}++;
            undef $sock;
            next;
        }

        undef $sock unless $keep;

        $status{$st}++;
        push @times, time if $st == 200;

        # at most `rate` a second, evened out
        $n++;
        my $ahead = $t0 + $n / $rate - time;
        sleep $ahead if $ahead > 0;
    }

    open my $fh, '>', "$out.tmp" or POSIX::_exit(1);
    print $fh join(' ', map { "$_=$status{$_}" } sort keys %status), "\n";
    print $fh join(' ', map { sprintf '%.3f', $_ } @times), "\n";
    close $fh;
    rename "$out.tmp", $out;
}

# one request on a keep-alive connection: the status, whether the
# connection stays open, and the body (as it came: chunks undecoded).
# Without a status: (undef, whether any byte came back), so that a
# caller may send again a request that a closing keep-alive connection
# never answered.  A signal (load_stop's TERM) does not cut the request
# short: it is finished, so what nginx counted and what the client saw
# agree

sub one_request {
    my ($sock, $req) = @_;

    syswrite($sock, $req) == length $req or return (undef, undef);

    my $data = '';
    my $sel = IO::Select->new($sock);
    my $cut = sub { return (undef, length $data ? 1 : undef) };

    while (1) {
        return $cut->() unless read_more($sock, $sel, \$data);

        my $i = index $data, "\r\n\r\n";
        next if $i < 0;

        my ($st) = $data =~ m{^HTTP/1\.\d (\d{3})} or return $cut->();
        my $head = substr $data, 0, $i;

        if ($head =~ /^Content-Length:\s*(\d+)/mi) {
            my $want = $i + 4 + $1;
            while (length $data < $want) {
                return $cut->() unless read_more($sock, $sel, \$data);
            }
        } elsif ($head =~ /^Transfer-Encoding:\s*chunked/mi) {
            until ($data =~ /\r\n0\r\n\r\n\z/) {
                return $cut->() unless read_more($sock, $sel, \$data);
            }
        }

        return ($st, $head !~ /^Connection:\s*close/mi,
                substr($data, $i + 4));
    }
}

# appends what the socket has to $$data within 5 s, signals or not: the
# bytes read, 0 at the end of the connection or the time

sub read_more {
    my ($sock, $sel, $data) = @_;

    my $until = time + 5;

    while ((my $left = $until - time) > 0) {
        next unless $sel->can_read($left);

        my $n = sysread $sock, $$data, 65536, length $$data;
        return $n if defined $n;
        return 0 unless $!{EINTR};
    }

    return 0;
}

# stops the clients (each finishes its request): { STATUS => n, ...,
# times => [ every 200's time ] }

sub load_stop {
    my ($self, $load) = @_;

    my %total;
    my @times;

    kill 'TERM', $_->{pid} for @{ $load->{kids} };

    for my $k (@{ $load->{kids} }) {
        waitpid $k->{pid}, 0;

        open my $fh, '<', $k->{out} or next;
        my $counts = <$fh> // '';
        my $t = <$fh> // '';
        chomp($counts, $t);

        for (split ' ', $counts) {
            my ($s, $n) = split /=/;
            $total{$s} += $n;
        }

        push @times, split ' ', $t;
    }

    $total{200} //= 0;
    $total{times} = [ sort { $a <=> $b } @times ];

    return \%total;
}

# ------------------------------------------------------------- the end

sub stop {
    my ($self) = @_;

    return unless $self->{owner} == $$;

    $self->nginx_stop($_) for keys %{ $self->{nginxes} };

    for my $port (keys %{ $self->{nodes} }) {
        my $node = $self->{nodes}{$port};
        stop_pid(delete $node->{pid}, 'TERM') if $node->{pid};
    }
}

sub DESTROY {
    my ($self) = @_;
    local ($?, $@);
    $self->stop;
}

1;
