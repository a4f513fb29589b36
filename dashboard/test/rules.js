#!/usr/bin/env node
/*
 * The dashboard's Rules panel in real headless Chromium (as
 * dashboard/test/e2e.js, whose tools it shares through
 * widget/test/tap.js), against nginx with two rule files, one of which
 * has failed -- once with HTML in its message -- as
 * t/084-dashboard-rules-browser.t sets them up:
 *
 *   CX_BASE_URL=http://127.0.0.1:PORT NODE_PATH=widget/node_modules \
 *   node dashboard/test/rules.js
 *
 * What the panel shows is checked against /cx/score?report=rules; the
 * messages are text, never HTML.  Prints TAP.  Screenshot:
 * test-artifacts/dashboard-rules.png.
 */

'use strict';

const fs = require('fs');
const path = require('path');
const { ok, note, launch, scenarios, run } = require('../../widget/test/tap.js');
const { is, visit: open, axe, close } = require('./page.js');

const base = process.env.CX_BASE_URL;
const artifacts = process.env.CX_ARTIFACTS
                  || path.join(__dirname, '..', '..', 'test-artifacts');

const REASONS = {
    error: ['Lua error', 'Lua errors'],
    result: ['value not allowed', 'values not allowed'],
    budget: ['over its budget', 'over their budget'],
    memory: ['out of memory', 'out of memory']
};

let browser;


function utc(t) {
    return t.replace('T', ' ').slice(0, 16) + ' UTC';
}

function visit(urlPath, options) {
    return open(browser, base, urlPath, options);
}


/* the panel against the report */
async function panel() {
    const report = await (await fetch(base + '/cx/score?report=rules'))
                   .json();
    const p = await visit('/cx/dashboard');
    const { page } = p;

    const files = await page.$$eval('#rules h3.rules-file',
                                    hs => hs.map(h => h.textContent));
    is(files, report.files.map(f => f.file),
       'a heading for each configured rule file, its path as text');

    const bad = report.files.find(f => /bad\.lua$/.test(f.file));
    const good = report.files.find(f => /good\.lua$/.test(f.file));
    ok(bad && bad.errors.length === 3 && good
       && good.errors.length === 0, 'the report: three errors of bad.lua, '
       + 'none of good.lua');

    const summaries = await page.$$eval('#rules .rules-summary',
        ps => ps.map(x => [x.textContent, x.className]));
    const total = Object.keys(bad.failures).reduce(
        (n, k) => n + bad.failures[k], 0);
    const kinds = Object.keys(REASONS).filter(k => bad.failures[k])
                  .map(k => bad.failures[k] + ' '
                            + REASONS[k][bad.failures[k] === 1 ? 0 : 1]);
    is(summaries, [
        [total + ' failed calls since ' + utc(bad.since) + ': '
         + kinds.join(', ') + '.', 'rules-summary bad'],
        ['No failures since ' + utc(good.since) + '.', 'rules-summary']
    ], 'each file: how many calls failed, by kind, since when');

    const rows = await page.$$eval('#rules tr.rule-error', trs => trs.map(
        tr => [].map.call(tr.children, c => c.textContent)));
    is(rows, bad.errors.map(e => [
        'bad.lua' + (e.line ? ':' + e.line : '') + ' in ' + e.function + '()',
        e.message, REASONS[e.reason][0], String(e.count), utc(e.first),
        utc(e.last)]),
       'a row per error, latest first: where, what, kind, how often, '
       + 'first and last seen');
    ok(rows.some(r => r[0] === 'bad.lua:5 in trigger()' && r[3] === '3'),
       'the same error thrice: one row, 3 times, with its line');

    const html = bad.errors.find(e => /<script>/.test(e.message));
    ok(html && rows.some(r => r[1] === html.message),
       'a message with <script> in it, as text');
    is(await page.$$eval('#rules script, #rules img', e => e.length), 0,
       'no element made from a message');
    is(await page.evaluate(() => window.__cx_xss === undefined), true,
       'nothing in a message ran');

    is(await page.$$eval('#rules table caption',
                         cs => cs.map(c => c.textContent)),
       ['The last errors of bad.lua, latest first'],
       'the table has a caption');

    await axe(page, 'rules-panel', 'the Rules panel (desktop)');

    await page.locator('#h-rules').scrollIntoViewIfNeeded();
    const file = path.join(artifacts, 'dashboard-rules.png');
    await page.locator('#h-rules').locator('..').screenshot({ path: file });
    note('screenshot ' + file);

    await close(p, 'desktop');
}

/* a phone: the panel fits, long messages wrap or scroll in their box */
async function phone() {
    const p = await visit('/cx/dashboard', {
        viewport: { width: 390, height: 844 }, isMobile: true,
        hasTouch: true });
    const { page } = p;

    ok(await page.evaluate(() => document.documentElement.scrollWidth
                                 <= window.innerWidth),
       'phone: nothing wider than the screen');

    const focusable = await page.$$eval('#rules .table-wrap',
        ws => ws.map(w => [w.getAttribute('tabindex'),
                           w.getAttribute('aria-label')]));
    ok(focusable.every(f => f[0] === '0' && /last errors of/.test(f[1]))
       || focusable.every(f => f[0] === null),
       'phone: a table that scrolls is a labelled tab stop',
       focusable);

    await axe(page, 'rules-panel', 'the Rules panel (phone)');
    await close(p, 'phone');
}


async function main() {
    if (!base) {
        throw new Error('CX_BASE_URL is needed');
    }

    fs.mkdirSync(artifacts, { recursive: true });
    browser = await launch();
    await scenarios([panel, phone]);
}


run(main, 40);
