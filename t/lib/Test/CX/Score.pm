package Test::CX::Score;

# Test::CX::Score: what the /cx/score tests (t/040) share.
#
# score($query [, $header_lines]): GET /cx/score?$query, again while the
# worker is not connected to Redis yet (503); the response, with
# {json} decoded (undef when the body is not JSON); a non-200 is shown.
# answers($survey, $day, $tp, {score => count} [, $hour]) and
# events($survey, $day, $tp, {event => count} [, $hour]): counts added
# into a day's daily and hourly hashes (sc/sch, sv/svh; hour 12 unless
# given), as the flush writes them.
# fields_ok($got, $want, $name): the fields $want gives, in $got: nested
# hashes and arrays field by field, numbers as printed, undef as null,
# JSON::PP booleans as booleans.

use strict;
use warnings;

use Exporter qw(import);
use JSON::PP ();
use Test::More ();
use Test::CX ();

our @EXPORT = qw(score answers events fields_ok);


sub score {
    my ($query, $headers) = @_;
    my $r;

    Test::CX::wait_for(sub {
        $r = Test::CX::http_request("GET /cx/score?$query HTTP/1.1\r\n"
                                    . "Host: localhost\r\n"
                                    . ($headers // '')
                                    . "Connection: close\r\n\r\n");
        ($r->{status} // 0) != 503;
    });

    $r->{json} = eval { JSON::PP::decode_json($r->{body}) };
    Test::More::diag("$query: $r->{status} $r->{body}")
        if ($r->{status} // 0) != 200;

    return $r;
}


sub answers {
    my ($survey, $day, $tp, $counts, $hour) = @_;
    hincrby("sc:$survey:$day", "sch:$survey:$day", $tp, $counts, $hour);
}


sub events {
    my ($survey, $day, $tp, $counts, $hour) = @_;
    hincrby("sv:$survey:$day", "svh:$survey:$day", $tp, $counts, $hour);
}


sub hincrby {
    my ($daily, $hourly, $tp, $counts, $hour) = @_;
    my $redis = Test::CX::redis();
    $hour //= '12';

    for my $k (keys %$counts) {
        $redis->hincrby("cx:localhost:$daily", "$tp:$k", $counts->{$k});
        $redis->hincrby("cx:localhost:$hourly", "$tp:$k:$hour",
                        $counts->{$k});
    }
}


sub fields_ok {
    my ($got, $want, $name) = @_;

    if (ref $want eq 'HASH') {
        return Test::More::fail("$name: not an object")
            unless ref $got eq 'HASH';
        fields_ok($got->{$_}, $want->{$_}, "$name.$_") for sort keys %$want;
        return;
    }

    if (ref $want eq 'ARRAY') {
        return Test::More::fail("$name: not an array")
            unless ref $got eq 'ARRAY';
        Test::More::is(scalar @$got, scalar @$want, "$name: length");
        fields_ok($got->[$_], $want->[$_], "$name\[$_]") for 0 .. $#$want;
        return;
    }

    if (!defined $want) {
        Test::More::ok(!defined $got, "$name is null") or diag("got $got");
        return;
    }

    if (ref $want eq 'JSON::PP::Boolean') {
        Test::More::ok(ref $got eq 'JSON::PP::Boolean' && $got == $want,
                       "$name = " . ($want ? 'true' : 'false'))
            or diag('got ' . ($got // 'null'));
        return;
    }

    if ($want =~ /^-?\d+(\.\d+)?$/) {
        Test::More::ok(defined $got && !ref $got && $got == $want,
                       "$name = $want")
            or diag("got " . ($got // 'null'));
        return;
    }

    Test::More::is($got, $want, $name);
}


sub diag { Test::More::diag(@_) }


1;
