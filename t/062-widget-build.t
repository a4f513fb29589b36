# The widget the module embeds (widget/dist/, committed so that building
# the module never needs Node) is what widget/src/ builds to, its pure
# parts do what they should (widget/test/unit.js: the visitor cookie as
# strictly as the module reads it, the comment, the words of every
# language), what a visitor downloads stays within the size budget (6 KB
# minified and gzip'd: the script, and the script with the words of any
# language), and it is the kind of script a strict page accepts: no eval,
# no third-party address, no inline style attribute.

use strict;
use warnings;
use Test::More;
use FindBin;

my $root = "$FindBin::Bin/..";
my $dist = "$root/widget/dist/cx-widget.js";

system("$root/widget/test/setup.sh") == 0
    or BAIL_OUT('widget/test/setup.sh failed');

my $out = `cd '$root/widget' && node build.js --check 2>&1`;
is($? >> 8, 0, 'widget/dist is what widget/src builds to (else: make widget)')
    or diag($out);

# the widget's pure parts (widget/test/unit.js): its TAP, relayed
$out = `cd '$root/widget' && node test/unit.js 2>&1`;
my $unit = 0;
for (split /\n/, $out) {
    if (/^(not )?ok \d+ - (.*)$/) {
        ok(!$1, "unit: $2");
        $unit++;
    } elsif (/^# /) {
        diag($_);
    }
}
is($? >> 8, 0, "widget/test/unit.js ($unit checks)");

$out = `'$root/widget/size.sh' 2>&1`;
is($? >> 8, 0, 'within the size budget');
note($out);

my ($gz) = $out =~ /(\d+) bytes gzip -9/;
ok($gz && $gz <= 6144, "gzip'd size $gz <= 6144 bytes");

my %with = $out =~ /^widget \+ (\w+): (\d+) bytes gzip -9/mg;
is(join(' ', sort keys %with), 'ar he pl ro ru uk', 'a size for each language');
for my $lang (sort keys %with) {
    ok($with{$lang} <= 6144 && $with{$lang} > $gz,
       "with the words of $lang: $with{$lang} <= 6144 bytes");
}

open my $fh, '<:raw', $dist or die "$dist: $!";
my $js = do { local $/; <$fh> };

unlike($js, qr/\beval\s*\(|new Function\b|setTimeout\s*\(\s*["']/,
       'no string evaluation (script-src without unsafe-eval)');
unlike($js, qr{https?://}, 'no absolute address: no third-party request');
unlike($js, qr/\.style\s*[.=\[]|setAttribute\(\s*["']style|cssText/,
       'no inline style attributes (style-src without unsafe-inline)');
unlike($js, qr/sourceMappingURL/, 'no source map reference');
unlike($js, qr/localStorage|userAgent|plugins|getContext|hardwareConcurrency/,
       'nothing a fingerprint is made of');

done_testing();
