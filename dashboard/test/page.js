/*
 * What the dashboard's panel tests share (dashboard/test/rules.js,
 * dashboard/test/variants.js): a page of the dashboard opened in a fresh
 * browser context that records Content-Security-Policy violations, page
 * errors and every request; axe on one panel; and the checks made when
 * the page is closed (no violation, no request to another site, no
 * error).
 */

'use strict';

const fs = require('fs');
const { ok } = require('../../widget/test/tap.js');

const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'),
                                  'utf8');


function is(got, want, name) {
    const g = JSON.stringify(got);
    const w = JSON.stringify(want);
    return ok(g === w, name, 'got: ' + g + ', want: ' + w);
}

/* base + urlPath, once the dashboard says it is ready */
async function visit(browser, base, urlPath, options) {
    const context = await browser.newContext(Object.assign(
        { locale: 'en-US', viewport: { width: 1280, height: 900 } },
        options));

    await context.addInitScript(() => {
        window.__cspViolations = [];
        document.addEventListener('securitypolicyviolation', e => {
            window.__cspViolations.push(e.violatedDirective + ' '
                                        + e.blockedURI);
        });
    });

    const page = await context.newPage();
    const p = { base, context, page, errors: [], requests: [] };

    page.on('request', r => p.requests.push(r.url()));
    page.on('pageerror', e => p.errors.push('pageerror: ' + e.message));
    page.on('console', m => {
        if (m.type() === 'error' || m.type() === 'warning') {
            p.errors.push(m.type() + ': ' + m.text());
        }
    });

    await page.goto(base + urlPath);
    await page.waitForSelector('body[data-state="ready"]',
                               { timeout: 15000 });

    return p;
}

/* no serious or critical axe violation within the element of id */
async function axe(page, id, what) {
    await page.evaluate(axeSource);

    const r = await page.evaluate(root => window.axe.run(
        document.getElementById(root), { resultTypes: ['violations'] }), id);
    const bad = r.violations.filter(v => v.impact === 'serious'
                                         || v.impact === 'critical');

    ok(bad.length === 0, 'axe: no serious or critical violations in ' + what,
       bad.map(v => v.id + ': ' + v.help).join('\n'));
}

async function close(p, name) {
    is(await p.page.evaluate(() => window.__cspViolations), [],
       name + ': no Content-Security-Policy violation');
    ok(p.requests.every(u => u.startsWith(p.base + '/')),
       name + ': no request to another site');
    ok(p.errors.length === 0, name + ': no page errors',
       p.errors.join('\n'));
    await p.context.close();
}


module.exports = { is, visit, axe, close };
