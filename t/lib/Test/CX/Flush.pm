# Test::CX::Flush: a batch of counters for lua/redis/flush.lua, as the
# module sends it (ngx_http_cx_flush.c), for tests and benchmarks that
# write through the script without nginx: every key in KEYS once (the day
# hashes, their rollups, the 31 days of their month), ARGV referring to
# them by index (lua/redis/flush.lua says the layout).  Counters only, no
# records.
#
#   my @a = flush_args('cx:batch:t', $seq, $ttl, { $key => { $field => $n } });
#   $redis->evalsha($sha, @a);
package Test::CX::Flush;

use strict;
use warnings;

use Exporter 'import';
our @EXPORT_OK = qw(flush_args);

sub flush_args {
    my ($batch_key, $seq, $ttl, $hashes) = @_;
    my (@keys, %index, @desc);

    # the KEYS index of a key, added if new
    my $key = sub {
        my ($k) = @_;
        return $index{$k} //= do { push @keys, $k; 1 + @keys };
    };

    for my $k (sort keys %$hashes) {
        my ($month) = $k =~ /^(.*)\d\d$/ or die "not a day hash: $k";
        my $first = $key->("${month}01");
        $key->(sprintf '%s%02d', $month, $_) for 2 .. 31;
        # {prefix}:{site}:sv:..., or a shard's {prefix:site:s.k}:sv:...
        my $survey = $k =~ /^(?:\{[^}]*\}|[^:]+:[^:]+):s[vc]h?:/;
        my $h = $hashes->{$k};
        push @desc, $key->($k), $key->($month),
                    $survey ? ($key->("$month:all"), $key->("$k:all"))
                            : (0, 0),
                    $first, scalar(keys %$h),
                    map { ($_, $h->{$_}) } sort keys %$h;
    }

    return (1 + @keys, $batch_key, @keys,
            $seq, $ttl, 4, 20, scalar(keys %$hashes), @desc, 0);
}

1;
