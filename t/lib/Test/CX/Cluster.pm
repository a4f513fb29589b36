package Test::CX::Cluster;

# Test::CX::Cluster: a Redis Cluster on loopback for t/ and bench/, and
# what a test does to it: who is primary, who replicates whom, which
# slots a node serves, a crash and a restart, a reshard, a manual
# failover.  The nodes are a Test::CX::Fleet's (started by it, stopped
# by PID with it); this module adds the cluster's view and its moves.
#
#     my $c = Test::CX::Cluster->new(fleet => $fleet);   # or dir => DIR
#     $c->start;                          # 3 primaries + 3 replicas, ok
#     my @p = $c->primaries;              # ports, by port
#     my $r = $c->replica_of($p[0]);      # a port
#     my $n = $c->slot_count($p[0]);      # slots it serves
#     $c->kill_node($p[0]);  $c->wait_promoted($r);  $c->start_node($p[0]);
#     $c->reshard(from => $p[1], to => $p[2]);       # every slot of p[1]
#     $c->failover($replica);             # CLUSTER FAILOVER, waits
#     my $bytes = $c->raw($port, 'CLUSTER', 'SLOTS'); # the RESP reply
#     my @r = $c->pipeline($port, [ 'SET', 'k', 1 ], ...); # "+OK", ...
#     my $keys = $c->keys_per_primary;    # { port => DBSIZE }
#     $c->stop;

use strict;
use warnings;

use IO::Socket::INET;
use IO::Select;
use POSIX ();
use Time::HiRes qw(sleep time);

use Test::CX::Fleet;

# new(fleet => FLEET) or new(dir => DIR, [other Test::CX::Fleet options])

sub new {
    my ($class, %o) = @_;

    my $fleet = delete $o{fleet} // Test::CX::Fleet->new(%o);

    return bless { fleet => $fleet, ports => [] }, $class;
}

sub fleet { $_[0]{fleet} }
sub ports { @{ $_[0]{ports} } }

sub cli {
    my ($self, $port, @cmd) = @_;
    return $self->{fleet}->cli($port, @cmd);
}

# start([node_timeout => MS]): six nodes, three of them primaries, every
# node ok and agreeing on the slots

sub start {
    my ($self, %o) = @_;

    $self->{ports} = [ $self->{fleet}->cluster_start(%o) ];
    $self->wait_agree or die "the new cluster does not agree on its slots";

    # the roles travel by gossip after the slots: until every node knows
    # every replica as one

    Test::CX::Fleet::wait_until(sub {
        !grep {
            my $n = $self->nodes($_);
            (grep { !$_->{primary} } values %$n) != 3
        } $self->ports
    }, 30) or die "the new cluster does not agree on its replicas";

    return $self->ports;
}

# ------------------------------------------------------- the cluster's view

# CLUSTER NODES as one node sees it: { PORT => { id, port, primary (1 or
# 0), master (the primary's id for a replica), failed, slots => [[a, b],
# ...] } }; slots being imported or migrated ([a->-id]) are left out

sub nodes {
    my ($self, $port) = @_;

    my %nodes;

    for my $line (split /\n/, $self->cli($port, 'CLUSTER', 'NODES')) {
        my ($id, $addr, $flags, $master, undef, undef, undef, $link, @slots)
            = split ' ', $line;
        next unless $addr && $addr =~ /:(\d+)/;
        my $p = $1;

        $nodes{$p} = {
            id => $id,
            port => $p,
            primary => $flags =~ /master/ ? 1 : 0,
            master => $master eq '-' ? undef : $master,
            failed => $flags =~ /fail|noaddr/ ? 1 : 0,
            connected => $link eq 'connected' ? 1 : 0,
            slots => [ map { /^(\d+)(?:-(\d+))?$/ ? [ $1, $2 // $1 ] : () }
                       @slots ],
        };
    }

    return \%nodes;
}

# a live node to ask: the first that answers

sub any_port {
    my ($self) = @_;

    for my $p ($self->ports) {
        return $p if $self->{fleet}->node_pid($p)
                     && $self->cli($p, 'PING') eq 'PONG';
    }

    die "no cluster node answers";
}

# the primaries serving slots, by port (a node that was just made a
# replica, or emptied by a reshard, may still be flagged master a while)

sub primaries {
    my ($self) = @_;

    my $nodes = $self->nodes($self->any_port);

    return sort { $a <=> $b }
           map { $_->{port} }
           grep { $_->{primary} && !$_->{failed} && @{ $_->{slots} } }
           values %$nodes;
}

# the ports of PORT's replicas (in a list context), or the first one

sub replica_of {
    my ($self, $port) = @_;

    my $nodes = $self->nodes($self->any_port);
    my $id = $nodes->{$port}{id} // return;

    my @r = sort { $a <=> $b }
            map { $_->{port} }
            grep { !$_->{primary} && ($_->{master} // '') eq $id }
            values %$nodes;

    return wantarray ? @r : $r[0];
}

# the slots PORT serves, as a number, as its own CLUSTER NODES says

sub slot_count {
    my ($self, $port) = @_;

    my $me = $self->nodes($port)->{$port} or return 0;
    my $n = 0;
    $n += $_->[1] - $_->[0] + 1 for @{ $me->{slots} };

    return $n;
}

# the map as CLUSTER NODES draws it: "start-end 127.0.0.1:port" lines, in
# slot order, adjacent ranges of one node merged

sub slot_ranges {
    my ($self, $port) = @_;

    my (@ranges, @out);

    for my $n (values %{ $self->nodes($port // $self->any_port) }) {
        next unless $n->{primary};
        push @ranges, [ @$_, $n->{port} ] for @{ $n->{slots} };
    }

    for my $r (sort { $a->[0] <=> $b->[0] } @ranges) {
        if (@out && $out[-1][2] == $r->[2] && $out[-1][1] + 1 == $r->[0]) {
            $out[-1][1] = $r->[1];
        } else {
            push @out, [ @$r ];
        }
    }

    return map { "$_->[0]-$_->[1] 127.0.0.1:$_->[2]" } @out;
}

# redis-cli --cluster check: every slot served, every node agrees

# redis-cli --cluster ARGS: its output, undef if it failed (the output
# is then in $self->{cli_out})

sub cluster_cli {
    my ($self, @args) = @_;

    my $pid = open my $fh, '-|';
    die "fork: $!" unless defined $pid;

    if ($pid == 0) {
        open STDERR, '>&', \*STDOUT;
        { exec 'redis-cli', @{ $self->{fleet}{cli} }, '--cluster', @args }
        POSIX::_exit(127);
    }

    local $/;
    my $out = <$fh> // '';
    close $fh;
    $self->{cli_out} = $out;

    return $? == 0 ? $out : undef;
}

sub agree {
    my ($self) = @_;

    my $out = $self->cluster_cli('check', '127.0.0.1:' . $self->any_port);

    return defined $out && $out =~ /All nodes agree/
           && $out =~ /All 16384 slots covered/;
}

sub wait_agree {
    my ($self, $timeout) = @_;

    return Test::CX::Fleet::wait_until(sub {
        $self->agree && !grep {
            $self->{fleet}->node_pid($_)
            && $self->cli($_, 'CLUSTER', 'INFO') !~ /cluster_state:ok/
        } $self->ports
    }, $timeout // 30);
}

# a command's reply as the bytes Redis sent (RESP2), for our parser

sub raw {
    my ($self, $port, @cmd) = @_;

    my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port",
                                  Timeout => 5) or die "$port: $!";
    my $req = '*' . @cmd . "\r\n";
    $req .= '$' . length($_) . "\r\n$_\r\n" for @cmd;
    $req .= "*1\r\n\$4\r\nQUIT\r\n";
    print $s $req;

    my $sel = IO::Select->new($s);
    my $buf = '';
    my $deadline = time + 5;

    while (time < $deadline && $sel->can_read($deadline - time)) {
        my $n = sysread $s, $buf, 65536, length $buf;
        last unless $n;
    }

    close $s;
    $buf =~ s/\+OK\r\n\z// or die "no whole reply from $port";

    return $buf;
}

# commands pipelined on one connection, each a [ word, ... ]; the first
# line of each reply ("+OK", "-MOVED 3999 127.0.0.1:7001", ":1", "$5"):
# for commands whose replies are one line

sub pipeline {
    my ($self, $port, @cmds) = @_;

    my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port",
                                  Timeout => 5) or die "$port: $!";
    binmode $s;

    for my $cmd (@cmds) {
        print $s '*' . @$cmd . "\r\n",
                 map { '$' . length($_) . "\r\n$_\r\n" } @$cmd;
    }

    my $sel = IO::Select->new($s);
    my ($buf, @replies) = ('');
    my $deadline = time + 10;

    while (@replies < @cmds && time < $deadline
           && $sel->can_read($deadline - time))
    {
        sysread($s, $buf, 65536, length $buf) or last;
        push @replies, $1 while $buf =~ s/^([^\r]*)\r\n//;
    }

    return @replies;
}

# { PORT => keys } for the primaries serving slots (DBSIZE)

sub keys_per_primary {
    my ($self) = @_;
    return { map { $_ => $self->cli($_, 'DBSIZE') } $self->primaries };
}

# ----------------------------------------------------------------- moves

sub kill_node {
    my ($self, $port, $signal) = @_;
    $self->{fleet}->kill_node($port, $signal);
}

# back with its configuration and data: the cluster makes it a replica
# if another node was promoted meanwhile

sub start_node {
    my ($self, $port) = @_;
    $self->{fleet}->start_node($port);
}

# until PORT is a primary serving slots in the view of every live node

sub wait_promoted {
    my ($self, $port, $timeout) = @_;

    return Test::CX::Fleet::wait_until(sub {
        $self->{fleet}->role($port) eq 'master' && $self->slot_count($port)
        && !grep {
            my $n = $self->nodes($_)->{$port};
            $self->{fleet}->node_pid($_)
            && !($n && $n->{primary} && @{ $n->{slots} })
        } $self->ports
    }, $timeout // 30);
}

# reshard(from => PORT, to => PORT, [slots => N]): move N (by default
# every) slots of one primary to another, live, and wait for agreement

sub reshard {
    my ($self, %o) = @_;

    my $nodes = $self->nodes($o{from});
    my $from = $nodes->{ $o{from} }{id} or die "no node $o{from}";
    my $to = $nodes->{ $o{to} }{id} or die "no node $o{to}";
    my $n = $o{slots} // $self->slot_count($o{from});

    $self->cluster_cli('reshard', "127.0.0.1:$o{from}",
                       '--cluster-from', $from, '--cluster-to', $to,
                       '--cluster-slots', $n, '--cluster-yes')
        // die "redis-cli --cluster reshard failed:\n$self->{cli_out}";

    $self->wait_agree or die "no agreement after the reshard";

    return $n;
}

# CLUSTER FAILOVER on a replica: it takes its primary's slots, the old
# primary becomes its replica

sub failover {
    my ($self, $replica, $timeout) = @_;

    my $r = $self->cli($replica, 'CLUSTER', 'FAILOVER');
    die "CLUSTER FAILOVER on $replica: $r" unless $r eq 'OK';

    return $self->wait_promoted($replica, $timeout);
}

sub stop {
    my ($self) = @_;
    $self->{fleet}->stop;
}

1;
