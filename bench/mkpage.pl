#!/usr/bin/perl
# bench/mkpage.pl BYTES -- writes a realistic, deterministic HTML article
# page of about BYTES bytes to stdout (same BYTES, same bytes).
#
# What a CMS article page looks like: doctype, a head with meta, link,
# inline style, JSON-LD and an analytics snippet; a header with nav; an
# article of sections (text, lists, figures, a table, HTML comments, the
# odd inline script); an aside; a footer; then, just before the end, the
# usual "print this article" script whose JS string contains a literal
# "</body></html>" -- valid HTML (only "</script>" ends a script), and the
# decoy a plain text search for "</body>" finds first.  The document ends
# with the real "</body></html>\n".
#
# Sections are repeated until the size is reached, so the same generator
# makes the ~30 KB page and the 5 MB page.

use strict;
use warnings;

my $target = shift // 30720;
die "usage: $0 BYTES\n" unless $target =~ /^\d+$/ && $target >= 8192;

# a fixed LCG: the page depends on nothing but BYTES
my $seed = 20240611;
sub rnd { $seed = ($seed * 1103515245 + 12345) % 2147483648; return $seed % $_[0]; }

my @words = qw(
    tent trail weather night camp gear pole fly mesh vestibule seam rain
    wind shelter ground sheet stake guyline zipper pack weight ounce liner
    sleeping bag pad valley ridge summit forest river lake morning evening
    season spring summer autumn frost dew condensation ventilation fabric
    nylon polyester silicone coating denier floor footprint space comfort
    durable light compact easy quick setup pitch strap buckle pocket loop
    hiker family couple solo route map compass water filter stove meal
    the a of and to in for with on by from that this is are was be can
    will your you we our it as at or not but more most very well good
);
sub words {
    my ($n) = @_;
    my @w = map { $words[rnd(scalar @words)] } 1 .. $n;
    $w[0] = ucfirst $w[0];
    return join ' ', @w;
}
sub sentence { return words(8 + rnd(14)) . '.'; }
sub para {
    my $s = join ' ', map { sentence() } 1 .. 3 + rnd(4);
    # the inline markup a CMS leaves in running text
    $s =~ s/\b(tent|trail|gear)\b/<a href="\/guides\/$1">$1<\/a>/ if rnd(3) == 0;
    $s =~ s/\b(weight|rain|wind)\b/<strong>$1<\/strong>/ if rnd(3) == 0;
    $s =~ s/\b(seam|liner)\b/<em>$1<\/em>/ if rnd(4) == 0;
    return "<p>$s</p>\n";
}

my $head = <<'HTML';
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Choosing a three-season tent &ndash; Acme Outdoor Journal</title>
<meta name="description" content="How to choose a three-season tent: weight, space, weather, ventilation and the details that matter after a night in the rain.">
<meta property="og:title" content="Choosing a three-season tent">
<meta property="og:type" content="article">
<meta property="og:image" content="https://www.example.com/media/tents/hero-1200.jpg">
<link rel="canonical" href="https://www.example.com/journal/choosing-a-three-season-tent">
<link rel="preconnect" href="https://cdn.example.com" crossorigin>
<link rel="preload" href="/assets/fonts/inter-var.woff2" as="font" type="font/woff2" crossorigin>
<link rel="stylesheet" href="/assets/css/site.4f9c2e.css">
<link rel="icon" href="/favicon.ico" sizes="any">
<style>
:root{--ink:#1d2327;--muted:#5b6770;--accent:#0b7a5a;--bg:#fbfaf7;--max:72rem}
*,*::before,*::after{box-sizing:border-box}
body{margin:0;font:1rem/1.6 Inter,system-ui,sans-serif;color:var(--ink);background:var(--bg)}
.site-header{display:flex;align-items:center;justify-content:space-between;padding:.75rem 1.5rem;border-bottom:1px solid #e5e2da}
.site-nav ul{display:flex;gap:1.25rem;list-style:none;margin:0;padding:0}
.site-nav a{color:var(--ink);text-decoration:none;font-weight:500}
.site-nav a[aria-current=page]{color:var(--accent)}
main{display:grid;grid-template-columns:minmax(0,1fr) 18rem;gap:3rem;max-width:var(--max);margin:2rem auto;padding:0 1.5rem}
article h1{font-size:2.4rem;line-height:1.15;margin:.5rem 0 1rem}
article h2{font-size:1.5rem;margin:2.5rem 0 .75rem}
article figure{margin:1.5rem 0}article img{max-width:100%;height:auto;border-radius:.5rem}
article table{border-collapse:collapse;width:100%}article td,article th{padding:.4rem .6rem;border-bottom:1px solid #e5e2da;text-align:left}
.related a{display:block;padding:.3rem 0}
.site-footer{background:#1d2327;color:#cfd6da;padding:2rem 1.5rem;font-size:.9rem}
@media (max-width:48rem){main{grid-template-columns:1fr}.site-nav ul{gap:.75rem}}
</style>
<script type="application/ld+json">{"@context":"https://schema.org","@type":"Article","headline":"Choosing a three-season tent","author":{"@type":"Person","name":"Sam Rivera"},"datePublished":"2024-05-02","image":"https://www.example.com/media/tents/hero-1200.jpg","publisher":{"@type":"Organization","name":"Acme Outdoor"}}</script>
<script>
window.dataLayer = window.dataLayer || [];
function gtag(){ dataLayer.push(arguments); }
gtag('js', new Date());
gtag('config', 'G-EXAMPLE01', { anonymize_ip: true, page_path: location.pathname });
if (document.cookie.indexOf('consent=1') < 0 && navigator.doNotTrack !== '1') { window.needsConsent = true; }
</script>
</head>
<body class="article-page">
<!-- site header: shared partial, do not edit here -->
<header class="site-header">
<a class="logo" href="/"><img src="/assets/img/logo.svg" alt="Acme Outdoor" width="120" height="32"></a>
<nav class="site-nav" aria-label="Main">
<ul>
<li><a href="/shop/tents">Tents</a></li>
<li><a href="/shop/sleeping-bags">Sleeping bags</a></li>
<li><a href="/shop/backpacks">Backpacks</a></li>
<li><a href="/shop/clothing">Clothing</a></li>
<li><a href="/shop/cooking">Cooking</a></li>
<li><a href="/journal" aria-current="page">Journal</a></li>
<li><a href="/stores">Stores</a></li>
<li><a href="/help">Help</a></li>
<li><a href="/account">Account</a></li>
<li><a href="/cart">Cart <span class="count" data-cart-count>0</span></a></li>
</ul>
</nav>
</header>
<main>
<article itemscope itemtype="https://schema.org/Article">
<p class="kicker"><a href="/journal/camping">Camping</a> &middot; 12 min read</p>
<h1 itemprop="headline">Choosing a three-season tent</h1>
<p class="byline">By <span itemprop="author">Sam Rivera</span>, <time datetime="2024-05-02">2 May 2024</time></p>
<figure><img src="/media/tents/hero-800.jpg" srcset="/media/tents/hero-800.jpg 800w, /media/tents/hero-1200.jpg 1200w" sizes="(max-width: 48rem) 100vw, 60vw" alt="A green tent at dusk by a lake" width="1200" height="675"><figcaption>Pitched by the lake at dusk.</figcaption></figure>
HTML

my $tail = <<'HTML';
</article>
<aside class="related" aria-label="Related">
<h2>Related guides</h2>
<a href="/journal/sleeping-bag-temperature-ratings">Sleeping bag temperature ratings, explained</a>
<a href="/journal/pitching-in-the-wind">Pitching a tent in the wind</a>
<a href="/journal/ultralight-on-a-budget">Ultralight on a budget</a>
<a href="/journal/first-night-out">Your first night out: a checklist</a>
<form class="newsletter" action="/newsletter" method="post"><label for="nl-email">Get the journal by email</label> <input id="nl-email" name="email" type="email" placeholder="you@example.com" required> <button type="submit">Subscribe</button></form>
</aside>
</main>
<!-- site footer: shared partial -->
<footer class="site-footer">
<nav aria-label="Footer"><a href="/about">About us</a> &middot; <a href="/careers">Careers</a> &middot; <a href="/stores">Find a store</a> &middot; <a href="/returns">Returns</a> &middot; <a href="/privacy">Privacy</a> &middot; <a href="/cookies">Cookie settings</a> &middot; <a href="/terms">Terms</a></nav>
<p>&copy; 2024 Acme Outdoor Ltd. Prices include VAT. Free delivery on orders over &pound;50.</p>
</footer>
<script src="/assets/js/site.8d31f0.js" defer></script>
<script>
/* "Print this article": opens a bare copy of the article for printing */
function printArticle() {
    var w = window.open('', 'print', 'width=800,height=900');
    w.document.write('<html><head><title>' + document.title + '</title></head><body>' + document.querySelector('article').innerHTML + '</body></html>');
    w.document.close();
    w.focus();
    w.print();
}
document.querySelectorAll('[data-print]').forEach(function (b) { b.addEventListener('click', printArticle); });
</script>
</body></html>
HTML

my @headings = ('Weight versus space', 'Single or double wall', 'Weather and wind',
    'Ventilation and condensation', 'Poles and pitching', 'Floor and footprint',
    'Vestibules and storage', 'Doors, zips and details', 'Care and repair',
    'What we would buy');

my $out = $head;
my $n = 0;
while (length($out) + length($tail) < $target) {
    $n++;
    my $h = $headings[($n - 1) % @headings];
    my $s = "<section id=\"s$n\">\n<h2>$h</h2>\n";
    $s .= para() for 1 .. 2;
    if ($n % 3 == 1) {
        $s .= "<ul>\n" . join('', map { '<li>' . words(5 + rnd(6)) . "</li>\n" } 1 .. 4) . "</ul>\n";
    }
    if ($n % 3 == 2) {
        $s .= "<!-- editor: swap this image for the spring shoot when it is ready -->\n";
        $s .= "<figure><img src=\"/media/tents/detail-$n.jpg\" alt=\"" . words(5)
            . "\" width=\"800\" height=\"533\" loading=\"lazy\"><figcaption>" . sentence() . "</figcaption></figure>\n";
    }
    if ($n % 5 == 0) {
        $s .= "<table>\n<thead><tr><th>Model</th><th>Weight</th><th>Floor</th><th>Price</th></tr></thead>\n<tbody>\n";
        $s .= sprintf("<tr><td>Trail %d</td><td>%d.%d kg</td><td>%d &times; 2%02d cm</td><td>&pound;%d</td></tr>\n",
                      $_, 1 + rnd(3), rnd(10), 120 + rnd(60), rnd(40), 149 + rnd(300)) for 1 .. 4;
        $s .= "</tbody>\n</table>\n";
    }
    if ($n % 4 == 0) {
        $s .= "<div class=\"product-card\" data-sku=\"TNT-$n\"><a href=\"/shop/tents/trail-$n\">" . words(4)
            . "</a> <button type=\"button\" class=\"add\" data-sku=\"TNT-$n\">Add to cart</button></div>\n";
        $s .= "<script>window.cards = (window.cards || []).concat({ sku: 'TNT-$n', pos: $n, seen: false });"
            . " if (window.cards.length > 1 && window.cards[0].pos < $n) { /* lazy */ }</script>\n";
    }
    $s .= para();
    $s .= "<p><button type=\"button\" data-print>Print this article</button></p>\n" if $n == 2;
    $s .= "</section>\n";
    $out .= $s;
}
$out .= $tail;

print $out;
