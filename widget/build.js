#!/usr/bin/env node
/*
 * Builds the widget: src/main.js and what it imports, bundled into one
 * minified script (an IIFE, no runtime dependency) with esbuild, and its
 * gzip'd copy; and the language pack, the words of every language of
 * src/lang/ but English (which is in the script), which the module
 * serves as /cx/widget.js?lang=xx.  These are the files the module embeds
 * (widget/dist/, committed, so that building the module never needs
 * Node).
 *
 *   node build.js           write dist/cx-widget.js, its .gz and
 *                           dist/cx-widget-lang.pack
 *   node build.js --check   fail if dist/ is not what src/ builds to
 *
 * The pack, which ngx_http_cx_widget.c reads:
 *
 *   "cx-lang 1\n"
 *   one line per language: "LANG JSON_BYTES GZIP_BYTES\n"
 *   "\n"
 *   then each language's JSON (minified, UTF-8) and its gzip'd copy,
 *   in the order of the lines
 */

'use strict';

const fs = require('fs');
const path = require('path');
const zlib = require('zlib');
const crypto = require('crypto');
const child = require('child_process');
const esbuild = require('esbuild');

const dir = __dirname;
const js = path.join(dir, 'dist', 'cx-widget.js');
const gz = js + '.gz';
const packFile = path.join(dir, 'dist', 'cx-widget-lang.pack');
const langDir = path.join(dir, 'src', 'lang');
const PACK_MAGIC = 'cx-lang 1\n';


/* CSS files are imported as minified text */
const cssText = {
    name: 'css-text',
    setup(build) {
        build.onLoad({ filter: /\.css$/ }, async args => {
            const css = await esbuild.transform(
                await fs.promises.readFile(args.path, 'utf8'),
                { loader: 'css', minify: true, target: 'chrome80' });

            return {
                contents: 'export default ' + JSON.stringify(css.code.trim()),
                loader: 'js'
            };
        });
    }
};


/*
 * The languages of src/lang/ but English, sorted: { lang, json }, where
 * json is the minified words.  Each must have every word English has,
 * and no other: a missing one would silently show English.
 */

function languages() {
    const read = file => {
        const where = 'widget/src/lang/' + file;
        let words;

        try {
            words = JSON.parse(fs.readFileSync(path.join(langDir, file),
                                               'utf8'));
        } catch (e) {
            throw new Error(where + ': ' + e.message);
        }

        if (!words || typeof words !== 'object' || Array.isArray(words)) {
            throw new Error(where + ': not an object of words');
        }

        return { where, words };
    };

    const en = read('en.json').words;
    const keys = Object.keys(en);
    const list = [];

    for (const file of fs.readdirSync(langDir).sort()) {
        const m = /^([a-z]{2,3})\.json$/.exec(file);

        if (!m) {
            throw new Error('widget/src/lang/' + file + ': not LANG.json '
                            + '(a primary language subtag, lower case)');
        }

        const { where, words } = read(file);

        for (const k of keys) {
            if (typeof words[k] !== 'string' || words[k].trim() === '') {
                throw new Error(where + ': no "' + k + '"');
            }
        }

        for (const k of Object.keys(words)) {
            if (!(k in en)) {
                throw new Error(where + ': "' + k + '" is not a word of '
                                + 'en.json');
            }
        }

        if (m[1] !== 'en') {
            /* the keys in English's order, for diffs and for the eye */
            const ordered = {};

            keys.forEach(k => { ordered[k] = words[k]; });
            list.push({ lang: m[1],
                        json: Buffer.from(JSON.stringify(ordered)) });
        }
    }

    return list;
}


/* what the script is told about the pack: its languages and version */

function defines(langs) {
    const h = crypto.createHash('sha256');

    langs.forEach(l => h.update(l.lang + '\n').update(l.json).update('\n'));

    return {
        CX_LANGS: JSON.stringify(langs.map(l => l.lang).join(' ')),
        CX_WORDS_VERSION: JSON.stringify(h.digest('hex').slice(0, 8))
    };
}


/* gzip -9 (smaller than Node's zlib at level 9), no name, no time */

function gzip(buf) {
    try {
        return child.execFileSync('gzip', ['-9', '-n', '-c'],
                                  { input: buf, maxBuffer: 1 << 24 });
    } catch (e) {
        return zlib.gzipSync(buf, { level: 9 });
    }
}


function pack(langs) {
    const parts = langs.map(l => Object.assign({ gz: gzip(l.json) }, l));
    const index = PACK_MAGIC
        + parts.map(p => p.lang + ' ' + p.json.length + ' ' + p.gz.length
                         + '\n').join('')
        + '\n';

    return Buffer.concat([Buffer.from(index)]
                         .concat(...parts.map(p => [p.json, p.gz])));
}


/* a pack read back: [{ lang, json, gz }], or null */

function unpack(buf) {
    const end = buf.indexOf('\n\n');

    if (end < 0 || buf.slice(0, PACK_MAGIC.length).toString() !== PACK_MAGIC)
    {
        return null;
    }

    let at = end + 2;
    const list = buf.slice(PACK_MAGIC.length, end + 1).toString()
                    .split('\n').filter(Boolean).map(line => {
        const [lang, j, g] = line.split(' ');
        const json = buf.slice(at, at + +j);
        const zipped = buf.slice(at + +j, at + +j + +g);

        at += +j + +g;

        return { lang, json, gz: zipped };
    });

    return at === buf.length ? list : null;
}


async function build(langs) {
    const out = await esbuild.build({
        entryPoints: [path.join(dir, 'src', 'main.js')],
        bundle: true,
        minify: true,
        format: 'iife',
        target: ['es2019'],
        charset: 'utf8',
        legalComments: 'none',
        define: defines(langs),
        plugins: [cssText],
        write: false
    });

    return Buffer.from(out.outputFiles[0].contents);
}


function check(code, langs) {
    const have = fs.existsSync(js) ? fs.readFileSync(js) : Buffer.alloc(0);
    const zipped = fs.existsSync(gz) ? fs.readFileSync(gz) : null;
    const packed = fs.existsSync(packFile)
                   ? unpack(fs.readFileSync(packFile)) : null;
    const stale = what => {
        console.error(what + ': run "make widget" and commit dist/');
        process.exit(1);
    };

    if (!have.equals(code)) {
        stale('widget/dist/cx-widget.js is not what widget/src/ builds to');
    }

    /* gzip's bytes vary with its version: compare what they hold */
    if (!zipped || !zlib.gunzipSync(zipped).equals(code)) {
        stale('widget/dist/cx-widget.js.gz does not hold cx-widget.js');
    }

    if (!packed || packed.length !== langs.length
        || packed.some((p, i) => p.lang !== langs[i].lang
                                 || !p.json.equals(langs[i].json)
                                 || !zlib.gunzipSync(p.gz).equals(p.json)))
    {
        stale('widget/dist/cx-widget-lang.pack does not hold the words of '
              + 'widget/src/lang/');
    }

    console.log('widget/dist is up to date with widget/src');
}


async function main() {
    const langs = languages();
    const code = await build(langs);

    if (process.argv[2] === '--check') {
        check(code, langs);
        return;
    }

    const zipped = gzip(code);
    const packed = pack(langs);

    fs.mkdirSync(path.dirname(js), { recursive: true });
    fs.writeFileSync(js, code);
    fs.writeFileSync(gz, zipped);
    fs.writeFileSync(packFile, packed);

    console.log('widget/dist/cx-widget.js: ' + code.length + ' bytes, '
                + zipped.length + ' gzip\'d');

    unpack(packed).forEach(p => {
        console.log('  + ' + p.lang + ': ' + p.json.length + ' bytes, '
                    + p.gz.length + ' gzip\'d, '
                    + (zipped.length + p.gz.length) + ' in all');
    });
}


if (require.main === module) {
    main().catch(e => {
        console.error(e.message || e);
        process.exit(1);
    });
}

module.exports = { languages, defines, unpack };
