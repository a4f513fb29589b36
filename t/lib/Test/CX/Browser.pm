package Test::CX::Browser;

# Test::CX::Browser: what the tests in real headless Chromium (t/063,
# t/064, t/071, t/084) share.
#
# browser_setup(): node, npm, Debian's chromium and widget/node_modules
# (widget/test/setup.sh, npm ci), or the test file dies.
# browser_tap($out): the TAP a browser script printed, as this file's
# own assertions: each "ok"/"not ok" line one ("browser: " and its
# name), "#" lines as notes, anything else as diagnostics.  Returns the
# number of checks and the plan ("1..N"; undef when none was printed),
# for the caller to say whether the run completed.

use strict;
use warnings;

use Exporter qw(import);
use FindBin;
use Test::More ();

our @EXPORT = qw(browser_setup browser_tap);


sub browser_setup {
    system("$FindBin::Bin/../widget/test/setup.sh", '/usr/bin/chromium') == 0
        or die "widget/test/setup.sh failed\n";
}


sub browser_tap {
    my ($out) = @_;
    my ($tests, $plan) = (0, undef);

    for (split /\n/, $out) {
        if (/^(not )?ok \d+ - (.*)$/) {
            $tests++;
            Test::More::ok(!$1, "browser: $2");
        } elsif (/^1\.\.(\d+)$/) {
            $plan = $1;
        } elsif (/^# (.*)$/) {
            Test::More::note($1);
        } else {
            Test::More::diag($_);
        }
    }

    return ($tests, $plan);
}


1;
