package Test::CX::Collect;

# Test::CX::Collect: what the /cx/collect tests (t/030-033) share.
#
# form($tag, %fields): the form body of an event for the survey of a tag
# (survey_tag()'s hash): survey, touchpoint and token, then the fields
# that are defined, by name.
# answer($tag, %fields): that form posted to /cx/collect (a `headers`
# field: more header lines); returns http_request()'s response.
# reason($r): the "error" of a JSON error response, else its body.
# counts_settled(): the number of counts made, when every one of them
# has reached Redis or was dropped (cx_metrics says so), else undef.

use strict;
use warnings;

use Exporter qw(import);
use Test::CX ();

our @EXPORT = qw(form answer reason counts_settled);


sub form {
    my ($tag, %f) = @_;
    return join '&', "survey=$tag->{survey}", "touchpoint=$tag->{touchpoint}",
                     "token=$tag->{token}",
                     map { "$_=$f{$_}" } grep { defined $f{$_} } sort keys %f;
}


sub answer {
    my ($tag, %f) = @_;
    my $headers = delete $f{headers};
    return Test::CX::post('/cx/collect', 'application/x-www-form-urlencoded',
                          form($tag, %f), $headers);
}


sub reason {
    my ($r) = @_;
    return ($r->{body} // '') =~ /^\{"error":"(.*)"\}$/ ? $1 : $r->{body};
}


sub counts_settled {
    my $m = Test::CX::metrics();
    my %n = map { $_ => ($m =~ /^cx_counts_${_}total (\d+)$/m)[0] }
            '', 'flushed_', 'dropped_';
    return undef if grep { !defined } values %n;
    return $n{''} == $n{flushed_} + $n{dropped_} ? $n{''} : undef;
}


1;
