# Lua trigger rules: nothing of one request reaches the next.  Every block
# is one way a value could cross: visitor A (a secret header and cookie)
# asks for a page, then visitor B (without them) asks for the same page
# twice.  B's responses (the tag, $cx_touchpoint) and what is counted in
# Redis must never show A's secret.
#
# Sections: "rule" is the rule file; "path" the page (default /);
# "a_args" query strings, one request of A's each (default: one
# request); "a_like" what A's own response shows (so the rule did read
# the secret); "b_like" what B's responses show instead.  "config" adds
# locations, RULE_FILE in it being the block's rule file.

use lib 't/lib';
use Test::CX;

our $SECRET = 'alicesessiontoken123';
our $DAY = today();
our $PAGE = "<html><body>hi</body></html>\n";

add_block_preprocessor(sub {
    my $block = shift;

    my $rule = $block->rule;
    return unless defined $rule;

    my $n = $block->seq_num;
    my $http = $block->http_config // '';
    my $more = $block->config // '';

    $more =~ s{RULE_FILE}{\$TEST_NGINX_HTML_DIR/r$n.lua}g;

    $block->set_value('http_config', <<"EOF" . $http);
cx_secret 0123456789abcdef0123;
cx_redis 127.0.0.1:\$TEST_NGINX_REDIS_PORT;
cx_flush_interval 100ms;
EOF

    $block->set_value('config', <<"EOF" . $more);
location / {
    cx_touchpoint fallback;
    cx_survey s1 type=nps;
    cx_survey $SECRET type=csat;
    cx_rules_lua \$TEST_NGINX_HTML_DIR/r$n.lua;
    add_header X-TP \$cx_touchpoint;
}
location = /cx/metrics {
    cx_metrics;
}
EOF

    $block->set_value('user_files', [ [ "r$n.lua", $rule ],
                                      [ 'index.html', $PAGE ],
                                      [ 'a.txt', "text\n" ] ]);
    $block->set_value('redis', '');

    $block->set_value('check', '::ab($block);' . ($block->check // ''))
        unless defined $block->must_die;
});

sub get {
    my ($path, $headers) = @_;
    return http_request("GET $path HTTP/1.1\r\nHost: localhost\r\n"
                        . ($headers // '') . "Connection: close\r\n\r\n");
}

# a response as one text: status line, headers, body
sub text {
    my ($r) = @_;
    return ($r->{header_text} // '') . "\r\n\r\n" . ($r->{body} // '');
}

sub views {
    my %h = redis()->hgetall("cx:localhost:tp:$DAY");
    my $n = 0;
    $n += $h{$_} for grep { /:view$/ } keys %h;
    return $n;
}

sub section {
    my ($block, $name) = @_;
    my $v = $block->$name;
    return undef unless defined $v;
    return $v =~ s/^\s+|\s+$//gr;
}

# A (once per a_args) then B twice on the block's path, and the checks
# every block makes
sub ab {
    my ($block) = @_;

    my $name = $block->name;
    my $path = section($block, 'path') // '/';
    my @args = split ' ', section($block, 'a_args') // '';
    @args = ('') unless @args;

    my @a = map { get($path . (length $_ ? "?$_" : ''),
                      "X-Secret: $::SECRET\r\nCookie: sid=$::SECRET\r\n") }
            @args;
    my @b = map { get($path) } 1 .. 2;

    my $a_like = section($block, 'a_like');

    for my $i (0 .. $#a) {
        is($a[$i]->{status}, 200, "$name - A served ($i)");
        like(text($a[$i]), qr/$a_like/, "$name - A sees its own secret ($i)")
            if defined $a_like;
    }

    my $b_like = section($block, 'b_like');

    for my $i (0, 1) {
        is($b[$i]->{status}, 200, "$name - B served ($i)");
        unlike(text($b[$i]), qr/$::SECRET/,
               "$name - B sees nothing of A ($i)");
        like(text($b[$i]), qr/$b_like/, "$name - B's own answer ($i)")
            if defined $b_like;
    }

    my $views = @a + 2;

    ok(wait_for(sub { views() == $views }),
       "$name - the $views page views counted")
        or diag(join ' ', redis()->hgetall("cx:localhost:tp:$::DAY"));

    # A's own page views may be counted under A's secret, nothing more
    my %h = redis()->hgetall("cx:localhost:tp:$::DAY");
    my @leak = grep { /$::SECRET/ && $h{$_} > @a } sort keys %h;
    is("@leak", '', "$name - nothing of B's counted under A's secret");

    my @keys = grep { /$::SECRET/ } redis()->keys('cx:*');
    is("@keys", '', "$name - no Redis key of A's");

    return (@a, @b);
}

run_tests();

__DATA__

=== TEST 1: the reproduction: trigger keeps a header in a file-level local, touchpoint (nested) uses it
--- rule
local secret
local M = {}
function M.trigger(r)
    secret = r.header.x_secret
    return "s1"
end
function M.touchpoint(r)
    if secret then
        return "tp-" .. secret
    end
    return "tp-none"
end
return M
--- b_like
data-cx-touchpoint="tp-none"



=== TEST 2: a touchpoint(r) nested in trigger(r) starts from the loaded values; trigger keeps its own around it
--- rule
local secret
local M = {}
function M.touchpoint(r)
    return secret and ("tp-" .. secret) or "tp-none"
end
function M.trigger(r)
    secret = r.header.x_secret
    local tp = r.touchpoint
    return { survey = "s1", question = tostring(secret) .. " " .. tp }
end
return M
--- a_like
data-cx-question="alicesessiontoken123 tp-none"
--- b_like
data-cx-question="nil tp-none"



=== TEST 3: a file-level local assigned in touchpoint(r), read by trigger(r) and by the next call
--- rule
local last
local M = {}
function M.touchpoint(r)
    local prev = last
    last = r.cookie.sid
    return prev and ("tp-" .. prev) or "tp-none"
end
function M.trigger(r)
    local tp = r.touchpoint
    return { survey = "s1", question = "last=" .. tostring(last) .. " tp=" .. tp }
end
return M
--- b_like
data-cx-question="last=nil tp=tp-none"



=== TEST 4: a file-level local assigned in a helper
--- rule
local secret
local function keep(v) secret = v end
local function name() return secret and ("tp-" .. secret) or "tp-none" end
local M = {}
function M.trigger(r)
    keep(r.cookie.sid)
    return { survey = "s1", question = name() }
end
function M.touchpoint(r)
    return name()
end
return M
--- a_like
data-cx-question="tp-alicesessiontoken123"
--- b_like
(?s)(?=.*data-cx-question="tp-none")(?=.*data-cx-touchpoint="tp-none")



=== TEST 5: touchpoint(r) called alone (no trigger for a text page) keeps a cookie for the next call
--- rule
local last
local M = {}
function M.trigger(r) return "s1" end
function M.touchpoint(r)
    local prev = last
    last = r.cookie.sid
    return prev and ("tp-" .. prev) or "tp-none"
end
return M
--- path: /a.txt
--- b_like
X-TP: tp-none



=== TEST 6: the memo: a touchpoint(r) that reads nothing after a call that kept a cookie
--- rule
local seen
local M = {}
function M.trigger(r) return "s1" end
function M.touchpoint(r)
    if seen then
        return "tp-" .. seen        -- reads nothing of r: would be remembered
    end
    seen = r.cookie.sid
    return "tp-none"
end
return M
--- path: /a.txt
--- b_like
X-TP: tp-none
--- check
is(metric('cx_rules_touchpoints_remembered_total'), 0, 'nothing remembered');



=== TEST 7: the upvalue of a closure made at load
--- rule
local function box()
    local v
    return function(x) if x ~= nil then v = x end return v end
end
local held = box()
local M = {}
function M.trigger(r)
    held(r.header.x_secret)
    return { survey = "s1", question = tostring(held()) }
end
function M.touchpoint(r)
    local v = held()
    return v and ("tp-" .. v) or "tp-none"
end
return M
--- a_like
data-cx-question="alicesessiontoken123"
--- b_like
(?s)(?=.*data-cx-question="nil")(?=.*data-cx-touchpoint="tp-none")



=== TEST 8: a closure made in a call, kept in a file-level local
--- rule
local getter
local M = {}
function M.trigger(r)
    local s = r.header.x_secret
    if s then
        getter = function() return s end
    end
    return { survey = "s1", question = getter and getter() or "none" }
end
function M.touchpoint(r)
    return getter and ("tp-" .. getter()) or "tp-none"
end
return M
--- a_like
data-cx-question="alicesessiontoken123"
--- b_like
(?s)(?=.*data-cx-question="none")(?=.*data-cx-touchpoint="tp-none")



=== TEST 9: closures kept in a table made at load: their upvalues go back, the table cannot be changed
--- rule
local BOX = {
    keep = (function()
        local v
        return function(x) if x ~= nil then v = x end return v end
    end)(),
}
function BOX.get() return BOX.keep() end
local M = {}
function M.trigger(r)
    local s = r.header.x_secret
    if s and r.args.w == "replace" then
        BOX.get = function() return s end
    end
    BOX.keep(s)
    return { survey = "s1", question = tostring(BOX.get()) }
end
function M.touchpoint(r)
    local v = BOX.get()
    return v and ("tp-" .. v) or "tp-none"
end
return M
--- a_args: w=keep w=replace
--- b_like
(?s)(?=.*data-cx-question="nil")(?=.*data-cx-touchpoint="tp-none")
--- error_log eval
qr{r9\.lua:12: attempt to modify a read-only table}



=== TEST 10: values stored into tables made at load: every way fails
--- rule
local SEEN = { list = {}, by = { path = {} } }
local M = {}
function M.trigger(r)
    local s, w = r.header.x_secret, r.args.w
    if s then
        if w == "field" then SEEN.last = s end
        if w == "nested" then SEEN.by.path[r.path] = s end
        if w == "insert" then table.insert(SEEN.list, s) end
        if w == "append" then SEEN.list[#SEEN.list + 1] = s end
        if w == "concat" then SEEN.list[1] = table.concat({ s }) end
    end
    return { survey = "s1", question = table.concat({ tostring(SEEN.last),
        tostring(SEEN.by.path["/"]), tostring(SEEN.list[1]), #SEEN.list }, " ") }
end
return M
--- a_args: w=field w=nested w=insert w=append w=concat
--- b_like
data-cx-question="nil nil nil 0"
--- error_log eval
[qr{r10\.lua:6: attempt to modify a read-only table},
 qr{r10\.lua:7: attempt to modify a read-only table},
 qr{r10\.lua:8: bad argument #1 to 'insert' \(table expected, got userdata\)},
 qr{r10\.lua:9: attempt to modify a read-only table},
 qr{r10\.lua:10: attempt to modify a read-only table}]



=== TEST 11: setmetatable and getmetatable on shared objects: r, its views, frozen tables, the library, strings
--- rule
local SHARED = { x = 1 }
local M = {}
function M.trigger(r)
    local s, w = r.header.x_secret, r.args.w
    if s then
        local mt = { __index = function() return s end,
                     __newindex = function() end }
        if w == "shared" then setmetatable(SHARED, mt) end
        if w == "r" then setmetatable(r, mt) end
        if w == "header" then setmetatable(r.header, mt) end
        if w == "time" then setmetatable(r.time, mt) end
        if w == "cx" then setmetatable(cx, mt) end
        if w == "G" then setmetatable(_G, mt) end
        if w == "string" then setmetatable("", mt) end
        if w == "upper" then string.upper = mt.__index end
        if w == "smt" then getmetatable("").__index = mt end
    end
    return { survey = "s1", question = table.concat({ tostring(SHARED.y),
        tostring(r.header.x_nothing), tostring(cx.nothing),
        tostring(_G.nothing), tostring(("").nothing), ("b"):upper(),
        tostring(getmetatable(r)), tostring(getmetatable(r.header)),
        tostring(getmetatable(SHARED)), tostring(getmetatable("")) }, " ") }
end
return M
--- a_args: w=shared w=r w=header w=time w=cx w=G w=string w=upper w=smt
--- b_like
data-cx-question="nil nil nil nil nil B false false false string"
--- error_log eval
[qr{r11\.lua:8: bad argument #1 to 'setmetatable' \(table expected, got userdata\)},
 qr{r11\.lua:9: cannot change a protected metatable},
 qr{r11\.lua:10: cannot change a protected metatable},
 qr{r11\.lua:11: cannot change a protected metatable},
 qr{r11\.lua:12: bad argument #1 to 'setmetatable' \(table expected, got userdata\)},
 qr{r11\.lua:13: bad argument #1 to 'setmetatable' \(table expected, got userdata\)},
 qr{r11\.lua:14: bad argument #1 to 'setmetatable' \(table expected, got string\)},
 qr{r11\.lua:15: attempt to modify a read-only table},
 qr{r11\.lua:16: attempt to index a string value}]



=== TEST 12: the cx library keeps nothing: its functions cannot be replaced, a route table is read per call
--- rule
local M = {}
function M.trigger(r)
    local s = r.header.x_secret
    if s and r.args.w == "replace" then
        cx.route = function() return "tp-" .. s end
    end
    local routes = s and { { "/**", "tp-" .. s } } or { { "/**", "tp-none" } }
    local tp = cx.route(r.path, routes)
    local any = cx.glob_any(r.path, s and { "/" .. s } or { "/" })
    return { survey = "s1", question = tp .. " " .. tostring(any) }
end
function M.touchpoint(r)
    local s = r.header.x_secret
    return (cx.route(r.path, { { "/**", s and ("tp-" .. s) or "tp-none" } }))
end
return M
--- a_args: w=route w=replace
--- a_like
X-TP: tp-alicesessiontoken123
--- b_like
(?s)(?=.*data-cx-question="tp-none /")(?=.*data-cx-touchpoint="tp-none")
--- error_log eval
qr{r12\.lua:5: attempt to modify a read-only table}



=== TEST 13: no coroutines; an iterator made in a call and kept in a file-level local goes with the call
--- rule
local it
local M = {}
function M.trigger(r)
    local s = r.header.x_secret
    if s then
        it = s:gmatch("%a")
    end
    local first = it and it() or "none"
    return { survey = "s1", question = tostring(coroutine) .. " " .. first }
end
function M.touchpoint(r)
    return it and ("tp-" .. it()) or "tp-none"
end
return M
--- a_like
data-cx-question="nil a"
--- b_like
(?s)(?=.*data-cx-question="nil none")(?=.*data-cx-touchpoint="tp-none")



=== TEST 14: an iterator made at load would keep its state between calls: the file does not load
--- rule
local it = string.rep("x", 64):gmatch("()x")
return {
    trigger = function(r)
        local s = r.header.x_secret
        if s then
            for i = 1, #s do it() end
        end
        return { survey = "s1", question = tostring(it()) }
    end
}
--- must_die
--- error_log eval
qr{cx_rules_lua "\S+/r14\.lua": (?:\S+/r14\.lua: )?the file keeps a function that a library function made as it loaded \(a string\.gmatch iterator\?\)}



=== TEST 15: the fast r: r.touchpoint known before the call is the request's own
--- http_config
map $http_x_secret $up_touchpoint {
    ""       "";
    default  tp-$http_x_secret;
}
--- config
location = /up {
    default_type text/html;
    add_header X-CX-Touchpoint $up_touchpoint;
    return 200 "<html><body>up</body></html>\n";
}
location = /page {
    cx_touchpoint fallback;
    cx_survey s1 type=nps;
    cx_rules_lua RULE_FILE;
    add_header X-TP $cx_touchpoint;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/up;
}
--- rule
local M = {}
function M.touchpoint(r)
    return "tp-page"
end
function M.trigger(r)
    return { survey = "s1", question = tostring(r.touchpoint) }
end
return M
--- path: /page
--- a_like
data-cx-question="tp-alicesessiontoken123"
--- b_like
(?s)(?=.*data-cx-question="tp-page")(?=.*data-cx-touchpoint="tp-page")
--- error_log eval
qr{cx rules: "\S+/r15\.lua": writes only its own tables, fast r}



=== TEST 16: the plan: trigger(r) run in C reads the file-level locals as loaded
--- rule
local secret
local M = {}
function M.touchpoint(r)
    secret = r.header.x_secret
    return secret and ("tp-" .. secret) or "tp-none"
end
function M.trigger(r)
    return secret or "s1"
end
return M
--- a_like
(?s)(?=.*data-cx-survey="s1")(?=.*data-cx-touchpoint="tp-alicesessiontoken123")
--- b_like
(?s)(?=.*data-cx-survey="s1")(?=.*data-cx-touchpoint="tp-none")
--- error_log eval
[qr{cx rules: "\S+/r16\.lua": .*, trigger\(r\) planned},
 qr{trigger\(\) ran by its plan, without the VM}]



=== TEST 17: library functions and stateless iterators kept at load are fine
--- rule
local LIST = { "a", "b" }
local upper, rnd, number, nxt = string.upper, math.random, cx.number, next
local iter = pairs(LIST)
local M = {}
function M.trigger(r)
    local s = r.header.x_secret
    local k = iter({ "x" })
    return { survey = "s1", question = upper(s or "b") .. " " .. tostring(k)
             .. " " .. number("12") .. " " .. tostring(rnd() < 1) }
end
return M
--- a_like
data-cx-question="ALICESESSIONTOKEN123 1 12 true"
--- b_like
data-cx-question="B 1 12 true"
