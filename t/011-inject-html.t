# The real </body>: the tokenizer skips look-alikes inside comments,
# CDATA, attribute values and the text of raw elements (script, style,
# textarea, title, ...), as a browser does.

use lib 't/lib';
use Test::CX;

our $TAG = '<script src="/cx/widget.js"[^>]*></script>';

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

=== TEST 1: </body> inside a script string
--- page
<body><script>var s = "</body>";</script><p>x</p></body>
--- expected
<body><script>var s = "</body>";</script><p>x</p>@TAG@</body>



=== TEST 2: </body> inside a comment
--- page
<body><!-- old footer </body> --><p>x</p></body>
--- expected
<body><!-- old footer </body> --><p>x</p>@TAG@</body>



=== TEST 3: a comment with dashes inside does not end early
--- page
<body><!-- a -- b --- </body> -- --!> real</body>
--- expected
<body><!-- a -- b --- </body> -- --!> real@TAG@</body>



=== TEST 4: the abrupt empty comments <!--> and <!--->
--- page
<body><!--><!---></body>
--- expected
<body><!--><!--->@TAG@</body>



=== TEST 5: </body> inside <style>
--- page
<head><style>p::after { content: "</body>" }</style></head><body>x</body>
--- expected
<head><style>p::after { content: "</body>" }</style></head><body>x@TAG@</body>



=== TEST 6: </body> inside <textarea>
--- page
<body><textarea name="t"><html></body></html></textarea></body>
--- expected
<body><textarea name="t"><html></body></html></textarea>@TAG@</body>



=== TEST 7: </body> inside <title>
--- page
<html><head><title>How to end </body> right</title></head><body>x</body>
--- expected
<html><head><title>How to end </body> right</title></head><body>x@TAG@</body>



=== TEST 8: </body> inside CDATA
--- page
<body><svg><![CDATA[ </body> ]] ]]></svg>x</body>
--- expected
<body><svg><![CDATA[ </body> ]] ]]></svg>x@TAG@</body>



=== TEST 9: </body> inside quoted attribute values
--- page
<body><a title="</body>" data-x='</body>' href=x>y</a></body>
--- expected
<body><a title="</body>" data-x='</body>' href=x>y</a>@TAG@</body>



=== TEST 10: a > inside a quoted attribute does not end the tag
--- page
<body><img alt="a > b <script>" src=x></body>
--- expected
<body><img alt="a > b <script>" src=x>@TAG@</body>



=== TEST 11: upper-case SCRIPT and its end tag with spaces
--- page
<body><SCRIPT type="text/javascript">if (a</b) x = "</body>";</SCRIPT >z</body>
--- expected
<body><SCRIPT type="text/javascript">if (a</b) x = "</body>";</SCRIPT >z@TAG@</body>



=== TEST 12: </scripts> does not end a script
--- page
<body><script>a = "</scripts></body>";</script>z</body>
--- expected
<body><script>a = "</scripts></body>";</script>z@TAG@</body>



=== TEST 13: a template script with markup inside
--- page
<body><script type="text/template"><div></div></body></script>z</body>
--- expected
<body><script type="text/template"><div></div></body></script>z@TAG@</body>



=== TEST 14: double-escaped script data keeps </script> inside <!-- -->
--- page
<body><script><!-- document.write("<script>x()</script></body>"); --></script>z</body>
--- expected
<body><script><!-- document.write("<script>x()</script></body>"); --></script>z@TAG@</body>



=== TEST 15: an escaped script still ends at </script>
--- page
<body><script><!-- a = 1; </script>z</body>
--- expected
<body><script><!-- a = 1; </script>z@TAG@</body>



=== TEST 16: </body> inside noscript, xmp, iframe, noembed, noframes
--- page
<body><noscript></body></noscript><xmp></body></xmp><iframe></body></iframe><noembed></body></noembed><noframes></body></noframes>z</body>
--- expected
<body><noscript></body></noscript><xmp></body></xmp><iframe></body></iframe><noembed></body></noembed><noframes></body></noframes>z@TAG@</body>



=== TEST 17: after <plaintext> nothing is markup: the tag goes at the end
--- page
<body><plaintext></body>
--- expected
<body><plaintext></body>
@TAG@



=== TEST 18: a self-closed <script/> is still a raw text element
--- page
<body><script src=a.js /></body></script>z</body>
--- expected
<body><script src=a.js /></body></script>z@TAG@</body>



=== TEST 19: DOCTYPE, processing instructions and bogus comments
--- page
<!DOCTYPE html><?xml version="1.0"?><!bogus comment><body>x</body>
--- expected
<!DOCTYPE html><?xml version="1.0"?><!bogus comment><body>x@TAG@</body>



=== TEST 20: a bogus comment swallows a </body> up to its first >
--- page
<body><? x </body> y</body>
--- expected
<body><? x </body> y@TAG@</body>



=== TEST 21: < that opens no tag is text
--- page
<body>1 < 2 and 3 <= 4 <<< </body>
--- expected
<body>1 < 2 and 3 <= 4 <<< @TAG@</body>



=== TEST 22: </> and </ 3> are not end tags
--- page
<body></></ 3></body>
--- expected
<body></></ 3>@TAG@</body>



=== TEST 23: a style element in the body, then the real end
--- page
<body><style>/* </body> */</style><style></style ></body>
--- expected
<body><style>/* </body> */</style><style></style >@TAG@</body>



=== TEST 24: an unclosed comment hides the rest: the tag goes at the end
--- page
<body>x<!-- never closed </body>
--- expected
<body>x<!-- never closed </body>
@TAG@



=== TEST 25: a longer tag name that starts like a raw element is not one
--- page
<body><scripts></body>
--- expected
<body><scripts>@TAG@</body>



=== TEST 26: an unquoted attribute value ends at >
--- page
<body><div a=1 b=</body> c=x>y</div></body>
--- expected
<body><div a=1 b=</body> c=x>y</div>@TAG@</body>



=== TEST 27: an unclosed script hides the rest: the tag goes at the end
--- page
<body><script>var a = 1; </body>
--- expected
<body><script>var a = 1; </body>
@TAG@



=== TEST 28: a single "-" does not end a comment (make mutants: html-comment-single-dash)
--- page
<body><!-- a-b </body> --><p>x</p></body>
--- expected
<body><!-- a-b </body> --><p>x</p>@TAG@</body>



=== TEST 29: "--->" ends a comment (html-comment-end-dashes)
--- page
<body><!-- a ---><p>x</p></body>
--- expected
<body><!-- a ---><p>x</p>@TAG@</body>



=== TEST 30: "--!>" ends a comment (html-comment-end-bang)
--- page
<body><!-- a --!><p>x</p></body>
--- expected
<body><!-- a --!><p>x</p>@TAG@</body>



=== TEST 31: "]]" then another byte does not end CDATA (html-cdata-end)
--- page
<body><![CDATA[ a ]]b </body> ]]><p>x</p></body>
--- expected
<body><![CDATA[ a ]]b </body> ]]><p>x</p>@TAG@</body>



=== TEST 32: "->" does not leave double-escaped script data, only "-->" does (html-escaped-script-end)
--- page
<body><script><!-- <script> a -> </script> </body> </script>x</body>
--- expected
<body><script><!-- <script> a -> </script> </body> </script>x@TAG@</body>
