# The tokenizer follows the WHATWG tokenizer in the corners where the
# first one did not, and its fast scanner (64-byte blocks, bit masks)
# gives the same answer however the page is cut: attribute values longer
# than a block, tags across blocks and buffers, raw text with '<' in it.
# fuzz/html has the differential test and the fuzzer behind these.

use lib 't/lib';
use Test::CX;

our $TAG = '<script src="/cx/widget.js"[^>]*></script>';

# a page that crosses many 64-byte blocks and the scanner's 512-byte
# chunks: long quoted values with '>' and "</body>" in them, "=" with
# spaces around, unquoted values with quotes in them, raw text with '<'.
# (Not one byte at a time: the test upstream waits 1.5 ms per piece; t/012
# does that with a short page, fuzz/html with thousands.)

our $LONG = 'x' x 90;

our $PAGE = join '',
    qq{<!DOCTYPE html><html><head><title>a </body> title</title>\n},
    qq{<style>p::after { content: "</body>" } a > b { x: y }</style>\n},
    qq{<meta name="description" content="$LONG > </body> $LONG">\n},
    qq{</head><body class="page" data-x='it"s </body>'>\n},
    (map {
        qq{<section id="s$_"><h2 title="a $LONG>b">Part $_</h2>\n}
        . qq{<p>Text < and > and = here, <a href = "/x?a=b&c=d" b=c"d }
        . qq{e='</body>' f=g>link</a> and <img alt="$LONG </body> >" src=x>\n}
        . qq{<script>if (a < b && c > d) s = "</body>" + '</scripts>';}
        . qq{ </SCRIPT ></p></section>\n}
    } 1 .. 12),
    qq{<textarea name="t"><b>a</b> </body></textarea >\n},
    qq{</body></html>\n};

(our $EXPECTED = quotemeta $PAGE) =~ s/(?=\\<\\\/body\\>\\<\\\/html\\>)/$TAG/;
$EXPECTED = "^$EXPECTED\\z";

# "--- page" is the document served; "--- expected" is the same document
# with @TAG@ where the survey tag must be.

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value('http_config', "cx_secret 0123456789abcdef0123;\n")
        unless defined $block->http_config;
    $block->set_value('config', "location / {\n    cx_survey s1 type=nps;\n}\n")
        unless defined $block->config;
    $block->set_value('request', "GET /\n") unless defined $block->request;

    if (defined $block->page) {
        $block->set_value('user_files', [[ 'index.html', $block->page ]]);
        my $exp = $block->expected;
        $exp =~ s/\@TAG\@\n\z/\@TAG\@/;
        my $want = quotemeta($exp);
        $want =~ s/\\\@TAG\\\@/$TAG/;
        $block->set_value('response_body_like', "^$want\\z");
    }
});

run_tests();

__DATA__

=== TEST 1: "=" where an attribute name starts is part of the name: no value opens
--- page
<body><a ="x></body>">z</body>
--- expected
<body><a ="x>@TAG@</body>">z</body>



=== TEST 2: "=" right after a quoted value starts a name too
--- page
<body><a b="c"="></body>">z</body>
--- expected
<body><a b="c"=">@TAG@</body>">z</body>



=== TEST 3: "=" after an unquoted value and a space, or after "/", starts a name
--- page
<body><a b=c ='></body>'><i/="></body>">z</body>
--- expected
<body><a b=c ='>@TAG@</body>'><i/="></body>">z</body>



=== TEST 4: a name that is "=" then "=" does open a value
--- page
<body><a ==">"></body>z</body>
--- expected
<body><a ==">">@TAG@</body>z</body>



=== TEST 5: spaces and newlines around "=" before a quoted value
--- page
<body><a href = "</body>" title
=
'>'>x</body>
--- expected
<body><a href = "</body>" title
=
'>'>x@TAG@</body>



=== TEST 6: a quote inside an unquoted value opens nothing
--- page
<body><a b=x"y c="</body>">z</body>
--- expected
<body><a b=x"y c="</body>">z@TAG@</body>



=== TEST 7: "=" in a tag name belongs to the name
--- page
<body><a="</body>">x</body>
--- expected
<body><a="</body>">x@TAG@</body>



=== TEST 8: "-->" after hundreds of dashes still leaves escaped script data
--- page eval
"<body><script><!--" . ("-" x 254) . "><script></script></body>z</script></body>"
--- expected eval
"<body><script><!--" . ("-" x 254) . "><script></script>\@TAG\@</body>z</script></body>"



=== TEST 9: the end tag of a raw element may have attributes, with '>' in a value
--- page
<body><script>x</script a=">"></body>y</body>
--- expected
<body><script>x</script a=">">@TAG@</body>y</body>



=== TEST 10: a long page served whole
--- user_files eval
[[ 'page.html', $::PAGE ]]
--- request
GET /page.html
--- response_body_like eval: $::EXPECTED



=== TEST 11: the long page from an upstream sending 5, 13, 64, 100, 511 and 4096 bytes at a time
--- user_files eval
[[ 'page.html', $::PAGE ]]
--- config
location /split/ {
    cx_survey s1 type=nps;
    proxy_pass http://127.0.0.1:$TEST_NGINX_UPSTREAM_PORT;
    proxy_buffering off;
}
--- request eval
[ map { "GET /split/$_/page.html" } 5, 13, 64, 100, 511, 4096 ]
--- response_body_like eval
[ ($::EXPECTED) x 6 ]



=== TEST 12: the long page through small proxy buffers
--- user_files eval
[[ 'page.html', $::PAGE ]]
--- config
location /split/ {
    cx_survey s1 type=nps;
    proxy_pass http://127.0.0.1:$TEST_NGINX_UPSTREAM_PORT;
    proxy_buffering on;
    proxy_buffer_size 1k;
    proxy_buffers 4 1k;
    proxy_busy_buffers_size 1k;
}
--- request eval
[ map { "GET /split/$_/page.html" } 13, 50, 200 ]
--- response_body_like eval
[ ($::EXPECTED) x 3 ]
