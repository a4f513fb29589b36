# Lua patterns in rules: string.find, match, gmatch and gsub give what
# LuaJIT's string library gives (expected values below come from stock
# LuaJIT 2.1), end within a bound on their steps that the budget
# enforces, and cannot take the worker down by calling back into Lua.
#
# A block's "rule" is the rule file; "fails" names the metric's reason
# (error, result, budget, memory) and the error_log line is expected.
# A rule that returns { survey = "s1", question = q } shows q in the tag.

use lib 't/lib';
use Test::CX;
use Time::HiRes ();

our $PAGE = "<html><body>hi</body></html>\n";

# the CPU time (user + system) the workers have used, in milliseconds
sub worker_cpu_ms {
    my $ticks = 0;
    for my $pid (worker_pids()) {
        open my $fh, '<', "/proc/$pid/stat" or next;
        my $stat = <$fh>;
        close $fh;
        $stat =~ s/^.*\) //;
        my @f = split / /, $stat;
        $ticks += $f[11] + $f[12];
    }
    return $ticks * 1000 / 100;
}

add_block_preprocessor(sub {
    my $block = shift;

    my $rule = $block->rule;
    return unless defined $rule;

    my $n = $block->seq_num;
    my $http = $block->http_config // '';
    my $loc = $block->location_config // '';

    $block->set_value('http_config', "cx_secret 0123456789abcdef0123;\n$http");

    $block->set_value('config', <<"EOF");
location / {
    cx_survey s1 type=nps;
    cx_rules_lua \$TEST_NGINX_HTML_DIR/r$n.lua;
    $loc
}
location = /cx/metrics {
    cx_metrics;
}
EOF

    $block->set_value('user_files', [ [ "r$n.lua", $rule ],
                                      [ 'index.html', $PAGE ] ]);

    $block->set_value('request', "GET /") unless defined $block->request;

    $block->set_value('response_body', $PAGE)
        unless defined $block->response_body
               || defined $block->response_body_like
               || defined $block->must_die;

    my $fails = $block->fails;

    if (defined $fails) {
        $fails =~ s/\s+//g;
        my ($reason, $count) = split /=/, $fails;
        $count //= 1;
        my $check = $block->check // '';
        $block->set_value('check', $check . <<"EOF");
my \$m = metrics();
like(\$m, qr/^cx_rules_failures_total\\{reason="$reason"\\} $count\$/m,
     "metric: $count failure(s) for $reason");
EOF
    }
});

run_tests();

__DATA__

=== TEST 1: gsub calling itself from its replacement function: an error, no crash
--- rule
local M = {}
function M.trigger(r)
  local function f() string.gsub("a", "a", f) return "b" end
  string.gsub("a", "a", f)
end
return M
--- request eval
["GET /", "GET /"]
--- response_body eval
[$::PAGE, $::PAGE]
--- fails: error=2
--- error_log eval
qr{no survey: \S+/r1\.lua:3: C functions nested more than 16 deep}



=== TEST 2: the same at a file's top level: nginx -t fails with a message
--- rule
local function f() string.gsub("a", "a", f) return "b" end
string.gsub("a", "a", f)
return { trigger = function(r) return "s1" end }
--- must_die
--- error_log eval
qr{\[emerg\].*cx_rules_lua ".*/r2\.lua": .*r2\.lua:1: C functions nested more than 16 deep}



=== TEST 3: a replacement table whose __index calls gsub with it again
--- rule
local M = {}
function M.trigger(r)
  local t = {}
  setmetatable(t, { __index = function(_, k) return (("x"):gsub("x", t)) end })
  return { survey = "s1", question = (("ab"):gsub("a", t)) }
end
return M
--- fails: error
--- error_log eval
qr{no survey: \S+/r3\.lua:4: C functions nested more than 16 deep}



=== TEST 4: a replacement table's __index and a replacement function work
--- rule
local up = setmetatable({}, { __index = function(_, k) return k:upper() end })
return {
  trigger = function(r)
    local a = ("one two"):gsub("%a+", up)
    local b = ("one two"):gsub("(%a)(%a*)", function(x, y) return y .. x end)
    local c = ("k=v"):gsub("(%w+)=(%w+)", function(k, v)
                             return (v:gsub(".", function(ch) return ch .. ch end)) end)
    return { survey = "s1", question = table.concat({ a, b, c }, "|") }
  end
}
--- response_body_like
data-cx-question="ONE TWO\|neo wot\|vv"



=== TEST 5: gmatch in a loop, and nested in gsub's function
--- rule
return {
  trigger = function(r)
    local n, words = 0, {}
    for i = 1, 50 do
      for w in ("a bb ccc"):gmatch("%a+") do n = n + #w end
    end
    local s = ("x=1,2;y=3"):gsub("(%w)=([%d,]+)", function(k, v)
      local sum = 0
      for d in v:gmatch("%d") do sum = sum + d end
      return k .. sum
    end)
    for k, v in ("a=1, b=2"):gmatch("(%w+)=(%w+)") do words[#words + 1] = k .. v end
    return { survey = "s1", question = n .. " " .. s .. " " .. table.concat(words, ",") }
  end
}
--- response_body_like
data-cx-question="300 x3;y3 a1,b2"
