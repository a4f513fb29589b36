#!/usr/bin/env node
/*
 * The dashboard's Question variants panel and its Commented figure in
 * real headless Chromium (as dashboard/test/e2e.js, whose tools it
 * shares through widget/test/tap.js), against the data
 * t/072-dashboard-variants-browser.t writes: a survey with two variants
 * of its question, and one without any.
 *
 *   CX_BASE_URL=http://127.0.0.1:PORT NODE_PATH=widget/node_modules \
 *   node dashboard/test/variants.js
 *
 * What the panel shows is checked against /cx/score?...&by=variant.
 * Prints TAP.  Screenshot: test-artifacts/dashboard-variants.png.
 */

'use strict';

const fs = require('fs');
const path = require('path');
const { ok, note, launch, scenarios, run } = require('../../widget/test/tap.js');
const { is, visit: open, axe, close } = require('./page.js');

const base = process.env.CX_BASE_URL;
const artifacts = process.env.CX_ARTIFACTS
                  || path.join(__dirname, '..', '..', 'test-artifacts');

let browser;


function visit(urlPath, options) {
    return open(browser, base, urlPath, options);
}

function day(d) {
    return d.toISOString().slice(0, 10);
}

async function api(query) {
    return (await fetch(base + '/cx/score?' + query)).json();
}


/* the panel against by=variant */
async function panel() {
    const to = day(new Date());
    const from = day(new Date(Date.now() - 29 * 86400000));
    const report = await api('survey=site_nps&by=variant&from=' + from
                             + '&to=' + to);
    const p = await visit('/cx/dashboard#survey=site_nps');
    const { page } = p;

    is(report.groups.map(g => g.variant), ['a-recommend', 'b-tell'],
       'the report: two variants');
    ok(await page.isVisible('#variants-panel'),
       'a survey with variants: the panel is shown');

    const rows = await page.$$eval('#variants tbody tr', trs => trs.map(
        tr => [].map.call(tr.children, c => c.textContent)));
    const nps = v => (v > 0 ? '+' : '') + v.toFixed(1).replace('-', '\u2212');
    const [a, b] = report.groups;

    is(rows.map(r => r[0]), ['a-recommend', 'b-tell'],
       'a row per variant, by name');
    ok(rows[0][1].startsWith(nps(a.nps)) && rows[1][1].startsWith(nps(b.nps)),
       'each variant\'s NPS', rows.map(r => r[1]));
    ok(/95% /.test(rows[0][1]), 'with its interval', rows[0][1]);
    is([rows[0][3], rows[1][3]], [String(a.impressions.shown),
                                  String(b.impressions.shown)],
       'shown');
    is([rows[0][4], rows[1][4]], [a.response_rate.toFixed(1) + '%',
                                  b.response_rate.toFixed(1) + '%'],
       'the response rates');
    ok(/^the first/.test(rows[0][5]), 'the first variant is the reference',
       rows[0][5]);
    ok(b.vs_first.significant
       && /^\u25b2 .* significant$/.test(rows[1][5]),
       'b against a: up, significant, in words', rows[1][5]);
    is(await page.$eval('#variants tbody tr[data-variant="b-tell"] .change',
                        e => e.getAttribute('data-significant')), 'yes',
       'marked significant');
    ok(/commented/.test(rows[1][2]), 'the comments of a variant', rows[1][2]);

    is(await page.$$eval('#variants table caption',
                         cs => cs.map(c => c.textContent)),
       ['Each variant of the question; significance against a-recommend'],
       'the table has a caption');

    const kpi = await page.$$eval('#kpis dt', ds => ds.map(d => d.textContent));
    ok(kpi.includes('Commented'), 'the Commented figure', kpi);
    const head = await page.$$eval('#journey thead th',
                                   ths => ths.map(t => t.textContent));
    const home = await page.$$eval(
        '#journey tbody tr[data-touchpoint="home"] > *',
        cs => cs.map(c => c.textContent));
    is([head[5], home[5]], ['Commented', '3'],
       'the journey: a Commented column');
    is(await page.$$eval('#comments .comment-variant',
                         es => es.map(e => e.textContent)),
       ['variant b-tell'], 'a follow-up comment says its variant');

    await axe(page, 'variants-panel', 'the Question variants panel (desktop)');

    await page.locator('#h-variants').scrollIntoViewIfNeeded();
    const file = path.join(artifacts, 'dashboard-variants.png');
    await page.locator('#variants-panel').screenshot({ path: file });
    note('screenshot ' + file);

    /* the CSV of what is on screen */
    const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.click('button[data-csv="variants"]')
    ]);
    const csv = fs.readFileSync(await download.path(), 'utf8');
    const lines = csv.replace(/^\ufeff/, '').trim().split(/\r?\n/);
    ok(/^"variant","n","score",/.test(lines[0])
       && /"first_variant","first_n",/.test(lines[0]),
       'CSV: a header with the comparison\'s columns', lines[0]);
    ok(lines.length === 3 && lines[2].startsWith('"b-tell",60,')
       && /,"a-recommend",60,/.test(lines[2]),
       'CSV: a line per variant', lines);

    /* keyboard: the survey chooser reaches the survey without variants */
    await page.focus('#survey');
    await page.selectOption('#survey', 'plain_csat');
    await page.waitForSelector('body[data-state="ready"]');
    await page.waitForFunction(() => document.getElementById('survey').value
                                     === 'plain_csat');
    await page.waitForSelector('body[data-state="ready"]');
    ok(await page.isHidden('#variants-panel'),
       'a survey without variants: no panel');

    await close(p, 'desktop');
}

/* a phone: the table fits or scrolls in its box */
async function phone() {
    const p = await visit('/cx/dashboard#survey=site_nps', {
        viewport: { width: 390, height: 844 }, isMobile: true,
        hasTouch: true });
    const { page } = p;

    ok(await page.evaluate(() => document.documentElement.scrollWidth
                                 <= window.innerWidth),
       'phone: nothing wider than the screen');
    await axe(page, 'variants-panel', 'the Question variants panel (phone)');
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
