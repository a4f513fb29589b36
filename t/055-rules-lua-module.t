# Lua trigger rules next to Debian's lua-nginx-module (libnginx-mod-http-
# lua, with ndk): both in one nginx, each with its own LuaJIT VM, neither
# disturbing the other -- in separate locations and in the same one.

use lib 't/lib';
use Test::CX;

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value('main_config', <<'EOF');
load_module $TEST_NGINX_MODULE_DIR/ndk_http_module.so;
load_module $TEST_NGINX_MODULE_DIR/ngx_http_lua_module.so;
EOF

    $block->set_value('http_config', "cx_secret 0123456789abcdef0123;\n"
                      . ($block->http_config // ''));

    $block->set_value('user_files', <<'EOF' . ($block->user_files // ''));
>>> index.html
<html><body>hi</body></html>
>>> rules.lua
return {
    trigger = function(r)
        -- nothing of lua-nginx-module is visible here
        return { survey = "s1", question = tostring(ngx) .. " " ..
                 tostring(r.resp_header["X-Lua"]) }
    end
}
EOF
});

run_tests();

__DATA__

=== TEST 1: content_by_lua and cx rules in separate locations
--- config
location /lua {
    default_type text/plain;
    content_by_lua_block {
        ngx.say("lua ", jit.version, " jit ", tostring(jit.status()))
    }
}
location / {
    cx_survey s1 type=nps;
    cx_rules_lua $TEST_NGINX_HTML_DIR/rules.lua;
}
--- request eval
["GET /lua", "GET /"]
--- response_body_like eval
['^lua LuaJIT 2\.1\.\S+ jit true$', 'data-cx-survey="s1" data-cx-type="nps" data-cx-question="nil nil"']



=== TEST 2: HTML made by content_by_lua gets the survey our rules choose
--- config
location / {
    default_type text/html;
    cx_survey s1 type=nps;
    cx_rules_lua $TEST_NGINX_HTML_DIR/rules.lua;
    content_by_lua_block {
        ngx.header["X-Lua"] = "content"
        ngx.print("<html><body>")
        ngx.flush(true)
        ngx.print("made by lua</body></html>")
    }
}
--- request
GET /page
--- response_body_like
^<html><body>made by lua<script src="/cx/widget.js" async data-cx-survey="s1" data-cx-type="nps" data-cx-question="nil content"



=== TEST 3: header_filter_by_lua and body_filter_by_lua in the same location
--- config
location / {
    cx_survey s1 type=nps;
    cx_rules_lua $TEST_NGINX_HTML_DIR/rules.lua;
    header_filter_by_lua_block {
        ngx.header["X-Filtered"] = "yes"
    }
    body_filter_by_lua_block {
        ngx.arg[1] = ngx.arg[1]:gsub("hi", "HI")
    }
}
--- request
GET /
--- response_headers
X-Filtered: yes
--- response_body_like
^<html><body>HI<script src="/cx/widget.js" async data-cx-survey="s1"



=== TEST 4: a failing rule next to a failing Lua handler: each fails alone
--- config
location /lua {
    content_by_lua_block {
        error("lua handler fails")
    }
}
location / {
    cx_survey s1 type=nps;
    cx_rules_lua $TEST_NGINX_HTML_DIR/loop.lua;
}
location /ok {
    default_type text/plain;
    content_by_lua_block { ngx.say("still fine") }
}
--- user_files
>>> loop.lua
return { trigger = function(r) while true do end end }
--- request eval
["GET /lua", "GET /", "GET /ok"]
--- error_code eval
[500, 200, 200]
--- response_body_like eval
['500 Internal Server Error', '^<html><body>hi</body></html>\n$', '^still fine$']
--- error_log eval
[qr{lua handler fails}, qr{loop\.lua:1: instruction budget of 100000 exceeded}]



=== TEST 5: both reload together
--- config
location /lua {
    default_type text/plain;
    content_by_lua_block { ngx.say("lua ok") }
}
location / {
    cx_survey s1 type=nps;
    cx_rules_lua $TEST_NGINX_HTML_DIR/rules.lua;
}
--- request
GET /
--- response_body_like
data-cx-survey="s1"
--- check
my $old = join ',', sort(worker_pids());
nginx_reload();
for (1 .. 200) {
    my $now = join ',', sort(worker_pids());
    last if $now ne $old && $now ne '';
    select undef, undef, undef, 0.05;
}
select undef, undef, undef, 0.2;
my $r = http_request("GET /lua HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
is($r->{body}, "lua ok\n", "lua-nginx-module after reload");
$r = http_request("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
like($r->{body}, qr/data-cx-survey="s1"/, "cx rules after reload");
