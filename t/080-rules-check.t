# nginx -t finds what a rule file would certainly get wrong at run time
# (lua/check.lua): a literal survey id no cx_survey defines, an unknown
# field of r, r.visitor or r.time, a cx helper given a literal of the
# wrong type (or nothing where it needs something), calling what is not a
# function -- each with the rule file's line.  And nothing that would
# work: every example rule file and bench rule file loads, and so does
# every field README documents.

use lib 't/lib';
use Test::CX;

# the fields "What r holds" documents: r.*, and the words of r.time's and
# r.visitor's rows
sub documented {
    open my $fh, '<', 'README.md' or die "README.md: $!";
    local $/;
    my $readme = <$fh>;
    my ($table) = $readme =~ /^### What r holds\n(.*?)^### /ms or die;
    my (@r, %sub);

    for my $row (split /\n/, $table) {
        my ($name, $value) = $row =~ /^\| `r\.(\w+)[^|]*` \| (.*) \|$/
            or next;
        push @r, $name;
        next unless $name eq 'time' || $name eq 'visitor';
        $value =~ s/\(see \[.*?\)\)//g;
        $sub{$name} = [ grep { !/^cx_/ && $_ ne 'nil' }
                        $value =~ /`([a-z_]+)`/g ];
    }

    return (\@r, \%sub);
}

add_block_preprocessor(sub {
    my $block = shift;

    my $rule = $block->rule;
    return unless defined $rule;

    my $http = $block->http_config // '';
    my $more = $block->more_config // '';

    $block->set_value('http_config', "cx_secret 0123456789abcdef0123;\n$http");
    $block->set_value('config', <<"EOF");
location / {
    cx_survey s1 type=nps;
    cx_rules_lua \$TEST_NGINX_HTML_DIR/c.lua;
}
$more
EOF
    $block->set_value('user_files', [ [ 'c.lua', $rule ],
                        [ 'index.html', "<html><body>hi</body></html>\n" ] ]);
});

run_tests();

__DATA__

=== TEST 1: the four mistakes of issue 19, each with its line: no survey for any page view, until now silently
--- rule
local M = {}
function M.trigger(r)
    if r.visitor.view > 2 then                  -- views
        return "product_NPS"                    -- product_nps
    end
    if cx.business_hours(r, "9:00", "17:00") then
        return "s1"
    end
    if r.args("utm_source") == "email" then     -- r.args["utm_source"]
        return nil
    end
    return "s1"
end
return M
--- must_die
--- error_log eval
[qr{\[emerg\] .*cx_rules_lua ".*/c\.lua": .*/c\.lua:3: r\.visitor has no field "view" \(days_since_answered, days_since_shown, id, last_answered, last_dismissed, last_shown, new, sessions, source, touchpoints, views, visits\) in .*/nginx\.conf:\d+},
 qr{c\.lua:4: trigger\(\) returns "product_NPS", which is not a survey id \(\[a-z0-9_\.-\]\{1,64\}\)},
 qr{c\.lua:6: bad argument #2 to 'cx\.business_hours' \(a number expected, got string "9:00"\)},
 qr{c\.lua:9: attempt to call r\.args \(not a function\): read it as r\.args\["utm_source"\]}]



=== TEST 2: a survey id no cx_survey defines, however it is returned
--- rule
local LATER = "later_nps"
return {
    trigger = function(r)
        if r.path == "/a" then return "nosuch" end
        if r.path == "/b" then return { survey = "help_ces", delay = 20 } end
        if r.path == "/c" then return LATER end
        if r.path == "/d" then
            local t = {}
            t.survey = "tset_nps"
            return t
        end
        return cx.sample(0.1, "k") and "sampled_nps" or nil
    end
}
--- must_die
--- error_log eval
[qr{c\.lua:4: trigger\(\) returns "nosuch", which no cx_survey defines},
 qr{c\.lua:5: trigger\(\) returns a survey "help_ces", which no cx_survey defines},
 qr{c\.lua:6: trigger\(\) returns "later_nps", which no cx_survey defines},
 qr{c\.lua:10: trigger\(\) returns a survey "tset_nps", which no cx_survey defines},
 qr{c\.lua:12: trigger\(\) returns "sampled_nps", which no cx_survey defines}]



=== TEST 3: a cx_survey anywhere in this nginx defines an id (as at run time), and only literals are looked at
--- rule
local PREFIX = "help_"
return {
    trigger = function(r)
        if r.path == "/b" then return { survey = "help_ces", delay = 20 } end
        if r.path == "/c" then return PREFIX .. "ces" end
        if r.path == "/d" then return r.args.survey end
        local v = "none"
        if r.path == "/e" then v = "s1" end
        if v ~= "none" then return v end        -- never "none"
        return true
    end
}
--- more_config
location /other/ {
    cx_survey help_ces type=ces;
}
--- request
GET /
--- response_body_like
data-cx-survey="s1"



=== TEST 4: what else trigger(r) cannot return
--- rule
return {
    trigger = function(r)
        if r.path == "/a" then return 42 end
        if r.path == "/b" then return { survey = "s1", dealy = 20 } end
        if r.path == "/c" then return { delay = 20 } end
        if r.path == "/d" then return { survey = "s1", delay = 7200 } end
        if r.path == "/e" then return { survey = "s1", question = 5 } end
        if r.path == "/f" then return { survey = "s1", variant = "Version B" } end
        if r.path == "/g" then return { survey = "s1", variant = "vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv" } end
        if r.path == "/h" then return { survey = "s1", variant = 2 } end
        if r.path == "/i" then return { survey = "s1", variant = "" } end
        if r.path == "/j" then return { survey = "s1", variant = "vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv" } end
        local v = r.path == "/k" and "b" or "a"
        return { survey = "s1", variant = v }
    end
}
--- must_die
--- error_log eval
[qr{c\.lua:3: trigger\(\) returns the number 42: expected nil, true, a survey id or a table},
 qr{c\.lua:4: trigger\(\) returns a table with the field "dealy", which is not survey, delay, question or variant},
 qr{c\.lua:5: trigger\(\) returns a table without survey},
 qr{c\.lua:6: trigger\(\) returns a delay of 7200: a number of seconds from 0 to 3600},
 qr{c\.lua:7: trigger\(\) returns a question that is a number, not a string},
 qr{c\.lua:8: trigger\(\) returns the variant "Version B", which is not a name \(\[a-z0-9_\.-\]\{1,32\}\)},
 qr{c\.lua:9: trigger\(\) returns the variant "v{33}", which is not a name},
 qr{c\.lua:10: trigger\(\) returns the variant 2, which is not a name},
 qr{c\.lua:11: trigger\(\) returns the variant "", which is not a name}]
--- no_error_log eval
[qr{c\.lua:1[2-4]:}]



=== TEST 5: fields r, r.visitor and r.time do not have, also in the functions r is passed to
--- rule
local function product(r)
    return r.pth == "/products"
end
local function label(r)             -- not given r: its r is another table
    return r.survey
end
return {
    touchpoint = function(r)
        return r.time.hours == 9 and "morning" or nil
    end,
    trigger = function(r)
        if product(r) then return nil end
        if label({ survey = "s1" }) == "x" then return nil end
        if r.visitor.sessionz then return nil end
        if r.header.x_anything and r.cookie.anything and r.args.anything
           and r.resp_header.anything
        then
            return nil
        end
        return "s1"
    end
}
--- must_die
--- error_log eval
[qr{c\.lua:2: r has no field "pth" \(args, cookie, header, host, method, path, query, resp_header, scheme, status, time, touchpoint, uri, visitor\)},
 qr{c\.lua:9: r\.time has no field "hours" \(date, day, epoch, hour, minute, month, offset, wday, year\)},
 qr{c\.lua:14: r\.visitor has no field "sessionz"}]
--- no_error_log eval
[qr{c\.lua:5:}, qr{c\.lua:15:}]



=== TEST 6: each helper's arguments, as lua/cx/init.lua and the C functions take them
--- rule
return {
    trigger = function(r)
        local p = r.path
        if p == "/1" then return cx.sample("10%") and "s1" end
        if p == "/2" then return cx.sample(0.1, 42) and "s1" end
        if p == "/3" then return cx.pick("ab") end
        if p == "/4" then return cx.glob(p, 5) and "s1" end
        if p == "/5" then return cx.glob_any(p, "/a") end
        if p == "/6" then return cx.route(p, nil) end
        if p == "/7" then return cx.prefix(p) and "s1" end
        if p == "/8" then return cx.weekday("r") and "s1" end
        if p == "/9" then return cx.weekend() and "s1" end
        if p == "/10" then return cx.shown_within(r) and "s1" end
        if p == "/11" then return cx.answered_within(r, "a week") and "s1" end
        if p == "/12" then return cx.cooled_down(r, 30, true) and "s1" end
        if p == "/13" then return cx.integer(p, "1") and "s1" end
        if p == "/14" then return cx.nosuch(r) and "s1" end
        if p == "/15" then return cx.weekday(cx) and "s1" end
        return "s1"
    end
}
--- must_die
--- error_log eval
[qr{c\.lua:4: bad argument #1 to 'cx\.sample' \(a number expected, got string "10%"\)},
 qr{c\.lua:5: bad argument #2 to 'cx\.sample' \(a string expected, got number 42\)},
 qr{c\.lua:6: bad argument #1 to 'cx\.pick' \(a table expected, got string "ab"\)},
 qr{c\.lua:7: bad argument #2 to 'cx\.glob' \(a string expected, got number 5\)},
 qr{c\.lua:8: bad argument #2 to 'cx\.glob_any' \(a table expected, got string "/a"\)},
 qr{c\.lua:9: bad argument #2 to 'cx\.route' \(a table expected, got nil\)},
 qr{c\.lua:10: bad argument #2 to 'cx\.prefix' \(a string expected, got no value\)},
 qr{c\.lua:11: bad argument #1 to 'cx\.weekday' \(r expected, got string "r"\)},
 qr{c\.lua:12: bad argument #1 to 'cx\.weekend' \(r expected, got no value\)},
 qr{c\.lua:13: bad argument #2 to 'cx\.shown_within' \(a number expected, got no value\)},
 qr{c\.lua:14: bad argument #2 to 'cx\.answered_within' \(a number expected, got string "a week"\)},
 qr{c\.lua:15: bad argument #3 to 'cx\.cooled_down' \(a number expected, got boolean true\)},
 qr{c\.lua:16: bad argument #2 to 'cx\.integer' \(a number expected, got string "1"\)},
 qr{c\.lua:17: attempt to call cx\.nosuch: cx has no function "nosuch"},
 qr{c\.lua:18: bad argument #1 to 'cx\.weekday' \(r expected, got cx\)}]



=== TEST 7: what the helpers take works: numbers as strings where C reads a number, optional ones left out, r's tables as r
--- rule
local route, ROUTES = cx.route, { { "/", "home" } }
return {
    trigger = function(r)
        local a = cx.business_hours(r, "9", "17.5")
        local b = cx.business_hours(r)
        local c = cx.cooled_down(r, "30")
        local d = cx.sample(0.5)
        local e = cx.pick({ "a" })
        local f = cx.glob(nil, "/x")
        local g = route(r.path, ROUTES)
        local h = cx.integer("5", 1, false)
        local i = cx.number(r.resp_header["X-Value"])
        local j = cx.weekday(r.visitor)
        return "s1"
    end
}
--- request
GET /
--- response_body_like
data-cx-survey="s1"
--- no_error_log
cx rules: trigger() failed



=== TEST 8: calling what is not a function
--- rule
return {
    trigger = function(r)
        if r.header("DNT") == "1" then return nil end
        if r.cookie(name) then return nil end
        if r.path() then return nil end
        if r() then return nil end
        if missing_helper(r) then return nil end
        return "s1"
    end
}
--- must_die
--- error_log eval
[qr{c\.lua:3: attempt to call r\.header \(not a function\): read it as r\.header\["DNT"\]},
 qr{c\.lua:4: attempt to call r\.cookie \(not a function\): read it as r\.cookie\[name\]},
 qr{c\.lua:5: attempt to call r\.path \(not a function\)},
 qr{c\.lua:6: attempt to call r \(not a function\)},
 qr{c\.lua:7: attempt to call global 'missing_helper' \(a nil value: rules have no such function\)}]



=== TEST 9: a reload with such a file is refused, the running rules go on
--- rule
return { trigger = function(r) return "s1" end }
--- request
GET /
--- response_body_like
data-cx-survey="s1"
--- check
Test::CX::write_file(Test::CX::html_dir() . '/c.lua',
                     'return { trigger = function(r) return "s2" end }');
Test::CX::nginx_reload();
select(undef, undef, undef, 0.5);
like(::http_request("GET / HTTP/1.0\r\n\r\n")->{body},
     qr/data-cx-survey="s1"/, 'the old rules still decide');
--- error_log eval
qr{\[emerg\] .*c\.lua:1: trigger\(\) returns "s2", which no cx_survey defines}
--- allow_alerts



=== TEST 10: cx_rules_check off: nginx -t does not look, and the mistakes show up at run time only
--- http_config
cx_rules_check off;
--- rule
return {
    trigger = function(r)
        if r.visitor.view then return "s1" end
        return "product_NPS"
    end
}
--- request
GET /
--- response_body_like
^<html><body>hi</body></html>
--- error_log eval
qr{c\.lua:3: r\.visitor has no field "view"}



=== TEST 11: cx_rules_check takes on or off, once
--- http_config
cx_rules_check yes;
--- rule
return { trigger = function(r) return "s1" end }
--- must_die
--- error_log eval
qr{\[emerg\] .*invalid value "yes" in "cx_rules_check", it must be "on" or "off"}



=== TEST 12: every field README documents reads (what nginx -t accepts is what the module answers)
--- rule eval
my ($r, $sub) = main::documented();
die "README lists too few fields" unless @$r >= 14 && @{ $sub->{visitor} } >= 6
                                         && @{ $sub->{time} } >= 9;
my @reads = map { "r.$_" } @$r;
push @reads, map { "r.visitor.$_" } @{ $sub->{visitor} };
push @reads, map { "r.time.$_" } @{ $sub->{time} };
"local seen = 0\nreturn { trigger = function(r)\n"
. CORE::join('', map { "    if $_ ~= nil then seen = seen + 1 end\n" } @reads)
. "    return seen > 0 and true or nil\nend }\n";
--- request
GET /
--- response_body_like
data-cx-survey="s1"
--- no_error_log
cx rules: trigger() failed



=== TEST 13: no false alarm: every rule file in lua/examples/ and bench/, with the surveys it returns defined
--- config eval
my @files = (glob('lua/examples/*.lua'), 'bench/rules-minimal.lua',
             'bench/rules-shop.lua');
die "examples missing" unless @files >= 9;
my $i = 0;
"cx_survey post_purchase type=nps;\ncx_survey help_ces type=ces;\n"
. "cx_survey big_order_csat type=csat;\ncx_survey checkout_nps type=nps;\n"
. "cx_survey product_nps type=nps;\ncx_survey site_nps type=nps;\n"
. "cx_survey home_nps type=nps;\ncx_survey bench type=nps;\n"
. CORE::join('', map { $i++; "location /f$i/ { cx_rules_lua \$TEST_NGINX_ROOT/$_; }\n" }
                @files);
--- request
GET /f1/
--- error_code: 404
--- no_error_log
[emerg]
