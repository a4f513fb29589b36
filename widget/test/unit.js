#!/usr/bin/env node
/*
 * The widget's pure parts, in Node (t/062-widget-build.t runs it): the
 * visitor cookie, read as strictly as the module's Lua rules read it
 * (t/051-rules-request.t has the same list); the comment the endpoint
 * accepts; every language has every word English has; the language and
 * direction of a page.  Prints TAP.
 */

'use strict';

const fs = require('fs');
const path = require('path');
const esbuild = require('esbuild');
const build = require('../build.js');

const langs = build.languages();

/* an ES module of src/, bundled to CommonJS in memory */
function load(file) {
    const out = esbuild.buildSync({
        entryPoints: [path.join(__dirname, '..', 'src', file)],
        bundle: true,
        format: 'cjs',
        platform: 'neutral',
        define: build.defines(langs),
        write: false
    });
    const m = { exports: {} };

    new Function('module', 'exports', out.outputFiles[0].text)(m, m.exports);

    return m.exports;
}

let n = 0;
let failed = 0;

function is(got, want, name) {
    const good = JSON.stringify(got) === JSON.stringify(want);

    n++;
    failed += good ? 0 : 1;
    console.log((good ? 'ok ' : 'not ok ') + n + ' - ' + name);

    if (!good) {
        console.log('# got ' + JSON.stringify(got) + ', want '
                    + JSON.stringify(want));
    }
}

const visitor = load('visitor.js');
const report = load('report.js');
const strings = load('strings.js');

/* ---- the cookie */

const id = 'Abc_def-0123456789';

const rest = 'product!3*home!1~email!!spring!news.example';
const c2 = '2~' + id + '~42~7~a!20261120!20261120!0*b.c!20261101!0!20261101~'
           + rest;

is(visitor.parse(c2),
   { id: id, views: 42, visits: 7,
     surveys: [{ id: 'a', shown: 20261120, answered: 20261120, dismissed: 0 },
               { id: 'b.c', shown: 20261101, answered: 0,
                 dismissed: 20261101 }],
     rest: rest },
   'cookie: a valid one');
is(visitor.format(visitor.parse(c2)), c2, 'cookie: written back as read');
is(visitor.parse('2~' + 'x'.repeat(64) + '~0~0~~~!!!').id, 'x'.repeat(64),
   'cookie: the longest id, nothing else');
is(visitor.parse('2~' + id + '~1~1~'
                 + Array.from({ length: 6 }, (_, i) => 's' + i + '!0!0!0')
                   .join('*') + '~~!!!').surveys.length, 6,
   'cookie: 6 surveys');

[
    '1.' + id + '.1.1.0.0',                 /* the module's version 1 */
    '2~short~1~1~~~!!!',                    /* id too short */
    '2~' + id + '~01~1~~~!!!',              /* leading zero */
    '2~' + id + '~1234567890~1~~~!!!',      /* count too large */
    '2~' + id + '~1~1~A!0!0!0~~!!!',        /* a name in capitals */
    '2~' + id + '~1~1~a!0!0~~!!!',          /* a day missing */
    '2~' + id + '~1~1~a!20250229!0!0~~!!!', /* no such day */
    '2~' + id + '~1~1~a!19991231!0!0~~!!!', /* before 2000 */
    '2~' + id + '~1~1~' + Array.from({ length: 7 }, (_, i) => 's' + i
                                     + '!0!0!0').join('*') + '~~!!!',
                                            /* 7 surveys */
    '2~' + id + '~1~1~~~!!!~',              /* a group too many */
    '2~' + id + '~1~1~~~A!!!',              /* a source in capitals */
    '',
].forEach(c => is(visitor.parse(c), null, 'cookie: refused: ' + c));

const now = Date.UTC(2026, 10, 20, 12);
const v = visitor.parse(c2);
const cfg = { survey: 'a', recontact: 90, dismissed: 7, cooldown: 0, gap: 0 };

is(visitor.held(v, cfg, now), true, 'held: answered today');
is(visitor.held(v, Object.assign({}, cfg, { recontact: 0 }), now), false,
   'held: recontact=0');
is(visitor.held(v, Object.assign({}, cfg, { survey: 'b.c' }), now), false,
   'held: dismissed 19 days ago');
is(visitor.held(v, Object.assign({}, cfg, { survey: 'b.c', dismissed: 20 }),
                now), true, 'held: dismissed=20');
is(visitor.held(v, Object.assign({}, cfg, { survey: 'new', gap: 14 }), now),
   true, 'held: another survey shown within the gap');
is(visitor.held(v, Object.assign({}, cfg, { survey: 'new' }), now), false,
   'held: gap 0');

is(visitor.day(Date.UTC(2026, 0, 31, 23, 59)), 20260131, 'day: UTC');
is(visitor.daysSince(20260131, Date.UTC(2026, 1, 2, 0, 1)), 2,
   'days since: across a month');
is(visitor.daysSince(20260131, Date.UTC(2026, 0, 31, 23)), 0,
   'days since: the same day');
is(visitor.daysSince(20270101, Date.UTC(2026, 0, 1)), 0,
   'days since: a day in the future counts as today');

/* ---- the comment */

is(report.comment('  fine\u0000\u0007 thanks\r\n\tbye  '),
   'fine thanks\r\n\tbye', 'comment: no control characters but tab and newlines, trimmed');
is(report.comment('a\x7fb\u0085c\u009fd\re\u202ef\u202ag\u2066h\u2069i\u200fj\u00a0k'),
   'abcdef' + 'ghi\u200fj\u00a0k',
   'comment: no DEL, C1, lone CR or bidi override/isolate (what cx_collect refuses)');

const long = report.comment('ж'.repeat(800));
is(Buffer.byteLength(long), 1000, 'comment: at most 1000 bytes of UTF-8');
is(long, 'ж'.repeat(500), 'comment: cut at a character');

const emoji = report.comment('a' + '\u{1F600}'.repeat(300));
is(Buffer.byteLength(emoji) <= 1000 && !/[\ud800-\udbff]$/.test(emoji),
   true, 'comment: never half a surrogate pair');

/* ---- the words */

const dir = path.join(__dirname, '..', 'src', 'lang');
const files = fs.readdirSync(dir).filter(f => /\.json$/.test(f)).sort();
const en = JSON.parse(fs.readFileSync(path.join(dir, 'en.json'), 'utf8'));

is(files.join(' '), 'ar.json en.json he.json pl.json ro.json ru.json uk.json',
   'words: the languages of src/lang/');
is(strings.KEYS, Object.keys(en), 'words: the keys are English\'s');

files.forEach(file => {
    const l = file.slice(0, -5);
    const own = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));

    is(Object.keys(own).sort(), Object.keys(en).sort(),
       l + ': every word English has, and no other');
    is(strings.KEYS.filter(k => typeof own[k] !== 'string'
                                || !own[k].trim()), [],
       l + ': none empty');
    is(l === 'en' || strings.KEYS.every(k => own[k] !== en[k]), true,
       l + ': its own words');
    is(strings.words(own), own, l + ': taken as they are');
    is(l === 'en' || strings.known(l), true,
       l + ': the script knows the module has it');
});

is(langs.map(l => l.lang).join(' '), 'ar he pl ro ru uk',
   'the pack: every language but English');
is(strings.known('en') || strings.known('de') || strings.known(''), false,
   'the script does not fetch English, or what the module does not have');

/* what a fetch may bring: anything */
is(strings.words(null), en, 'words: none fetched: English');
is(strings.words({ nps: 'Q?', csat: '', ces: 7, close: ['x'], x: 'y' }),
   Object.assign({}, en, { nps: 'Q?' }),
   'words: only non-empty strings of known keys; English for the rest');
is(strings.words('nps'), en, 'words: a string is no words');

/* the page's language: the primary subtag; its direction */
is(['uk-UA', 'PL', 'pt_BR', '', null, 'ar-EG', 'he'].map(strings.lang),
   ['uk', 'pl', 'pt', 'en', 'en', 'ar', 'he'], 'lang: the primary subtag');
is(['ar', 'he', 'fa', 'ur', 'yi'].every(strings.rtl), true,
   'rtl: Arabic, Hebrew, Persian, Urdu, Yiddish');
is(['en', 'ru', 'uk', 'ro', 'pl', 'tr', 'arn', 'h'].some(strings.rtl), false,
   'rtl: not the others');
is(/^[0-9a-f]{8}$/.test(strings.VERSION), true, 'the words\' version');

console.log('1..' + n);
process.exitCode = failed ? 1 : 0;
