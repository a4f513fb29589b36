#!/usr/bin/env node
/*
 * Builds the widget: src/main.js and what it imports, bundled into one
 * minified script (an IIFE, no runtime dependency) with esbuild, and its
 * gzip'd copy -- the two files the module embeds (widget/dist/, committed,
 * so that building the module never needs Node).
 *
 *   node build.js           write dist/cx-widget.js and dist/cx-widget.js.gz
 *   node build.js --check   fail if dist/ is not what src/ builds to
 */

'use strict';

const fs = require('fs');
const path = require('path');
const zlib = require('zlib');
const esbuild = require('esbuild');

const dir = __dirname;
const js = path.join(dir, 'dist', 'cx-widget.js');
const gz = js + '.gz';

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

async function build() {
    const out = await esbuild.build({
        entryPoints: [path.join(dir, 'src', 'main.js')],
        bundle: true,
        minify: true,
        format: 'iife',
        target: ['es2019'],
        charset: 'utf8',
        legalComments: 'none',
        plugins: [cssText],
        write: false
    });

    return Buffer.from(out.outputFiles[0].contents);
}

async function main() {
    const code = await build();

    if (process.argv[2] === '--check') {
        const have = fs.existsSync(js) ? fs.readFileSync(js) : Buffer.alloc(0);
        const zipped = fs.existsSync(gz) ? fs.readFileSync(gz) : null;

        if (!have.equals(code)) {
            console.error('widget/dist/cx-widget.js is not what widget/src/ '
                          + 'builds to: run "make widget" and commit dist/');
            process.exit(1);
        }

        /* gzip's bytes vary with zlib's version: compare what they hold */
        if (!zipped || !zlib.gunzipSync(zipped).equals(code)) {
            console.error('widget/dist/cx-widget.js.gz does not hold '
                          + 'cx-widget.js: run "make widget"');
            process.exit(1);
        }

        console.log('widget/dist is up to date with widget/src');
        return;
    }

    fs.mkdirSync(path.dirname(js), { recursive: true });
    fs.writeFileSync(js, code);
    fs.writeFileSync(gz, zlib.gzipSync(code, { level: 9 }));

    console.log('widget/dist/cx-widget.js: ' + code.length + ' bytes, '
                + fs.statSync(gz).size + ' gzip\'d');
}

main().catch(e => {
    console.error(e.message || e);
    process.exit(1);
});
