#!/usr/bin/perl
# bench/check.pl MODE ORIGINAL RESPONSE [TAG-REGEX]
#
# Compares a response body with the file it was served from.
#   plain        the response is the file, byte for byte
#   inject-real  the tag occurs exactly once, right before the document's
#                real "</body>" (for bench/mkpage.pl pages: the last one),
#                and removing it gives back the file byte for byte
#   inject-any   the same, but any "</body>" will do (a text search cannot
#                tell a "</body>" in a script string from the real one);
#                which one it was is reported
#   inject-once  the tag occurs exactly once, anywhere, and removing it
#                gives back the file (for the "floor" variant)
# Prints one line, "ok ..." or "FAIL ...", and exits 0 or 1.  On success
# with a tag it prints key=value pairs: tag_len, at (byte offset), where
# (real|decoy).

use strict;
use warnings;

my ($mode, $orig_file, $got_file, $tag_re) = @ARGV;
die "usage: $0 plain|inject-real|inject-any|inject-once ORIGINAL RESPONSE [TAG-REGEX]\n"
    unless $mode && $got_file && ($mode eq 'plain' || $tag_re);

sub slurp {
    my ($f) = @_;
    open my $fh, '<:raw', $f or die "$f: $!\n";
    local $/;
    my $s = <$fh>;
    return $s // '';
}

my $orig = slurp($orig_file);
my $got  = slurp($got_file);
my ($lo, $lg) = (length $orig, length $got);

sub fail { print "FAIL $_[0]\n"; exit 1; }

sub first_diff {
    my ($x, $y) = @_;
    my $n = length($x) < length($y) ? length($x) : length($y);
    my $i = 0;
    $i++ while $i < $n && substr($x, $i, 1) eq substr($y, $i, 1);
    return $i;
}

sub around {
    my ($s, $at) = @_;
    my $from = $at > 40 ? $at - 40 : 0;
    (my $x = substr($s, $from, 100)) =~ s/([^\x20-\x7e])/sprintf("\\x%02x", ord $1)/ge;
    return "\"$x\"";
}

if ($mode eq 'plain') {
    if ($got ne $orig) {
        my $d = first_diff($orig, $got);
        fail("response ($lg bytes) differs from the file ($lo bytes) at byte $d: "
             . "file " . around($orig, $d) . " response " . around($got, $d));
    }
    print "ok identical, $lg bytes\n";
    exit 0;
}

my $re = qr/$tag_re/;
my @at;
while ($got =~ /$re/g) {
    push @at, [$-[0], $+[0] - $-[0]];
}

fail("tag not found in the response ($lg bytes; file $lo bytes)") unless @at;
fail(scalar(@at) . " tags in the response (at bytes "
     . join(', ', map { $_->[0] } @at) . "), want exactly one") if @at > 1;

my ($pos, $len) = @{$at[0]};

if ($mode ne 'inject-once' && lc(substr($got, $pos + $len, 7)) ne '</body>') {
    fail("tag at byte $pos is not right before \"</body>\": it is followed by "
         . around($got, $pos + $len));
}

my $rest = substr($got, 0, $pos) . substr($got, $pos + $len);
if ($rest ne $orig) {
    my $d = first_diff($orig, $rest);
    fail("response minus the tag ($len bytes) differs from the file at byte $d "
         . "(response $lg bytes, file $lo, want " . ($lo + $len) . "): file "
         . around($orig, $d) . " response " . around($rest, $d));
}

my $real = rindex(lc $orig, '</body>');
my $where = $pos == $real ? 'real' : 'decoy';

if ($mode eq 'inject-real' && $where ne 'real') {
    fail("tag inserted before the \"</body>\" at byte $pos, inside "
         . "the page's script; the document's real \"</body>\" is at byte $real");
}

print "ok tag_len=$len at=$pos where=$where real_at=$real bytes=$lg\n";
exit 0;
