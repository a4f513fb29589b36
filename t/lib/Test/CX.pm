package Test::CX;

# Test::CX: a small Test::Nginx-style harness built from Debian packages
# (Test::Base, Test::More, Test::TCP, Redis::Fast, Text::Diff) and a
# private redis-server it starts, kills and restarts itself.
#
# A test file is Perl plus data blocks:
#
#     use lib 't/lib';
#     use Test::CX;
#     run_tests();
#     __DATA__
#     === TEST 1: what it shows
#     --- config
#     location /t { ... }
#     --- request
#     GET /t
#     --- response_body
#     ...
#
# Every test file gets its own prefix (t/servroot/<file>/) and a fresh
# nginx on a free loopback port; nginx is restarted only when a block's
# configuration differs from the previous one.  Sections are documented
# in t/README.md.

use strict;
use warnings;

use Test::Base;
use Test::More;
use Test::TCP qw(empty_port);
use IO::Socket::INET;
use IO::Select;
use File::Path qw(make_path remove_tree);
use File::Basename qw(basename dirname);
use File::Spec;
use Cwd qw(abs_path);
use POSIX qw(strftime :sys_wait_h);
use Time::HiRes qw(sleep time);
use Text::Diff ();

our @EXPORTS = qw(run_tests blocks add_block_preprocessor redis redis_port
                  redis_stop redis_start redis_proxy_port cut_next_reply
                  redis_cli tls_certificates dns_start dns_set
                  wait_for get_many metric set_request_filter
                  survey_tag sign_token post
                  http_request nginx_reload nginx_pid worker_pids servroot
                  error_log_since html_dir server_port today
                  metrics add_user_file fleet);

my $root = abs_path(dirname(__FILE__) . '/../../..');

my $nginx = $ENV{TEST_NGINX_BINARY} || '/usr/sbin/nginx';
my $module = $ENV{TEST_NGINX_MODULE} || "$root/build/ngx_http_cx_module.so";
my $asan = $ENV{TEST_NGINX_ASAN};

my $name = basename($0, '.t');
my $servroot = servroot_for($name);
my $port;
my ($redis_server, $redis_port, $redis_client);
my ($upstream_pid, $upstream_port);
my $running_conf = '';
my $log_pos = 0;
my $nginx_out = '';
my @preprocessors;
my $request_filter;

sub add_block_preprocessor {
    push @preprocessors, @_;
}

# a code ref applied to each request's text before it is sent (e.g. to
# put a fresh survey token in)

sub set_request_filter {
    ($request_filter) = @_;
}

sub import {
    my $caller = caller;

    no strict 'refs';

    for my $f (@EXPORTS) {
        *{"${caller}::$f"} = \&{$f};
    }

    for my $f (qw(ok is isnt like unlike is_deeply diag note pass fail
                  done_testing plan skip)) {
        *{"${caller}::$f"} = \&{"Test::More::$f"};
    }

    strict->import;
    warnings->import;
}

sub servroot () { $servroot }

# t/servroot/NAME, or NAME.PID when another prove runs the same file now
# (a lock held for the life of the test file)

my $servroot_lock;

sub servroot_for {
    my ($name) = @_;

    require Fcntl;

    my $dir = "$root/t/servroot";
    make_path($dir);

    open $servroot_lock, '>', "$dir/$name.lock" or return "$dir/$name";

    return "$dir/$name"
        if flock($servroot_lock, Fcntl::LOCK_EX() | Fcntl::LOCK_NB());

    return "$dir/$name.$$";
}
sub html_dir () { "$servroot/html" }
sub server_port () { $port }
sub redis_port () { $redis_port }
sub today () { strftime('%Y%m%d', gmtime) }

# ---------------------------------------------------------------- redis

# A private redis-server per test file, on a fixed port and directory so
# that it can be killed and started again with its data (appendonly, fsync
# always: what Redis acknowledged survives a SIGKILL).

# redis_start(%conf): redis.conf settings over the defaults below; an
# array ref value gives several lines (e.g. user => [...]).  cli => [...]
# are the redis-cli options to reach it (redis_cli(), and the readiness
# check) when it is not plain 127.0.0.1:redis_port(), e.g. TLS only.

my @redis_cli_opts;

sub redis_start {
    my (%conf) = @_;

    $redis_port ||= empty_port();

    my $dir = "$servroot/redis";
    make_path($dir);

    my $cli = delete $conf{cli};
    @redis_cli_opts = $cli ? @$cli : ('-h', '127.0.0.1', '-p', $redis_port);

    my %c = (
        port => $redis_port,
        bind => '127.0.0.1',
        dir => $dir,
        daemonize => 'yes',
        pidfile => "$dir/redis.pid",
        logfile => "$dir/redis.log",
        save => '""',
        appendonly => 'yes',
        appendfsync => 'always',
        'enable-debug-command' => 'local',
        %conf,
    );

    write_file("$dir/redis.conf",
               join '', map { my $k = $_;
                              map { "$k $_\n" }
                                  ref $c{$k} ? @{ $c{$k} } : $c{$k} }
                        sort keys %c);

    unlink "$dir/redis.pid";
    system('redis-server', "$dir/redis.conf") == 0
        or die "cannot start redis-server";

    if ($cli) {
        for (1 .. 200) {
            last if redis_cli('PING') =~ /PONG|NOAUTH/;
            sleep 0.02;
        }

        $redis_server = 1;
        undef $redis_client;

        return 1;
    }

    for (1 .. 200) {
        my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$redis_port");
        if ($s) {
            print $s "PING\r\n";
            my $l = <$s>;
            last if $l && $l =~ /PONG|NOAUTH/;
        }
        sleep 0.02;
    }

    $redis_server = 1;
    undef $redis_client;

    return 1;
}

# SIGTERM by default; 'KILL' for a crash

sub redis_stop {
    my ($signal) = @_;

    return unless $redis_server;

    undef $redis_client;
    undef $redis_server;

    open my $fh, '<', "$servroot/redis/redis.pid" or return;
    my $pid = <$fh>;
    chomp $pid;

    kill $signal || 'TERM', $pid;

    for (1 .. 500) {
        last unless alive($pid);
        sleep 0.01;
    }
}

# a command through redis-cli, with the options of the last redis_start():
# what the test sees of a Redis that Redis::Fast cannot reach (TLS, ACL)

sub redis_cli {
    my (@cmd) = @_;

    my $pid = open my $fh, '-|';
    die "fork: $!" unless defined $pid;

    if ($pid == 0) {
        open STDERR, '>', '/dev/null';
        { exec 'redis-cli', @redis_cli_opts, '--no-auth-warning', @cmd }
        POSIX::_exit(127);
    }

    local $/;
    my $out = <$fh> // '';
    close $fh;
    $out =~ s/\s+\z//;

    return $out;
}

# Certificates for TLS tests, made once per file in servroot/tls with
# openssl: ca (the CA), other-ca (a CA nobody trusts), server (127.0.0.1-3,
# localhost, redis.cx.test), expired (the same names, expired in 2020),
# wrong (only wrong.example) and client (a client certificate), each a
# .crt and a .key.  Returns the directory.

sub tls_certificates {
    my $dir = "$servroot/tls";

    return $dir if -f "$dir/client.crt";

    make_path($dir);

    my $openssl = sub {
        system("openssl @_ >/dev/null 2>&1") == 0
            or die "openssl @_: failed";
    };

    my $key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";

    for my $ca (qw(ca other-ca)) {
        $openssl->("req -x509 $key -keyout $dir/$ca.key -out $dir/$ca.crt"
                   . " -subj /CN=cx-test-$ca -days 2");
    }

    write_file("$dir/index.txt", '');
    write_file("$dir/serial", "1000\n");
    write_file("$dir/ca.cnf", join "\n",
               '[ca]', 'default_ca = cx', '[cx]',
               "database = $dir/index.txt", "new_certs_dir = $dir",
               "serial = $dir/serial", 'default_md = sha256',
               'policy = any', 'unique_subject = no',
               '[any]', 'commonName = supplied', '');

    my %san = (
        server => 'IP:127.0.0.1,IP:127.0.0.2,IP:127.0.0.3,DNS:localhost,'
                  . 'DNS:redis.cx.test',
        expired => 'IP:127.0.0.1,DNS:localhost',
        wrong => 'DNS:wrong.example',
        client => 'DNS:cx-client',
    );

    for my $name (sort keys %san) {
        write_file("$dir/$name.ext", "subjectAltName=$san{$name}\n");
        $openssl->("req $key -keyout $dir/$name.key -out $dir/$name.csr"
                   . " -subj /CN=$name");

        my $dates = $name eq 'expired'
                  ? '-startdate 20200101000000Z -enddate 20200102000000Z'
                  : '-days 2';

        $openssl->("ca -batch -config $dir/ca.cnf -cert $dir/ca.crt"
                   . " -keyfile $dir/ca.key -in $dir/$name.csr"
                   . " -out $dir/$name.crt $dates -extfile $dir/$name.ext"
                   . " -notext");
    }

    return $dir;
}

# A tiny DNS server on 127.0.0.1 (UDP; its port is $TEST_NGINX_DNS_PORT)
# that knows one name, set with dns_set(NAME, IPV4): an A query for it
# gets that address (TTL 0), other types an empty answer, other names
# NXDOMAIN.  It stops with the test file (or after 15 minutes, or when the
# test process is gone).

my ($dns_pid, $dns_port);

sub dns_start {
    return $dns_port if $dns_pid;

    my $sock = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
                                     LocalPort => 0, Proto => 'udp')
        or die "dns: $!";

    $dns_port = $sock->sockport;

    my $pid = fork;
    die "fork: $!" unless defined $pid;

    if ($pid) {
        $dns_pid = $pid;
        close $sock;
        return $dns_port;
    }

    my $parent = getppid;
    my $deadline = time + 900;
    my $sel = IO::Select->new($sock);

    while (time < $deadline && getppid == $parent) {
        next unless $sel->can_read(0.5);
        my $peer = recv($sock, my $q, 512, 0);
        next unless defined $peer;
        my $a = dns_answer($q);
        send($sock, $a, 0, $peer) if defined $a;
    }

    POSIX::_exit(0);
}

sub dns_set {
    my ($name, $addr) = @_;
    write_file("$servroot/dns.addr", lc($name) . " $addr\n");
}

sub dns_answer {
    my ($q) = @_;

    return undef if length $q < 17;

    my ($id, $flags, $qdcount) = unpack 'n n n', $q;
    return undef if $qdcount != 1 || $flags & 0x8000;

    my ($off, @labels) = (12);

    while (1) {
        return undef if $off >= length $q;
        my $len = ord substr $q, $off++, 1;
        last if $len == 0;
        return undef if $len > 63 || $off + $len > length $q;
        push @labels, substr $q, $off, $len;
        $off += $len;
    }

    return undef if $off + 4 > length $q;

    my ($qtype) = unpack 'n', substr $q, $off, 2;
    my $question = substr $q, 12, $off + 4 - 12;

    my ($name, $addr) = ('', '');
    if (open my $fh, '<', "$servroot/dns.addr") {
        ($name, $addr) = split ' ', <$fh> // '';
    }

    my ($rcode, $answers, $an) = (0, '', 0);

    if (lc(join '.', @labels) ne $name) {
        $rcode = 3;

    } elsif ($qtype == 1 && $addr =~ /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/) {
        $an = 1;
        $answers = pack('n n n N n C4', 0xc00c, 1, 1, 0, 4, $1, $2, $3, $4);
    }

    # a response, authoritative, recursion desired as asked, available
    my $rflags = 0x8000 | 0x0400 | ($flags & 0x0100) | 0x0080 | $rcode;

    return pack('n n n n n n', $id, $rflags, 1, $an, 0, 0)
           . $question . $answers;
}

sub dns_stop {
    return unless $dns_pid;
    kill 'KILL', $dns_pid;
    waitpid $dns_pid, 0;
    undef $dns_pid;
}

sub redis {
    require Redis::Fast;

    redis_start() unless $redis_server;

    $redis_client ||= Redis::Fast->new(
        server => "127.0.0.1:$redis_port",
        reconnect => 2,
        every => 100_000,
    );

    return $redis_client;
}

# a TCP proxy in front of Redis that the test can tell to drop the reply
# to the next EVALSHA (after Redis has applied it): see cut_next_reply()

my ($proxy_pid, $proxy_port);

sub redis_proxy_port {
    return $proxy_port if $proxy_pid;

    $proxy_port = empty_port();
    $redis_port ||= empty_port();

    my $listen = IO::Socket::INET->new(
        LocalAddr => '127.0.0.1', LocalPort => $proxy_port,
        Listen => 16, ReuseAddr => 1,
    ) or die "proxy listen: $!";

    my $pid = fork;
    die "fork: $!" unless defined $pid;

    if ($pid) {
        $proxy_pid = $pid;
        close $listen;
        return $proxy_port;
    }

    $SIG{CHLD} = 'IGNORE';

    while (my $c = $listen->accept) {
        my $kid = fork;
        if (defined $kid && $kid == 0) {
            close $listen;
            proxy_serve($c);
            POSIX::_exit(0);
        }
        close $c;
    }

    POSIX::_exit(0);
}

sub cut_next_reply {
    write_file("$servroot/proxy.cut", "1");
}

sub proxy_serve {
    my ($c) = @_;

    my $r = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$redis_port")
        or return;
    my $sel = IO::Select->new($c, $r);
    my $armed = 0;

    while (1) {
        for my $fh ($sel->can_read(1)) {
            my $buf;
            my $n = sysread $fh, $buf, 65536;
            return unless $n;

            if ($fh == $c) {
                if ($buf =~ /EVALSHA/ && -e "$servroot/proxy.cut") {
                    unlink "$servroot/proxy.cut";
                    $armed = 1;
                }
                syswrite $r, $buf;
            } else {
                # Redis has run the batch: lose its answer
                return if $armed;
                syswrite $c, $buf;
            }
        }
    }
}

sub redis_proxy_stop {
    return unless $proxy_pid;
    kill 'KILL', $proxy_pid;
    waitpid $proxy_pid, 0;
    undef $proxy_pid;
}

# the file's fleet (t/lib/Test/CX/Fleet.pm): Redis primary, replica and
# sentinels, a Redis Cluster, more nginx instances (the same binary,
# module and sanitizer settings as the harness' own) and a load; in
# servroot/fleet, stopped with the file

my $fleet;

sub fleet {
    require Test::CX::Fleet;

    $fleet ||= Test::CX::Fleet->new(dir => "$servroot/fleet",
                                    nginx => $nginx, module => $module,
                                    env => [ nginx_env() ], @_);
    return $fleet;
}

# waits until check() is true (counts are flushed asynchronously)

sub wait_for {
    my ($check, $timeout) = @_;

    my $deadline = time + ($timeout || 5);

    while (time < $deadline) {
        my $ok = eval { $check->() };
        return 1 if $ok;
        sleep 0.05;
    }

    return 0;
}

# -------------------------------------------------------- test upstream

# A tiny HTTP/1.1 server for responses nginx itself cannot make: it sends
# a file from html/ in pieces of N bytes with a pause between them, so
# the body reaches nginx (and the filter) split where the test says.
#
#   GET /split/N[/chunked]/FILE[?type=..&enc=..&header=Name:Value]
#   (N = 0: random pieces of 1 to 97 bytes)

sub upstream_start {
    return if $upstream_pid;

    $upstream_port = empty_port();

    my $listen = IO::Socket::INET->new(
        LocalAddr => '127.0.0.1',
        LocalPort => $upstream_port,
        Listen => 64,
        ReuseAddr => 1,
    ) or die "cannot listen on $upstream_port: $!";

    my $pid = fork;
    die "fork: $!" unless defined $pid;

    if ($pid) {
        $upstream_pid = $pid;
        close $listen;
        return;
    }

    $SIG{CHLD} = 'IGNORE';

    while (my $c = $listen->accept) {
        my $kid = fork;
        if (defined $kid && $kid == 0) {
            close $listen;
            upstream_serve($c);
            POSIX::_exit(0);
        }
        close $c;
    }

    POSIX::_exit(0);
}

sub upstream_serve {
    my ($c) = @_;

    require Socket;
    setsockopt($c, Socket::IPPROTO_TCP(), Socket::TCP_NODELAY(), 1);

    my $head = '';
    while ($head !~ /\r\n\r\n/) {
        my $n = sysread($c, $head, 4096, length $head);
        return unless $n;
    }

    my ($method, $path) = $head =~ m{^(GET|HEAD) (\S+)};
    my %q;
    if ($path =~ s/\?(.*)//) {
        for (split /&/, $1) {
            my ($k, $v) = split /=/, $_, 2;
            $v =~ s/%([0-9A-Fa-f]{2})/chr hex $1/ge;
            push @{ $q{$k} }, $v;
        }
    }

    my ($n, $chunked, $file) = $path =~ m{^/split/(\d+)(/chunked)?/(.+)$};
    my $body;

    if ($file && open my $fh, '<', "$servroot/html/$file") {
        local $/;
        binmode $fh;
        $body = <$fh>;
    }

    unless (defined $body) {
        syswrite $c, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n"
                     . "Connection: close\r\n\r\n";
        return;
    }

    # ?wait=SECONDS: a slow backend, for requests in flight
    select undef, undef, undef, $q{wait}[0] if $q{wait};

    my $type = $q{type} ? $q{type}[0] : 'text/html';
    my $h = "HTTP/1.1 200 OK\r\nContent-Type: $type\r\nConnection: close\r\n";
    $h .= "Content-Encoding: $q{enc}[0]\r\n" if $q{enc};
    $h .= "$_\r\n" for @{ $q{header} || [] };
    $h .= $chunked ? "Transfer-Encoding: chunked\r\n"
                   : "Content-Length: " . length($body) . "\r\n";
    syswrite $c, "$h\r\n";
    return if $method eq 'HEAD';

    # N = 0: pieces of 1 to 97 bytes, a different cut every request
    my $step = $n;

    for (my $i = 0; $i < length $body; $i += $step) {
        $step = $n || 1 + int rand 97;
        my $piece = substr $body, $i, $step;
        $piece = sprintf("%x\r\n%s\r\n", length $piece, $piece) if $chunked;
        syswrite $c, $piece;
        sleep 0.0015;
    }

    syswrite $c, "0\r\n\r\n" if $chunked;
}

sub upstream_stop {
    return unless $upstream_pid;
    kill 'KILL', $upstream_pid;
    waitpid $upstream_pid, 0;
    undef $upstream_pid;
}

# ---------------------------------------------------------------- nginx

sub expand {
    my ($text) = @_;

    return '' unless defined $text;

    if ($text =~ /\$TEST_NGINX_UPSTREAM_PORT/) {
        upstream_start();
    }

    if ($text =~ /\$TEST_NGINX_REDIS_PORT/ && !$redis_port) {
        $redis_port = empty_port();
    }

    if ($text =~ /\$TEST_NGINX_REDIS_PROXY_PORT/) {
        redis_proxy_port();
    }

    if ($text =~ /\$TEST_NGINX_DNS_PORT/) {
        dns_start();
    }

    my %v = (
        TEST_NGINX_SERVER_PORT => $port,
        TEST_NGINX_HTML_DIR => "$servroot/html",
        TEST_NGINX_SERVROOT => $servroot,
        TEST_NGINX_ROOT => $root,
        TEST_NGINX_REDIS_PORT => $redis_port // '',
        TEST_NGINX_REDIS_PROXY_PORT => $proxy_port // '',
        TEST_NGINX_DNS_PORT => $dns_port // '',
        TEST_NGINX_UPSTREAM_PORT => $upstream_port // '',
        TEST_NGINX_MODULE_DIR => '/usr/lib/nginx/modules',
        TEST_NGINX_MODULE => $module,
        TEST_NGINX_TODAY => today(),
    );

    $text =~ s/\$(TEST_NGINX_[A-Z_]+)/exists $v{$1} ? $v{$1} : "\$$1"/ge;

    return $text;
}

sub nginx_conf {
    my ($block) = @_;

    # a whole nginx.conf of the block's own
    return expand($block->nginx_conf) if defined $block->nginx_conf;

    my $workers = $block->workers // 1;
    my $level = $block->log_level // 'debug';
    my $user = $> == 0 ? 'user root;' : '';
    my $load = defined $block->no_module ? '' : "load_module $module;";
    my $main = expand($block->main_config);
    my $http = expand($block->http_config);
    my $config = expand($block->config);
    my $server = defined $block->no_default_server ? '' : <<"EOF";
    server {
        listen 127.0.0.1:$port;
        server_name localhost;
        root $servroot/html;

$config
    }
EOF

    return <<"EOF";
$main
$load
$user
worker_processes $workers;
daemon on;
master_process on;
pid $servroot/logs/nginx.pid;
error_log $servroot/logs/error.log $level;
worker_rlimit_core 0;

events {
    worker_connections 1024;
    accept_mutex off;
}

http {
    include /etc/nginx/mime.types;
    default_type text/plain;
    access_log $servroot/logs/access.log;

    client_body_temp_path $servroot/tmp/body;
    proxy_temp_path $servroot/tmp/proxy;
    fastcgi_temp_path $servroot/tmp/fastcgi;
    uwsgi_temp_path $servroot/tmp/uwsgi;
    scgi_temp_path $servroot/tmp/scgi;

    keepalive_timeout 10s;
    sendfile on;

$http

$server
}
EOF
}

sub nginx_env {
    my @env;

    if ($asan) {
        push @env,
            "ASAN_OPTIONS=detect_leaks=0:abort_on_error=0:"
            . "log_path=$servroot/logs/asan",
            "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:"
            . "log_path=$servroot/logs/ubsan";
    }

    return @env;
}

sub run_nginx {
    my (@args) = @_;

    my $cmd = join ' ', map { "'$_'" } 'env', nginx_env(), $nginx,
                        '-p', "$servroot/", '-c', "$servroot/conf/nginx.conf",
                        @args;
    my $out = `$cmd 2>&1`;

    return ($? >> 8, $out);
}

sub nginx_pid () {
    open my $fh, '<', "$servroot/logs/nginx.pid" or return;
    my $pid = <$fh>;
    chomp $pid if defined $pid;
    return $pid;
}

sub worker_pids () {
    my $master = nginx_pid() or return ();
    my @pids;

    for my $dir (glob '/proc/[0-9]*') {
        open my $fh, '<', "$dir/stat" or next;
        my $stat = <$fh>;
        next unless $stat && $stat =~ /^(\d+) \(.*?\) \S (\d+)/;
        push @pids, $1 if $2 == $master;
    }

    return @pids;
}

# a zombie (exited, not yet reaped by whoever adopted it) is gone too

sub alive {
    my ($pid) = @_;

    return 0 unless $pid && kill 0, $pid;

    open my $fh, '<', "/proc/$pid/stat" or return 0;
    my $stat = <$fh> // '';

    return $stat !~ /^\d+ \(.*?\) [ZX]/;
}

sub nginx_stop {
    my $pid = nginx_pid();

    $running_conf = '';

    return unless alive($pid);

    my @pids = ($pid, worker_pids());

    kill 'QUIT', $pid;

    for (1 .. 300) {
        return unless grep { alive($_) } @pids;
        sleep 0.01;
    }

    kill 'KILL', $pid;
    sleep 0.1;
}

sub nginx_start {
    my ($conf) = @_;

    nginx_stop();

    make_path("$servroot/conf", "$servroot/logs", "$servroot/html",
              "$servroot/tmp");

    write_file("$servroot/conf/nginx.conf", $conf);
    unlink "$servroot/logs/nginx.pid";

    my ($rc, $out) = run_nginx();
    $nginx_out = $out;

    return (0, $out) if $rc != 0;

    for (1 .. 100) {
        last if nginx_pid() && IO::Socket::INET->new(
            PeerAddr => "127.0.0.1:$port", Timeout => 1);
        sleep 0.02;
    }

    $running_conf = $conf;

    return (1, $out);
}

sub nginx_reload () {
    my $pid = nginx_pid() or die "nginx is not running";
    kill 'HUP', $pid;
}

sub write_file {
    my ($path, $data) = @_;

    make_path(dirname($path));
    open my $fh, '>', $path or die "$path: $!";
    binmode $fh;
    print $fh $data;
    close $fh;
}

sub error_log_since {
    my ($pos) = @_;

    open my $fh, '<', "$servroot/logs/error.log" or return '';
    binmode $fh;
    seek $fh, $pos // 0, 0;
    local $/;
    my $text = <$fh>;
    return $text // '';
}

# what the error log got since the current block's requests began

sub block_log {
    return error_log_since($log_pos);
}

sub error_log_size {
    return -s "$servroot/logs/error.log" || 0;
}

# --------------------------------------------------------------- client

# A raw HTTP/1.1 client: exact bytes out, status, headers and the
# de-chunked body back.

sub http_request {
    my ($raw, $timeout) = @_;

    $timeout ||= 10;

    my $sock = IO::Socket::INET->new(
        PeerAddr => "127.0.0.1:$port",
        Timeout => $timeout,
    ) or return { error => "connect: $!" };

    binmode $sock;

    my $off = 0;
    while ($off < length $raw) {
        my $n = syswrite $sock, $raw, 65536, $off;
        return { error => "write: $!" } unless defined $n;
        $off += $n;
    }

    my $data = '';
    my $sel = IO::Select->new($sock);
    my $deadline = time + $timeout;

    while (1) {
        my $left = $deadline - time;
        return { error => 'timeout', raw => $data } if $left <= 0;
        last unless $sel->can_read($left);
        my $n = sysread $sock, $data, 65536, length $data;
        last unless $n;
    }

    return parse_response($data, $raw =~ /^HEAD /);
}

sub parse_response {
    my ($data, $head) = @_;

    my $i = index $data, "\r\n\r\n";
    return { error => 'no header end', raw => $data } if $i < 0;

    my $header = substr $data, 0, $i;
    my $body = substr $data, $i + 4;

    my ($status_line, @lines) = split /\r\n/, $header;
    my ($status) = $status_line =~ m{^HTTP/\d\.\d (\d{3})};
    my %h;
    my @order;

    for (@lines) {
        my ($k, $v) = /^([^:]+):\s*(.*)$/ or next;
        push @order, $k;
        $h{lc $k} = exists $h{lc $k} ? "$h{lc $k}, $v" : $v;
    }

    if (!$head && ($h{'transfer-encoding'} // '') =~ /chunked/i) {
        my $out = '';
        while ($body =~ s/^([0-9a-fA-F]+)[^\r\n]*\r\n//) {
            my $len = hex $1;
            last if $len == 0;
            $out .= substr $body, 0, $len;
            substr($body, 0, $len + 2) = '';
        }
        $body = $out;
    }

    return {
        status => $status,
        headers => \%h,
        header_text => $header,
        body => $body,
    };
}

sub build_request {
    my ($req, $more) = @_;

    return $req if $req =~ /\r\n/ && $req =~ /^[A-Z]+ \S+ HTTP\//;

    my ($line, $body) = split /\n/, $req, 2;
    my ($method, $uri, $proto) = split ' ', $line;
    $proto ||= 'HTTP/1.1';

    my $h = "$method $uri $proto\r\n";
    my $more_text = $more // '';

    $h .= "Host: localhost\r\n" unless $more_text =~ /^Host:/mi;
    $h .= "Connection: close\r\n" unless $more_text =~ /^Connection:/mi;

    for (split /\n/, $more_text) {
        next unless /\S/;
        $h .= "$_\r\n";
    }

    if (defined $body && $body ne '') {
        $h .= "Content-Length: " . length($body) . "\r\n"
            unless $more_text =~ /^(Content-Length|Transfer-Encoding):/mi;
    }

    return $h . "\r\n" . ($body // '');
}

sub get_many {
    my ($path, $n) = @_;
    my %status;
    for (1 .. $n) {
        my $r = http_request("GET $path HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        $status{$r->{status} // "error"}++;
    }
    return \%status;
}

# the survey tag of a page: { survey, type, touchpoint, token, ... }

sub survey_tag {
    my ($path, $headers) = @_;

    my $r = http_request("GET $path HTTP/1.1\r\nHost: localhost\r\n"
                         . ($headers // '') . "Connection: close\r\n\r\n");
    my ($tag) = ($r->{body} // '') =~ /(<script src="[^"]*" async [^>]*>)/
        or return undef;

    my %a;
    $a{$1} = $2 while $tag =~ /data-cx-([a-z]+)="([^"]*)"/g;

    return \%a;
}

# a token as the module makes them, for any day (tests of expiry); the
# site and Redis prefix default to the test server's (localhost, cx)

sub sign_token {
    my ($secret, $survey, $touchpoint, $day, $nonce, $site, $prefix) = @_;

    require Digest::SHA;
    require MIME::Base64;

    $nonce //= MIME::Base64::encode_base64url(CORE::join('', map { chr rand 256 } 1 .. 12));
    $site //= 'localhost';
    $prefix //= 'cx';
    my $mac = substr(Digest::SHA::hmac_sha256(
                         "cx2|$prefix|$site|$survey|$touchpoint|$day|$nonce",
                         $secret),
                     0, 16);

    return "$day.$nonce." . MIME::Base64::encode_base64url($mac);
}

sub post {
    my ($path, $type, $body, $headers) = @_;

    return http_request("POST $path HTTP/1.1\r\nHost: localhost\r\n"
                        . "Content-Type: $type\r\n"
                        . "Content-Length: " . length($body) . "\r\n"
                        . ($headers // '')
                        . "Connection: close\r\n\r\n$body");
}

sub metric {
    my ($name) = @_;
    my ($v) = metrics() =~ /^\Q$name\E (\d+)$/m;
    return $v;
}

sub metrics () {
    my $r = http_request(build_request("GET /cx/metrics"));
    return $r->{body} // '';
}

# ---------------------------------------------------------------- blocks

sub listify {
    my ($v, $n) = @_;
    return ref $v eq 'ARRAY' ? $v : [ ($v) x $n ];
}

sub check_response {
    my ($block, $r, $i, $n) = @_;

    my $name = $block->name . ($n > 1 ? " (req $i)" : '');

    if ($r->{error}) {
        fail("$name - request failed: $r->{error}");
        diag($r->{raw}) if $r->{raw};
        return;
    }

    my $code = $block->error_code;
    $code = listify($code, $n)->[$i] if defined $code;
    $code //= 200;
    $code =~ s/\s+$//;
    is($r->{status}, $code, "$name - status code");

    if (defined $block->response_headers) {
        my $spec = listify($block->response_headers, $n)->[$i];
        for my $line (split /\n/, expand($spec)) {
            next unless $line =~ /\S/;
            if ($line =~ /^!\s*(\S+)/) {
                ok(!exists $r->{headers}{lc $1}, "$name - no header $1")
                    or diag("$1: $r->{headers}{lc $1}");
                next;
            }
            my ($k, $v) = $line =~ /^([^:]+):\s*(.*?)\s*$/;
            is($r->{headers}{lc $k}, $v, "$name - header $k");
        }
    }

    if (defined $block->response_headers_like) {
        my $spec = listify($block->response_headers_like, $n)->[$i];
        for my $line (split /\n/, expand($spec)) {
            next unless $line =~ /\S/;
            my ($k, $v) = $line =~ /^([^:]+):\s*(.*?)\s*$/;
            like($r->{headers}{lc $k} // '', qr/$v/, "$name - header $k like");
        }
    }

    if (defined $block->response_body) {
        my $want = expand(listify($block->response_body, $n)->[$i]);
        if ($r->{body} eq $want) {
            pass("$name - response body");
        } else {
            fail("$name - response body");
            diag(Text::Diff::diff(\$want, \$r->{body},
                                  { STYLE => 'Unified' }));
        }
    }

    if (defined $block->response_body_like) {
        my $re = expand(listify($block->response_body_like, $n)->[$i]);
        $re =~ s/\n\z//;
        like($r->{body}, qr/$re/s, "$name - response body like");
    }

    if (defined $block->response_body_unlike) {
        my $re = expand(listify($block->response_body_unlike, $n)->[$i]);
        $re =~ s/\n\z//;
        unlike($r->{body}, qr/$re/s, "$name - response body unlike");
    }

    if (defined $block->response_body_length) {
        my $len = listify($block->response_body_length, $n)->[$i];
        is(length $r->{body}, $len + 0, "$name - response body length");
    }
}

sub check_logs {
    my ($block, $log, $must_die) = @_;

    my $name = $block->name;

    for my $line (lines($block->error_log)) {
        if (ref $line) {
            like($log, $line, "$name - error_log like $line");
        } else {
            ok(index($log, $line) >= 0, "$name - error_log has \"$line\"")
                or diag("error log:\n" . tail($log));
        }
    }

    for my $line (lines($block->no_error_log)) {
        if (ref $line) {
            unlike($log, $line, "$name - no_error_log $line");
        } else {
            ok(index($log, $line) < 0, "$name - no_error_log \"$line\"")
                or diag(join "\n", grep { index($_, $line) >= 0 }
                                   split /\n/, $log);
        }
    }

    # never acceptable unless a block asks for them

    my $expected = join "\n", map { ref $_ ? "$_" : $_ }
                              lines($block->error_log);

    for my $level ('[alert]', '[crit]', '[emerg]', 'exited on signal') {
        next if index($expected, $level) >= 0 || defined $block->allow_alerts
                || $must_die;
        ok(index($log, $level) < 0, "$name - no $level in error log")
            or diag(join "\n", grep { index($_, $level) >= 0 }
                               split /\n/, $log);
    }
}

sub lines {
    my ($spec) = @_;

    return () unless defined $spec;
    return @$spec if ref $spec eq 'ARRAY';
    return ($spec) if ref $spec eq 'Regexp';
    return grep { length } map { s/^\s+|\s+$//gr } split /\n/, expand($spec);
}

sub tail {
    my ($text) = @_;
    my @l = split /\n/, $text;
    splice @l, 0, @l - 30 if @l > 30;
    return join "\n", @l;
}

sub check_sanitizers {
    my ($name) = @_;

    return unless $asan;

    for my $f (grep { !/\.seen$/ }
               glob "$servroot/logs/asan.* $servroot/logs/ubsan.*") {
        open my $fh, '<', $f or next;
        local $/;
        my $report = <$fh>;
        fail("$name - sanitizer report $f");
        diag($report);
        rename $f, "$f.seen";
    }
}

# adds a file to a block's user_files, whichever form they are in
sub add_user_file {
    my ($block, $name, $content) = @_;

    my $files = $block->user_files // '';
    if (ref $files) {
        $block->set_value('user_files', [ @$files, [ $name, $content ] ]);
    } else {
        $block->set_value('user_files', "$files>>> $name\n$content");
    }
}

sub user_files {
    my ($block) = @_;

    my $spec = $block->user_files or return;
    $spec = expand($spec) unless ref $spec;

    my @files = ref $spec eq 'ARRAY' ? @$spec : ();

    unless (@files) {
        while ($spec =~ /^>>> (\S+)\n(.*?)(?=^>>> |\z)/msg) {
            push @files, [ $1, $2 ];
        }
    }

    for my $f (@files) {
        write_file("$servroot/html/$f->[0]", $f->[1]);
    }
}

sub run_block {
    my ($block) = @_;

    my $name = $block->name;
    my $conf = nginx_conf($block);

    user_files($block);

    # an nginx of another configuration stops before the block's init: an
    # init that restarts Redis (another certificate, a password) must not
    # make the previous block's workers log errors into this block's log
    nginx_stop() if !defined $block->must_die && $conf ne $running_conf;

    if (defined $block->redis) {
        redis()->flushall unless $block->redis =~ /keep/;
    }

    if (defined $block->init) {
        eval expand($block->init);
        if ($@) {
            fail("$name - init: $@");
            return;
        }
    }

    if (defined $block->must_die) {
        nginx_stop();
        make_path("$servroot/conf", "$servroot/logs", "$servroot/tmp");
        write_file("$servroot/conf/nginx.conf", $conf);
        my ($rc, $out) = run_nginx('-t');
        isnt($rc, 0, "$name - nginx -t fails");
        check_logs($block, $out, 1);
        check_sanitizers($name);
        return;
    }

    # the block's log starts before the nginx it starts: what the workers
    # log while starting (a first failed connect) is the block's too
    $log_pos = error_log_size();

    if ($conf ne $running_conf) {
        my ($ok, $out) = nginx_start($conf);
        unless ($ok) {
            fail("$name - nginx starts");
            diag($out);
            return;
        }
    }

    my $req = $block->request // $block->raw_request;

    if (defined $req) {
        my @reqs = ref $req eq 'ARRAY' ? @$req : ($req);
        my $n = @reqs;

        for my $i (0 .. $#reqs) {
            my $text = expand($block->raw_request ? $reqs[$i]
                                                  : $reqs[$i] =~ s/\n\z//r);
            $text = $request_filter->($text, $block) if $request_filter;
            my $raw = $block->raw_request
                    ? $text
                    : build_request($text, expand($block->more_headers));
            my $r = http_request($raw, $block->timeout);
            check_response($block, $r, $i, $n);
        }
    }

    if (defined $block->check) {
        my $ok = eval expand($block->check);
        fail("$name - check: $@") if $@;
    }

    sleep($block->wait) if $block->wait;

    # give workers a moment to finish logging
    sleep 0.05;

    check_logs($block, error_log_since($log_pos));
    check_sanitizers($name);
}

sub run_tests () {
    remove_tree($servroot);
    make_path($servroot);

    $port = empty_port();

    for my $block (blocks()) {
        $_->($block) for @preprocessors;
        my $t0 = time;
        run_block($block);
        printf STDERR "# %.2fs %s\n", time - $t0, $block->name
            if $ENV{TEST_CX_TIMING};
    }

    nginx_stop();
    $fleet->stop if $fleet;
    check_sanitizers('shutdown');
    upstream_stop();
    redis_proxy_stop();
    redis_stop();
    dns_stop();

    # a second prove's private copy goes; t/servroot/NAME stays to look at
    remove_tree($servroot) if $servroot =~ /\.\d+$/;

    done_testing();
}

END {
    # a failure or die mid-file must not leave servers behind
    if ($servroot && -f "$servroot/logs/nginx.pid") {
        local $?;
        nginx_stop();
    }
    $fleet->stop if $fleet;
    upstream_stop() if $upstream_pid;
    redis_proxy_stop() if $proxy_pid;
    redis_stop() if $redis_server;
    dns_stop() if $dns_pid;
}

1;
