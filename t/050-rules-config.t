# Lua trigger rules, configuration: cx_rules_lua and its companions,
# what nginx -t says about a broken rule file, inheritance, what a rule
# returns, reload.

use lib 't/lib';
use Test::CX;

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value('http_config', "cx_secret 0123456789abcdef0123;\n")
        unless defined $block->http_config;

    my $files = $block->user_files;
    my $index = "<html><body>hi</body></html>\n";

    if (ref $files) {
        $block->set_value('user_files', [ @$files, [ 'index.html', $index ] ]);
    } elsif (defined $files) {
        $block->set_value('user_files', "$files>>> index.html\n$index");
    }
});

run_tests();

__DATA__

=== TEST 1: a rule returning a survey id injects that survey
--- config
location / {
    cx_survey s1 type=nps;
    cx_survey s2 type=csat "question=Happy?" delay=4s;
    cx_rules_lua $TEST_NGINX_HTML_DIR/r1.lua;
}
--- user_files
>>> r1.lua
return {
    trigger = function(r)
        return "s2"
    end
}
--- request
GET /
--- response_body_like
<script src="/cx/widget.js" async data-cx-survey="s2" data-cx-type="csat" data-cx-question="Happy\?" data-cx-delay="4" data-cx-touchpoint="other"
--- error_log
cx rules: trigger() returned survey "s2"



=== TEST 2: nil means no survey, even where cx_survey samples 100%
--- config
location / {
    cx_survey s1 type=nps;
    cx_rules_lua $TEST_NGINX_HTML_DIR/r2.lua;
}
--- user_files
>>> r2.lua
local M = {}
function M.trigger(r) return nil end
return M
--- request
GET /
--- response_body
<html><body>hi</body></html>
--- response_headers
Content-Length: 29



=== TEST 3: true hands the decision to the location's cx_survey sampling
--- config
location / {
    cx_survey s1 type=nps sample=100%;
    cx_rules_lua $TEST_NGINX_HTML_DIR/r3.lua;
}
--- user_files
>>> r3.lua
return { trigger = function(r) return true end }
--- request
GET /
--- response_body_like
data-cx-survey="s1"
--- error_log
cx rules: trigger() returned true, sampling



=== TEST 4: a table overrides delay and question per request (escaped)
--- config
location / {
    cx_survey s1 type=nps "question=Default?" delay=3s cooldown=7d;
    cx_rules_lua $TEST_NGINX_HTML_DIR/r4.lua;
}
--- user_files
>>> r4.lua
return {
    trigger = function(r)
        return { survey = "s1", delay = 12.7, question = "Tom & Jerry's \"<shop>\"?" }
    end
}
--- request
GET /
--- response_body_like
data-cx-survey="s1" data-cx-type="nps" data-cx-question="Tom &amp; Jerry&#39;s &#34;&lt;shop&gt;&#34;\?" data-cx-delay="12" data-cx-cooldown="7"



=== TEST 5: an empty question leaves the widget's own question
--- config
location / {
    cx_survey s1 type=nps "question=Default?";
    cx_rules_lua $TEST_NGINX_HTML_DIR/r5.lua;
}
--- user_files
>>> r5.lua
return { trigger = function(r) return { survey = "s1", question = "" } end }
--- request
GET /
--- response_body_like
data-cx-survey="s1" data-cx-type="nps" data-cx-delay="0"



=== TEST 6: a survey defined in another location (or server) may be returned
--- config
location /other/ {
    cx_survey elsewhere type=ces delay=9s;
}
location / {
    cx_rules_lua $TEST_NGINX_HTML_DIR/r6.lua;
}
--- user_files
>>> r6.lua
return { trigger = function(r) return "elsewhere" end }
--- request
GET /
--- response_body_like
data-cx-survey="elsewhere" data-cx-type="ces" data-cx-delay="9"



=== TEST 7: rules are inherited, and "cx_rules_lua off" turns them off
--- config
cx_rules_lua $TEST_NGINX_HTML_DIR/r7.lua;
location / {
    cx_survey s1 type=nps;
}
location /off/ {
    cx_survey s1 type=nps sample=0%;
    cx_rules_lua off;
}
--- user_files
>>> r7.lua
return { trigger = function(r) return "s1" end }
>>> off/index.html
<html><body>off</body></html>
--- request eval
["GET /", "GET /off/"]
--- response_body_like eval
['data-cx-survey="s1"', '^<html><body>off</body></html>\n$']



=== TEST 8: rules alone (no cx_survey in the location) still inject
--- http_config
cx_secret 0123456789abcdef0123;
cx_rules_lua $TEST_NGINX_HTML_DIR/r8.lua;
--- config
location /x/ {
    cx_survey s1 type=nps sample=0%;
}
location / {
}
--- user_files
>>> r8.lua
return { trigger = function(r) return "s1" end }
--- request
GET /
--- response_body_like
data-cx-survey="s1"



=== TEST 9: the same file in two locations
--- config
location / {
    cx_survey s1 type=nps;
    cx_rules_lua $TEST_NGINX_HTML_DIR/r9.lua;
}
location /b/ {
    cx_survey s1 type=nps;
    cx_rules_lua $TEST_NGINX_HTML_DIR/r9.lua;
}
--- user_files
>>> r9.lua
return { trigger = function(r) return "s1" end }
>>> b/index.html
<html><body>b</body></html>
--- request eval
["GET /", "GET /b/"]
--- response_body_like eval
['data-cx-survey="s1"', 'data-cx-survey="s1"']



=== TEST 10: a relative path is relative to the configuration's directory
--- config
location / {
    cx_survey s1 type=nps;
    cx_rules_lua ../html/r10.lua;
}
--- user_files
>>> r10.lua
return { trigger = function(r) return "s1" end }
--- request
GET /
--- response_body_like
data-cx-survey="s1"



=== TEST 11: nginx -t fails on a syntax error, with Lua's message and file:line
--- config
location / {
    cx_survey s1 type=nps;
    cx_rules_lua $TEST_NGINX_HTML_DIR/bad1.lua;
}
--- user_files
>>> bad1.lua
local M = {}
function M.trigger(r)
    if r.path = "/" then return "s1" end
end
return M
--- must_die
--- error_log eval
qr{\[emerg\].*cx_rules_lua ".*/bad1\.lua": .*bad1\.lua:3: 'then' expected near '=' in .*nginx\.conf:\d+}



=== TEST 12: nginx -t fails when the file returns no trigger function
--- config
location / {
    cx_rules_lua $TEST_NGINX_HTML_DIR/bad2.lua;
}
--- user_files
>>> bad2.lua
return { triger = function(r) return "s1" end }
--- must_die
--- error_log eval
qr{\[emerg\].*cx_rules_lua ".*/bad2\.lua": .*/bad2\.lua: the returned table has no trigger function}



=== TEST 13: nginx -t fails when the file returns nothing
--- config
location / {
    cx_rules_lua $TEST_NGINX_HTML_DIR/bad3.lua;
}
--- user_files
>>> bad3.lua
function trigger(r) return "s1" end
--- must_die
--- error_log eval
qr{bad3\.lua:1: assignment to global 'trigger': rules cannot set globals}



=== TEST 14: nginx -t fails when touchpoint is not a function
--- config
location / {
    cx_rules_lua $TEST_NGINX_HTML_DIR/bad4.lua;
}
--- user_files
>>> bad4.lua
return { trigger = function() end, touchpoint = "home" }
--- must_die
--- error_log
touchpoint in the returned table is a string, not a function



=== TEST 15: nginx -t fails on a runtime error at the file's top level
--- config
location / {
    cx_rules_lua $TEST_NGINX_HTML_DIR/bad5.lua;
}
--- user_files
>>> bad5.lua
local t = nil
local x = t.field
return { trigger = function() end }
--- must_die
--- error_log eval
qr{bad5\.lua:2: attempt to index local 't' \(a nil value\) in .*nginx\.conf:\d+}



=== TEST 16: nginx -t fails on a top level that never ends
--- config
location / {
    cx_rules_lua $TEST_NGINX_HTML_DIR/bad6.lua;
}
--- user_files
>>> bad6.lua
while true do end
return { trigger = function() end }
--- must_die
--- error_log eval
qr{bad6\.lua:1: instruction budget of 1000000 exceeded}



=== TEST 17: nginx -t fails on a missing file
--- config
location / {
    cx_rules_lua $TEST_NGINX_HTML_DIR/nowhere.lua;
}
--- must_die
--- error_log eval
qr{\[emerg\].*open\(\) ".*/nowhere\.lua" failed .*No such file or directory.* in .*nginx\.conf:\d+}



=== TEST 18: bytecode is refused
--- config
location / {
    cx_rules_lua $TEST_NGINX_HTML_DIR/bc.lua;
}
--- user_files eval
[['bc.lua', "\x1bLJ\x02\x00garbage"]]
--- must_die
--- error_log
bc.lua: precompiled bytecode is not accepted, rules are Lua source



=== TEST 19: cx_rules_lua twice in a block
--- config
location / {
    cx_rules_lua $TEST_NGINX_HTML_DIR/a.lua;
    cx_rules_lua $TEST_NGINX_HTML_DIR/a.lua;
}
--- user_files
>>> a.lua
return { trigger = function(r) end }
--- must_die
--- error_log eval
qr{"cx_rules_lua" directive is duplicate}



=== TEST 20: cx_rules_budget bounds
--- config
location / {
    cx_rules_budget 10;
}
--- must_die
--- error_log eval
qr{invalid value "10" in "cx_rules_budget": a number of instructions from 1000 to 100000000 in .*nginx\.conf:\d+}



=== TEST 21: cx_rules_memory bounds
--- http_config
cx_rules_memory 100k;
--- must_die
--- error_log eval
qr{invalid value "100k" in "cx_rules_memory": a size of at least 1m}



=== TEST 22: cx_rules_time_zone rejects what is not a zone
--- http_config
cx_rules_time_zone ../../etc/passwd;
--- must_die
--- error_log eval
qr{"../../etc/passwd" in "cx_rules_time_zone" is not local, utc, \+HH:MM or a zone name}



=== TEST 23: cx_rules_time_zone: an unknown zone
--- http_config
cx_rules_time_zone Mars/Olympus_Mons;
--- must_die
--- error_log eval
qr{unknown time zone "Mars/Olympus_Mons": cannot open "/usr/share/zoneinfo/Mars/Olympus_Mons"}



=== TEST 24: cx_rules_time_zone: a bad offset
--- http_config
cx_rules_time_zone +25:00;
--- must_die
--- error_log
has an invalid offset: use +HH:MM or -HH:MM



=== TEST 25: the directives in all their contexts
--- http_config
cx_secret 0123456789abcdef0123;
cx_rules_memory 8m;
cx_rules_time_zone Europe/Paris;
cx_rules_budget 50000;
--- config
cx_rules_budget 20000;
location / {
    cx_survey s1 type=nps;
    cx_rules_budget 5000;
    cx_rules_lua $TEST_NGINX_HTML_DIR/r25.lua;
}
--- user_files
>>> r25.lua
return { trigger = function(r) return "s1" end }
--- request
GET /
--- response_body_like
data-cx-survey="s1"



=== TEST 26: reload picks up a changed rule file
--- config
location / {
    cx_survey s1 type=nps;
    cx_survey s2 type=nps;
    cx_rules_lua $TEST_NGINX_HTML_DIR/r26.lua;
}
--- user_files
>>> r26.lua
return { trigger = function(r) return "s1" end }
--- request
GET /
--- response_body_like
data-cx-survey="s1"
--- check
open my $f, '>', html_dir() . '/r26.lua' or die;
print $f 'return { trigger = function(r) return "s2" end }' . "\n";
close $f;
my $old = join ',', sort(worker_pids());
nginx_reload();
for (1 .. 200) {
    my $now = join ',', sort(worker_pids());
    last if $now ne $old && $now ne '';
    select undef, undef, undef, 0.05;
}
select undef, undef, undef, 0.2;
my $r = http_request("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
like($r->{body}, qr/data-cx-survey="s2"/, "the new rule after reload");



=== TEST 27: a broken file on reload leaves the running rules serving
--- config
location / {
    cx_survey s1 type=nps;
    cx_survey s2 type=nps;
    cx_rules_lua $TEST_NGINX_HTML_DIR/r27.lua;
}
--- user_files
>>> r27.lua
return { trigger = function(r) return "s1" end }
--- request
GET /
--- response_body_like
data-cx-survey="s1"
--- check
open my $f, '>', html_dir() . '/r27.lua' or die;
print $f 'return { trigger = function(r) return "s2" end' . "\n";
close $f;
my $old = join ',', sort(worker_pids());
nginx_reload();
select undef, undef, undef, 1;
is(join(',', sort(worker_pids())), $old, "the same workers");
my $r = http_request("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
like($r->{body}, qr/data-cx-survey="s1"/, "the old rule still decides");
--- allow_alerts
--- error_log eval
qr/\[emerg\].*r27\.lua:\d+: '\}' expected/
