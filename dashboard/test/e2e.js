#!/usr/bin/env node
/*
 * The dashboard end to end, in real headless Chromium (Debian's chromium
 * driven by playwright-core from widget/node_modules; no browser is ever
 * downloaded), against nginx with the module and Redis holding a few
 * weeks of history and today's answers, as t/071-dashboard-browser.t
 * sets them up:
 *
 *   CX_BASE_URL=http://127.0.0.1:PORT CX_TOKEN=... \
 *   NODE_PATH=widget/node_modules node dashboard/test/e2e.js
 *
 * Everything the page shows is checked against what /cx/score answers.
 * Prints TAP for the .t to relay.  Screenshots go to test-artifacts/
 * (CX_ARTIFACTS).  Bounded: gives up after CX_E2E_TIMEOUT seconds
 * (default 50) and always closes the browser.
 */

'use strict';

const fs = require('fs');
const path = require('path');
const { ok, note, launch, scenarios, run } = require('../../widget/test/tap.js');

const base = process.env.CX_BASE_URL;
const token = process.env.CX_TOKEN;
const xss = process.env.CX_XSS_COMMENT;
const artifacts = process.env.CX_ARTIFACTS
                  || path.join(__dirname, '..', '..', 'test-artifacts');
const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'),
                                  'utf8');

const DESKTOP = { viewport: { width: 1280, height: 900 } };
const MOBILE = { viewport: { width: 390, height: 844 }, isMobile: true,
                 hasTouch: true, deviceScaleFactor: 2 };
const DAY = 86400000;
const NONE = '#e4e7ec';

let browser;


/* ---- TAP */

function is(got, want, name) {
    const g = JSON.stringify(got);
    const w = JSON.stringify(want);
    return ok(g === w, name, 'got: ' + g + ', want: ' + w);
}


/* ---- what the page should show: /cx/score, formatted as the page does */

const LABELS = { nps: 'NPS', csat: 'CSAT', ces: 'CES' };

function fmt(type, v) {
    if (v === null || v === undefined) {
        return '\u2013';
    }

    const s = v.toFixed(type === 'ces' ? 2 : 1).replace('-', '\u2212');
    return (type === 'nps' && v > 0 ? '+' : '') + s
           + (type === 'csat' ? '%' : '');
}

function fmtCi(type, ci) {
    return ci ? fmt(type, ci[0]) + ' to ' + fmt(type, ci[1]) : '\u2013';
}

async function api(query, auth) {
    const r = await fetch(base + '/cx/score?' + query, auth
                          ? { headers: { Authorization: 'Bearer ' + auth } }
                          : {});
    return r.json();
}

function dayOf(t) {
    return new Date(t).toISOString().slice(0, 10);
}


/* ---- a page in a fresh context, with what it asks for and what fails */

async function visit(urlPath, options) {
    const context = await browser.newContext(
        Object.assign({ locale: 'en-US' }, DESKTOP, options));

    await context.addInitScript(() => {
        window.__cspViolations = [];
        document.addEventListener('securitypolicyviolation', e => {
            window.__cspViolations.push(e.violatedDirective + ' '
                                        + e.blockedURI);
        });
    });

    const page = await context.newPage();
    const p = { context, page, requests: [], errors: [] };

    page.on('request', r => p.requests.push({
        url: r.url(), auth: r.headers().authorization || null }));
    page.on('response', r => {
        if (r.status() >= 400 && r.status() !== 401) {
            p.errors.push('HTTP ' + r.status() + ' ' + r.url());
        }
    });
    page.on('pageerror', e => p.errors.push('pageerror: ' + e.message));
    page.on('console', m => {
        if ((m.type() === 'error' || m.type() === 'warning')
            && !/status of 401/.test(m.text()))
        {
            p.errors.push(m.type() + ': ' + m.text());
        }
    });

    await page.goto(base + urlPath);

    return p;
}

/* the page has loaded everything it asked for (or stopped to ask) */
async function settled(page, want) {
    await page.waitForSelector('body[data-state="' + (want || 'ready')
                               + '"]', { timeout: 15000 });
}

async function axe(page, name) {
    if (!await page.evaluate(() => !!window.axe)) {
        await page.evaluate(axeSource);
    }

    const r = await page.evaluate(() => window.axe.run(document,
        { resultTypes: ['violations'] }));
    const bad = r.violations.filter(v => v.impact === 'serious'
                                         || v.impact === 'critical');

    ok(bad.length === 0, 'axe: no serious or critical violations (' + name
       + ')', bad.map(v => v.id + ': ' + v.help + ' '
                      + JSON.stringify(v.nodes.map(x => x.target)))
                 .join('\n'));

    r.violations.filter(v => bad.indexOf(v) < 0).forEach(v => {
        note('axe ' + v.impact + ': ' + v.id + ': ' + v.help);
    });
}

async function shot(page, name, full) {
    const file = path.join(artifacts, name);

    await page.screenshot({ path: file, fullPage: !!full });
    note('screenshot ' + file);
}

async function close(p, name) {
    const csp = await p.page.evaluate(() => window.__cspViolations);

    is(csp, [], name + ': no Content-Security-Policy violation');
    ok(p.requests.every(r => r.url.startsWith(base + '/')),
       name + ': no request to another site',
       p.requests.map(r => r.url).filter(u => !u.startsWith(base + '/')));
    ok(p.errors.length === 0, name + ': no page errors, console errors or '
       + 'failed requests', p.errors.join('\n'));
    await p.context.close();
}

function texts(page, selector) {
    return page.$$eval(selector, els => els.map(e => e.textContent));
}


/* ---- the scenarios */

/* everything on the page, for one survey, against /cx/score */
async function desktop() {
    const p = await visit('/cx/dashboard#survey=post_purchase');
    const { page } = p;

    await settled(page);

    const to = dayOf(Date.now());
    const from = dayOf(Date.now() - 29 * DAY);
    const range = 'from=' + from + '&to=' + to;

    is(await page.inputValue('#survey'), 'post_purchase',
       'a link to a survey (#survey=post_purchase) shows it');
    is([await page.inputValue('#from'), await page.inputValue('#to')],
       [from, to], 'the last 30 days (UTC) by default');
    ok(/survey=post_purchase&from=\d{4}-\d\d-\d\d&to=\d{4}-\d\d-\d\d$/
       .test(await page.evaluate(() => location.hash)),
       'the period is in the URL for a link');

    /* the cards: every survey with its score and interval */

    const surveys = (await api('report=surveys')).surveys;
    const ids = await page.$$eval('#cards button.card',
                                  bs => bs.map(b => b.dataset.survey));
    is(ids, surveys.map(s => s.id), 'a card for every configured survey');

    for (const s of surveys) {
        const r = await api('survey=' + s.id + '&' + range);
        const card = page.locator('#cards button[data-survey="' + s.id
                                  + '"]');

        is(await card.locator('.card-score').textContent(),
           fmt(s.type, r[s.type]), 'card ' + s.id + ': the score '
           + fmt(s.type, r[s.type]));
        is(await card.locator('.card-ci').textContent(),
           '95% interval ' + fmtCi(s.type, r.ci95),
           'card ' + s.id + ': its interval');
    }

    is(await page.getAttribute('#cards button[data-survey="post_purchase"]',
                               'aria-pressed'), 'true',
       'the chosen card is pressed');

    /* survey names: title= where given, else the id */

    is(surveys.map(s => s.title), surveys.map(s => s.id === 'post_purchase'
                                              ? 'Post-purchase NPS'
                                              : undefined),
       'report=surveys: a title where one is configured');
    is(await texts(page, '#cards .card-id'),
       surveys.map(s => s.title || s.id),
       'the cards are named by their titles, or their ids');
    is(await page.$eval('#survey option[value="post_purchase"]',
                        o => o.textContent), 'Post-purchase NPS (NPS)',
       'and the survey to choose');
    is(await page.textContent('#h-detail'), 'Post-purchase NPS \u2014 NPS',
       'and the survey shown');

    /* the survey: score, interval, rates */

    const total = await api('survey=post_purchase&' + range + '&by=day');

    ok(total.n > 300, 'the history and today\'s answers: n = ' + total.n);
    is(await page.textContent('#score'), fmt('nps', total.nps),
       'the score: NPS ' + fmt('nps', total.nps));
    is(await page.textContent('#kpis .kpi.main small'),
       '95% interval ' + fmtCi('nps', total.ci95),
       'its 95% interval: ' + fmtCi('nps', total.ci95));

    const kpis = await texts(page, '#kpis .kpi');
    ok(kpis.some(k => k.startsWith('Response rate' + total.response_rate
                                   .toFixed(1) + '%')),
       'the response rate: ' + total.response_rate + '%', kpis);
    ok(kpis.some(k => k.startsWith('Dismiss rate' + total.dismiss_rate
                                   .toFixed(1) + '%')),
       'the dismiss rate: ' + total.dismiss_rate + '%', kpis);
    is(await page.textContent('#question'),
       '\u201cHow likely are you to recommend Demo Shop to a friend?\u201d',
       'the question as configured');

    /* the trend: a point per day with answers, the band, the period */

    const points = await page.$$eval('#trend circle.trend-point',
        cs => cs.map(c => [c.dataset.day, +c.dataset.score, +c.getAttribute('cy')]));
    const days = total.groups.filter(g => g.nps !== null);

    is(points.map(x => [x[0], x[1]]), days.map(g => [g.day, g.nps]),
       'trend: a point for each of the ' + days.length
       + ' days with answers, at its NPS');
    ok(days.length >= 20, 'trend: weeks of history');
    ok(points.every((a, i) => points.every(b => a[1] === b[1]
                                           || (a[1] > b[1]) === (a[2] < b[2]))),
       'trend: a higher NPS is drawn higher');

    const band = await page.getAttribute('#trend path.trend-band', 'd');
    const line = await page.getAttribute('#trend path.trend-line', 'd');
    ok(/^M[\d.]+ [\d.]+(L[\d.]+ [\d.]+)+Z/.test(band)
       && (band.match(/L/g) || []).length >= 2 * days.length - 2,
       'trend: the interval band is a closed path around the days',
       band.slice(0, 80));
    ok(/^M[\d.]+ [\d.]+(L[\d.]+ [\d.]+)+/.test(line)
       && (line.match(/[ML]/g) || []).length === days.length,
       'trend: the line goes through every point', line.slice(0, 80));
    ok(/period [+\u2212]?\d/.test(await page.textContent('#trend svg')),
       'trend: the period\'s NPS is marked');
    is(await page.getAttribute('#trend svg', 'role'), 'img',
       'trend: an image to assistive technology');
    ok((await page.getAttribute('#trend svg', 'aria-label'))
       .indexOf(days.length + ' of 30 days with answers') > 0,
       'trend: described in words');
    is(await page.$$eval('#trend-table tbody tr', t => t.length), 30,
       'trend: and as a table of 30 days');

    /* the pain map: touchpoints by their share of low answers */

    const pain = await api('survey=post_purchase&' + range
                           + '&by=touchpoint');
    const rows = await page.$$eval('#pain tbody tr',
                                   t => t.map(r => r.dataset.touchpoint));

    is(rows, pain.groups.map(g => g.touchpoint),
       'pain map: the touchpoints in /cx/score\'s order: ' + rows.join(', '));
    ok(pain.groups.every((g, i) => i === 0
                         || (g.pain || 0) <= (pain.groups[i - 1].pain || 0)),
       'pain map: the most pain first');
    is(await texts(page, '#pain tbody tr .barline'),
       pain.groups.map(g => g.pain === null ? '\u2013'
                            : g.pain.toFixed(1) + '%'),
       'pain map: each touchpoint\'s share');

    /* the heat map: 24 hours and 7 weekdays, coloured by score */

    const hours = await api('survey=post_purchase&' + range + '&by=hour');
    const wdays = await api('survey=post_purchase&' + range + '&by=wday');
    const cells = await page.$$eval('#heat-hour rect.heat-cell',
        rs => rs.map(r => [r.dataset.key, +r.dataset.n, r.getAttribute('fill')]));
    const wcells = await page.$$eval('#heat-wday rect.heat-cell',
        rs => rs.map(r => [r.dataset.key, +r.dataset.n]));

    is(cells.map(c => [c[0], c[1]]), hours.groups.map(g => [g.hour, g.n]),
       'heat map: 24 hours with their answers');
    is(wcells, wdays.groups.map(g => [g.wday, g.n]),
       'heat map: 7 weekdays, Monday first, with their answers');
    ok(cells.every((c, i) => (hours.groups[i].nps === null) === (c[2] === NONE)),
       'heat map: grey only where there are no answers');
    ok(new Set(cells.map(c => c[2])).size > 4, 'heat map: in several colours');

    /* the journey */

    const journey = await api('report=touchpoints&' + range);
    is(await page.$$eval('#journey tbody tr',
                         t => t.map(r => r.dataset.touchpoint)),
       journey.touchpoints.map(t => t.touchpoint),
       'journey: every touchpoint, most viewed first');

    /* the latest follow-ups, visitors' words as text */

    const fus = await api('report=followups&survey=post_purchase&' + range
                          + '&count=100');
    const comments = await texts(page, '#comments li.comment .comment-text');

    is(comments.length, Math.min(20, fus.followups.length),
       'comments: the latest ' + comments.length + ' (a page)');
    is(comments, fus.followups.slice(0, 20).map(
        f => f.comment ? f.comment.trim() : 'No comment.'),
       'comments: newest first, as /cx/score has them');
    is(comments[0], xss, 'comments: the latest one, "<script>" and all, '
       + 'as text');
    is(await page.$$eval('#comments script, #comments img', e => e.length), 0,
       'comments: no element made from a comment');
    is(await page.evaluate(() => window.__cx_xss === undefined), true,
       'comments: nothing in a comment ran');

    await axe(page, 'desktop');
    await shot(page, 'dashboard-desktop.png', true);
    await shot(page, 'dashboard-top.png', false);
    await close(p, 'desktop');
}

/* keyboard only: skip link, a survey card, the heat map's colouring */
async function keyboard() {
    const p = await visit('/cx/dashboard#survey=post_purchase');
    const { page } = p;
    let tabs = 0;

    await settled(page);

    await page.keyboard.press('Tab');
    is(await page.evaluate(() => document.activeElement.textContent),
       'Skip to the scores', 'Tab: the skip link first');
    await page.keyboard.press('Enter');
    is(await page.evaluate(() => document.activeElement.id), 'main',
       'Enter: to the scores');

    while (tabs++ < 30 && await page.evaluate(() =>
        document.activeElement.dataset.survey !== 'checkout_csat'))
    {
        await page.keyboard.press('Tab');
    }

    ok(tabs < 30, 'Tab: reaches the checkout_csat card (' + tabs + ' tabs)');
    ok(await page.evaluate(() => getComputedStyle(document.activeElement)
                                 .outlineStyle !== 'none'),
       'the focus is visible');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => location.hash.indexOf('checkout_csat') > 0);
    await settled(page);
    ok((await page.textContent('#h-detail')).startsWith('checkout_csat'),
       'Enter: the card\'s survey is shown');
    is(await page.getAttribute('#cards button[data-survey="checkout_csat"]',
                               'aria-pressed'), 'true', 'and its card pressed');
    ok(/%$/.test(await page.textContent('#score')), 'a CSAT, in %');
    is(await page.$$eval('#trend circle.trend-point', c => c.length) > 10, true,
       'its trend');

    const before = await page.$$eval('#heat-hour rect.heat-cell',
                                     rs => rs.map(r => r.getAttribute('fill')));
    await page.focus('input[name="heat"][value="score"]');
    await page.keyboard.press('ArrowRight');
    is(await page.inputValue('input[name="heat"]:checked'), 'n',
       'arrow keys: colour the heat map by answers');
    const after = await page.$$eval('#heat-hour rect.heat-cell',
                                    rs => rs.map(r => r.getAttribute('fill')));
    ok(JSON.stringify(before) !== JSON.stringify(after), 'the colours change');

    await close(p, 'keyboard');
}

/* the filters: a touchpoint, a shorter period, a period that is wrong */
async function filters() {
    const p = await visit('/cx/dashboard#survey=post_purchase');
    const { page } = p;

    await settled(page);

    const options = await page.$$eval('#touchpoint option', o => o.map(x => x.value));
    ok(options.indexOf('thanks') > 0, 'the touchpoints to choose from',
       options);

    await page.selectOption('#touchpoint', 'thanks');
    await page.waitForFunction(() => location.hash.indexOf('touchpoint=thanks') > 0);
    await settled(page);

    const to = dayOf(Date.now());
    const from = dayOf(Date.now() - 29 * DAY);
    const r = await api('survey=post_purchase&touchpoint=thanks&from=' + from
                        + '&to=' + to);

    is(await page.textContent('#score'), fmt('nps', r.nps),
       'touchpoint=thanks: its score');
    is(await page.getAttribute('#pain tr[data-touchpoint="thanks"]',
                               'aria-current'), 'true',
       'touchpoint=thanks: marked in the pain map');
    ok((await texts(page, '#comments .comment-tp')).every(t => t === 'thanks'),
       'touchpoint=thanks: its comments only');

    const week = dayOf(Date.now() - 6 * DAY);
    await page.fill('#from', week);
    await page.click('#filters button[type="submit"]');
    await page.waitForFunction(w => location.hash.indexOf('from=' + w) > 0, week);
    await settled(page);
    is(await page.$$eval('#trend-table tbody tr', t => t.length), 7,
       'a week: 7 days in the trend');

    /* a survey asked at several touchpoints: the pain map's order */

    await page.selectOption('#touchpoint', '');
    await page.selectOption('#survey', 'support_ces');
    await page.waitForFunction(() => location.hash.indexOf('support_ces') > 0
                                     && location.hash.indexOf('touchpoint') < 0);
    await settled(page);

    const pain = await api('survey=support_ces&by=touchpoint&from=' + week
                           + '&to=' + to);
    const rows = await page.$$eval('#pain tbody tr',
                                   t => t.map(r => r.dataset.touchpoint));

    ok(rows.length >= 2, 'support_ces: a pain map of ' + rows.length
       + ' touchpoints');
    is(rows, pain.groups.map(g => g.touchpoint),
       'support_ces: the most pain first, as /cx/score ranks them: '
       + rows.join(', '));
    is(rows[0], 'help.returns', 'support_ces: the returns article hurts most');

    await page.fill('#from', dayOf(Date.now() + 2 * DAY));
    await page.click('#filters button[type="submit"]');
    ok(/must be on or before/.test(await page.textContent('#status')),
       'from after to: said so, in the status line');
    is(await page.getAttribute('#status', 'class'), 'status error',
       'as an error');

    await close(p, 'filters');
}

/* /cx/score behind cx_score_token: asked once, kept in the tab */
async function bearer() {
    const p = await visit('/cx/dashboard-private');
    const { page } = p;

    await settled(page, 'auth');
    ok(await page.isVisible('#auth'), 'token needed: the token field shows');
    is(await page.evaluate(() => document.activeElement.id), 'token',
       'and has the focus');

    await page.keyboard.type('wrong-token-0123456789');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => /refused/.test(
        document.getElementById('auth-why').textContent));
    await settled(page, 'auth');
    ok(true, 'a wrong token: refused, asked again');

    await page.fill('#token', token);
    await page.keyboard.press('Enter');
    await settled(page);
    ok(await page.isHidden('#auth'), 'the right token: the scores');
    is(await page.evaluate(() => sessionStorage.getItem('cx-dashboard-token')),
       token, 'kept in sessionStorage');
    ok(p.requests.filter(r => r.url.indexOf('/cx/score-private?') > 0)
       .slice(-5).every(r => r.auth === 'Bearer ' + token),
       'sent as a bearer token');

    await page.reload();
    await settled(page);
    ok(true, 'reloaded: not asked again');

    const ci = await page.textContent('#kpis .kpi.main small');
    ok(/^95% interval /.test(ci), 'the scores through the guarded endpoint');

    await page.click('#forget');
    await settled(page, 'auth');
    is(await page.evaluate(() => sessionStorage.getItem('cx-dashboard-token')),
       null, 'forgotten');

    await close(p, 'token');
}

/* Tab (or Shift+Tab) to a control (by CSS selector), at most `most` */
async function tabTo(page, selector, most, back) {
    let tabs = 0;

    while (tabs++ < (most || 60) && !await page.evaluate(
        sel => document.activeElement && document.activeElement.matches(sel),
        selector))
    {
        await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
    }

    return ok(tabs < (most || 60), 'Tab: reaches ' + selector + ' (' + tabs
              + ' tabs)');
}

/* what a change badge says: the API's diff, significant or not, in words */
function badgeOk(b, c) {
    if (!c || c.diff === null) {
        return b === null || b.sig === 'none';
    }

    if (c.n === 0) {
        return b === null || b.sig === 'none';
    }

    return b !== null && +b.diff === c.diff
           && b.sig === (c.significant ? 'yes' : 'no')
           && (c.significant ? /^[\u25b2\u25bc] .* significant$/.test(b.text)
                             : /^\u2248 .* not (significant|tested)$/
                               .test(b.text));
}

function badges(page, selector) {
    return page.$$eval(selector, es => es.map(e => {
        const b = e.querySelector('.change');
        return b ? { text: b.textContent, sig: b.dataset.significant,
                     diff: b.dataset.diff, cls: b.className } : null;
    }));
}

/* where changes show (the pain map's "against the rest" always does) */
const CHANGES = ['#cards', '#kpis', '#trend-table', '#pain td:last-child',
                 '#heat-table', '#journey'].map(x => x + ' .change').join();

/* compare with the previous period: every figure's change, tested or not */
async function compare() {
    const to = dayOf(Date.now());
    const from = dayOf(Date.now() - 13 * DAY);
    const p = await visit('/cx/dashboard#survey=post_purchase&from=' + from
                          + '&to=' + to);
    const { page } = p;
    const range = 'from=' + from + '&to=' + to + '&compare=previous';

    await settled(page);
    is(await page.$$eval(CHANGES, e => e.length), 0,
       'no comparison asked: no change shown');

    await tabTo(page, '#compare');
    await page.keyboard.press('Space');
    await page.waitForFunction(() => location.hash
                               .indexOf('compare=previous') > 0);
    await settled(page);
    ok(await page.isChecked('#compare'),
       'Space: compare with the previous period (in the URL too)');

    /* the cards */

    const surveys = (await api('report=surveys')).surveys;
    const cards = await badges(page, '#cards button.card');
    const apis = [];

    for (const s of surveys) {
        apis.push(await api('survey=' + s.id + '&' + range));
    }

    ok(apis.every((r, i) => badgeOk(cards[i], r.compare)),
       'every card: its change, significant or not, as /cx/score says',
       { cards, compare: apis.map(r => r.compare) });
    ok(apis.some(r => r.compare && r.compare.significant)
       && apis.some(r => r.compare && r.compare.diff !== null
                         && !r.compare.significant),
       'the data has both a significant and an insignificant change',
       apis.map(r => r.compare));

    /* the survey's own figures */

    const total = await api('survey=post_purchase&' + range);
    const main = await badges(page, '#kpis .kpi.main');
    ok(badgeOk(main[0], total.compare),
       'the score: its change ' + (main[0] && main[0].text), main);
    ok(/against .*p [=<] /.test(await page.textContent('#kpis .kpi.main '
                                                     + '.change-line')),
       'with the period compared, its interval and p');
    const untested = await page.$$eval('#kpis .change.is-untested',
                                       e => e.map(x => x.textContent));
    ok(untested.length >= 4 && untested.every(t => / \(not tested\)$/.test(t)),
       'answers, shown, rates: their changes, said not tested', untested);

    /* not only by colour: the words, the arrow and the border differ */

    const looks = await page.evaluate(() => {
        const sig = document.querySelector('.change.is-sig');
        const ns = document.querySelector('.change.is-ns, .change.is-untested');
        return sig && ns && [getComputedStyle(sig).borderTopStyle,
                             getComputedStyle(sig).fontWeight,
                             getComputedStyle(ns).borderTopStyle,
                             getComputedStyle(ns).fontWeight];
    });
    ok(looks && looks[0] === 'solid' && looks[2] !== 'solid'
       && +looks[1] > +looks[3],
       'significant: solid border, bold; not: dashed or dotted, plain',
       looks);

    /* the trend, the pain map, the heat map, the journey */

    const day = await api('survey=post_purchase&by=day&' + range);
    ok(/^M/.test(await page.getAttribute('#trend path.trend-prev', 'd')),
       'trend: the previous period as a dashed line');
    ok(/previous [+\u2212]?\d/.test(await page.textContent('#trend svg')),
       'trend: the previous period\'s score marked');
    const trows = await badges(page, '#trend-table tbody tr');
    ok(day.groups.every((g, i) => badgeOk(trows[i], g.compare)),
       'trend table: each day against the day as far into the previous '
       + 'period');

    const pain = await api('survey=post_purchase&by=touchpoint&' + range);
    const prows = await page.$$eval('#pain tbody tr', t => t.map(r => {
        const cells = r.querySelectorAll('td');
        const one = c => {
            const b = c.querySelector('.change');
            return b ? { text: b.textContent, sig: b.dataset.significant,
                         diff: b.dataset.diff } : null;
        };
        return [one(cells[cells.length - 2]), one(cells[cells.length - 1])];
    }));
    ok(pain.groups.every((g, i) => badgeOk(prows[i][0], g.vs_rest)
                                   && badgeOk(prows[i][1], g.compare)),
       'pain map: each touchpoint against the rest and against before',
       prows);

    const hours = await api('survey=post_purchase&by=hour&' + range);
    const hrows = await badges(page, '#heat-table tbody tr');
    ok(hours.groups.every((g, i) => badgeOk(hrows[i], g.compare)),
       'heat map table: each hour against the same hour before');

    ok(await page.$$eval('#journey tbody tr .change.is-untested',
                         e => e.length) >= 5,
       'journey: the counts\' changes, not tested');

    await axe(page, 'compare');
    /* for the README: the cards and the survey, compared */
    const top = await page.locator('section:has(#cards)').boundingBox();
    const end = await page.locator('#detail').boundingBox();
    await page.screenshot({
        path: path.join(artifacts, 'dashboard-compare.png'), fullPage: true,
        clip: { x: top.x, y: top.y, width: top.width,
                height: end.y + end.height - top.y } });
    await shot(page, 'dashboard-compare-full.png', true);

    /* and off again */

    await page.focus('#compare');
    await page.keyboard.press('Space');
    await page.waitForFunction(() => location.hash.indexOf('compare') < 0);
    await settled(page);
    is(await page.$$eval(CHANGES, e => e.length), 0,
       'compare off: no change shown');

    await close(p, 'compare');
}

/* the period presets, keyboard only */
async function presets() {
    const p = await visit('/cx/dashboard#survey=post_purchase');
    const { page } = p;
    const to = dayOf(Date.now());
    const first = to.slice(0, 8) + '01';
    const lastEnd = dayOf(Date.parse(first + 'T00:00:00Z') - DAY);
    const want = {
        7: [dayOf(Date.now() - 6 * DAY), to, 7],
        90: [dayOf(Date.now() - 89 * DAY), to, 90],
        month: [first, to, +to.slice(8) ],
        'last-month': [lastEnd.slice(0, 8) + '01', lastEnd, +lastEnd.slice(8)],
        30: [dayOf(Date.now() - 29 * DAY), to, 30]
    };

    await settled(page);
    is(await page.$$eval('button[data-preset][aria-pressed="true"]',
                         b => b.map(x => x.dataset.preset)), ['30'],
       'the default period is the "30 days" preset, pressed');

    for (const k of ['7', '90', 'month', 'last-month', '30']) {
        const [f, t, days] = want[k];

        await page.focus('#survey');
        await tabTo(page, 'button[data-preset="' + k + '"]');
        await page.keyboard.press('Enter');
        await page.waitForFunction(w => location.hash.indexOf('from=' + w[0]
            + '&to=' + w[1]) > 0, [f, t]);
        await settled(page);
        is([await page.inputValue('#from'), await page.inputValue('#to'),
            await page.$$eval('#trend-table tbody tr', r => r.length)],
           [f, t, days], 'preset ' + k + ': ' + f + ' to ' + t + ', '
           + days + ' days in the trend');
        /* on the 7th of a month, "7 days" is "this month" too */
        const same = ['7', '30', '90', 'month', 'last-month'].filter(
            x => want[x][0] === f && want[x][1] === t);
        is(await page.$$eval('button[data-preset][aria-pressed="true"]',
                             b => b.map(x => x.dataset.preset)), same,
           'preset ' + k + ': pressed (and any that is the same period), '
           + 'the others not');
    }

    await page.fill('#from', dayOf(Date.now() - 3 * DAY));
    await page.click('#filters button[type="submit"]');
    await page.waitForFunction(() => /from=\d/.test(location.hash)
                               && !document.querySelector(
                                   'button[data-preset][aria-pressed="true"]'));
    await settled(page);
    ok(true, 'a period of its own: no preset pressed');

    await axe(page, 'presets');
    await close(p, 'presets');
}

/* the heat map: too few answers hatched; each cell's n and interval on
   hover and on keyboard focus */
async function heat() {
    /* a week, or two where the week's seeded history (random, by the
       day's date) leaves every hour with fewer than 30 answers */
    const to = dayOf(Date.now());
    let from, hours;
    for (const days of [7, 14]) {
        from = dayOf(Date.now() - (days - 1) * DAY);
        hours = await api('survey=post_purchase&by=hour&from=' + from
                          + '&to=' + to);
        if (hours.groups.some(g => g.n >= 30)) {
            break;
        }
    }
    const p = await visit('/cx/dashboard#survey=post_purchase&from=' + from
                          + '&to=' + to);
    const { page } = p;

    await settled(page);

    const cells = await page.$$eval('#heat-hour rect.heat-cell', rs => rs.map(
        r => [r.dataset.key, +r.dataset.n, r.classList.contains('is-few'),
              r.getAttribute('aria-label')]));
    const hatches = await page.$$eval('#heat-hour rect.heat-hatch',
                                      rs => rs.length);
    const few = hours.groups.filter(g => g.n > 0 && g.n < 30);

    ok(few.length > 0 && few.length < 24,
       'the range has hours with fewer than 30 answers and hours with more ('
       + few.length + ' few)');
    is(cells.map(c => c[2]), hours.groups.map(g => g.n > 0 && g.n < 30),
       'exactly the cells with 1 to 29 answers are marked few');
    is(hatches, few.length, 'and hatched');
    ok(hours.groups.every((g, i) => cells[i][3].indexOf(
        (g.n === 1 ? '1 answer' : g.n.toLocaleString('en-US') + ' answers')
        + (g.nps === null ? '' : ', NPS ' + fmt('nps', g.nps)
           + ', 95% interval ' + fmtCi('nps', g.ci95))) > 0
        && (cells[i][3].indexOf('too few') > 0) === (g.n > 0 && g.n < 30)),
       'every cell\'s label: its answers, score and interval; "too few" '
       + 'where hatched', cells.map(c => c[3]).slice(0, 3));

    /* keyboard: one tab stop per strip, arrows between cells */

    await page.focus('input[name="heat"][value="n"]');
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Shift+Tab');
    await tabTo(page, '#heat-hour rect.heat-cell', 10);
    is(await page.evaluate(() => document.activeElement.dataset.key), '00',
       'Tab: the first hour');
    is(await page.textContent('#heat-readout'), cells[0][3],
       'focused: its answers and interval read out');

    await page.keyboard.press('ArrowRight');
    is(await page.evaluate(() => document.activeElement.dataset.key), '01',
       'ArrowRight: the next hour');
    await page.keyboard.press('ArrowLeft');
    is(await page.evaluate(() => document.activeElement.dataset.key), '00',
       'ArrowLeft: back');
    const fi = few.length ? hours.groups.indexOf(few[0]) : 0;
    for (let i = 0; i < fi; i++) {
        await page.keyboard.press('ArrowRight');
    }
    is(await page.evaluate(() => document.activeElement.dataset.key),
       hours.groups[fi].hour,
       'ArrowRight: hour by hour to ' + hours.groups[fi].hour);
    const text = await page.textContent('#heat-readout');
    is(text, cells[fi][3], 'a hatched hour, focused: ' + text);
    ok(/too few to read/.test(text), 'said to be too few to read');
    ok(await page.evaluate(() => getComputedStyle(document.activeElement)
                                 .strokeWidth === '3px'),
       'the focused cell is outlined');
    await page.keyboard.press('End');
    is(await page.evaluate(() => document.activeElement.dataset.key), '23',
       'End: the last hour');
    await page.keyboard.press('Tab');
    is(await page.evaluate(() => {
        const e = document.activeElement;
        return (e.closest('#heat-wday') ? 'wday ' : e.outerHTML.slice(0, 200))
               + e.dataset.key;
    }),
       'wday mon', 'Tab: on to the weekdays, Monday');

    /* the mouse */

    await page.hover('#heat-hour rect.heat-cell[data-key="14"]');
    is(await page.textContent('#heat-readout'),
       cells[14][3], 'hovered: 14:00 read out');

    await axe(page, 'heat map');

    /* for the README: 30 days, a hatched hour focused */
    await page.click('button[data-preset="30"]');
    await page.waitForFunction(() => document.querySelector(
        'button[data-preset="30"]').getAttribute('aria-pressed') === 'true');
    await settled(page);
    await page.focus('#heat-hour rect.heat-cell.is-few').catch(() => {});
    await page.locator('section:has(#heat-hour)').screenshot({
        path: path.join(artifacts, 'dashboard-heat.png') });
    await close(p, 'heat');
}

/* the heat map in another time zone (cx_score_time_zone utc
   Europe/Paris): named above it, chosen with the keyboard, the cells as
   /cx/score has them with tz=, the choice kept in the URL */
async function timeZone() {
    const to = dayOf(Date.now());
    const from = dayOf(Date.now() - 6 * DAY);
    const p = await visit('/cx/dashboard#survey=post_purchase&from=' + from
                          + '&to=' + to);
    const { page } = p;
    const range = 'survey=post_purchase&from=' + from + '&to=' + to;
    const ns = sel => page.$$eval(sel + ' rect.heat-cell',
                                  rs => rs.map(r => +r.dataset.n));

    await settled(page);

    is(await page.textContent('#heat-zone'), 'UTC', 'the heat map: in UTC');
    is(await page.$$eval('#heat-tz option', os => os.map(o => o.value)),
       ['utc', 'Europe/Paris'], 'the zones offered: those of /cx/score');
    ok(await page.isVisible('#heat-tz'), 'the time zone selector is shown');

    await page.focus('input[name="heat"][value="score"]');
    await tabTo(page, '#heat-tz', 10);
    await page.keyboard.press('ArrowDown');
    await page.waitForFunction(() => document.querySelector('#heat-zone')
                               .textContent === 'Europe/Paris');
    await settled(page);

    const hours = await api(range + '&by=hour&tz=Europe/Paris');
    const wdays = await api(range + '&by=wday&tz=Europe/Paris');
    const utc = await api(range + '&by=hour');

    is(hours.time_zone, 'Europe/Paris', 'tz=Europe/Paris answers in Paris');
    is(await ns('#heat-hour'), hours.groups.map(g => g.n),
       'keyboard: Europe/Paris; the hours as /cx/score has them there');
    is(await ns('#heat-wday'), wdays.groups.map(g => g.n),
       'and the weekdays');
    ok(hours.groups.some((g, i) => g.n !== utc.groups[i].n),
       'which are not the UTC hours');
    ok(/tz=Europe%2FParis/.test(await page.evaluate(() => location.hash)),
       'the zone is in the URL');
    ok(/Europe\/Paris/.test(await page.getAttribute(
        '#heat-hour rect.heat-cell[data-key="14"]', 'aria-label')),
       'a cell says its zone');

    const [dl] = await Promise.all([page.waitForEvent('download'),
                                    page.click('button[data-csv="heat"]')]);
    is(dl.suggestedFilename(), 'cx-post_purchase-heat-' + from + '-' + to
       + '-Europe-Paris.csv', 'the heat map\'s CSV is named for its zone');

    await axe(page, 'time zone');
    await close(p, 'time zone');

    /* a link with a zone the endpoint does not offer: its default */
    const q = await visit('/cx/dashboard#' + range + '&tz=Mars%2FOlympus');
    await settled(q.page);
    is(await q.page.textContent('#heat-zone'), 'UTC',
       'tz= not offered: the heat map in the default zone');
    ok(!/tz=/.test(await q.page.evaluate(() => location.hash)),
       'and the URL without it');
    q.errors = q.errors.filter(e => !/HTTP 400 .*tz=Mars/.test(e)
                                    && !/status of 400/.test(e));
    await close(q, 'time zone not offered');
}

/* the precision line: how many more answers, how many days */
async function precision() {
    const to = dayOf(Date.now());
    const from = dayOf(Date.now() - 6 * DAY);
    const p = await visit('/cx/dashboard#survey=post_purchase&from=' + from
                          + '&to=' + to);
    const { page } = p;
    const n = v => v.toLocaleString('en-US');
    const days = d => 'about ' + n(d) + (d === 1 ? ' day' : ' days')
                      + ' at this period\'s rate';

    await settled(page);

    for (const [survey, margin, change] of [['post_purchase', '5 points',
                                             '10 points'],
                                            ['support_ces', '0.25', '0.50']])
    {
        if (survey !== 'post_purchase') {
            await page.focus('#survey');
            await page.selectOption('#survey', survey);
            await page.waitForFunction(s => location.hash.indexOf(s) > 0,
                                       survey);
            await settled(page);
        }

        const r = await api('survey=' + survey + '&from=' + from + '&to='
                            + to);
        const text = await page.textContent('#precision');
        const pr = r.precision;
        const de = r.detectable;

        ok(pr.more > 0, survey + ': more answers are needed (' + pr.more
           + ')');
        ok(text.startsWith(n(pr.more) + ' more answers for \u00b1' + margin
                           + ' (' + n(pr.needed) + ' in all), '
                           + days(pr.days) + '.'),
           survey + ': the precision line: ' + text);
        ok(text.indexOf('To tell a change of ' + change
                        + ' between two such periods: ' + n(de.needed)
                        + ' answers in each') > 0,
           survey + ': and the change it could tell', text);

        if (survey === 'post_purchase') {
            await page.locator('#detail').screenshot({
                path: path.join(artifacts, 'dashboard-precision.png') });
        }
    }

    /* 30 days of support_ces: enough */
    await page.click('button[data-preset="30"]');
    await page.waitForFunction(() => document.querySelector(
        'button[data-preset="30"]').getAttribute('aria-pressed') === 'true');
    await settled(page);

    const r = await api('survey=support_ces&from='
                        + dayOf(Date.now() - 29 * DAY) + '&to=' + to);
    is(await page.textContent('#precision'), r.precision.more === 0
       ? 'Enough answers for \u00b10.25: ' + n(r.precision.needed)
         + ' needed, ' + n(r.n) + ' in hand. To tell a change of 0.50 '
         + 'between two such periods: ' + n(r.detectable.needed)
         + ' answers in each'
         + (r.detectable.more ? ', ' + n(r.detectable.more) + ' more, '
            + days(r.detectable.days) : ', which this period has') + '.'
       : 'not enough after all: ' + JSON.stringify(r.precision),
       'support_ces, 30 days: enough answers for \u00b10.25, said so');

    await close(p, 'precision');
}

/* the follow-ups: paged and searched in the page, keyboard only */
async function followups() {
    const p = await visit('/cx/dashboard#survey=post_purchase');
    const { page } = p;
    const to = dayOf(Date.now());
    const from = dayOf(Date.now() - 29 * DAY);
    const all = (await api('report=followups&survey=post_purchase&from='
                           + from + '&to=' + to + '&count=100')).followups;
    const shown = () => texts(page, '#comments li.comment .comment-text');
    const want = list => list.map(f => f.comment ? f.comment.trim()
                                                 : 'No comment.');

    await settled(page);
    ok(all.length > 40, 'more follow-ups than two pages: ' + all.length);
    ok((await page.textContent('#comments-count')).startsWith(
        all.length + ' follow-ups'), 'how many: '
       + await page.textContent('#comments-count'));
    is(await page.getAttribute('#comments-newer', 'aria-disabled'), 'true',
       'the first page: no newer one');

    await page.focus('#comments-search');
    await tabTo(page, '#comments-older', 10);
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => /^Page 2 /.test(
        document.getElementById('comments-page').textContent));
    is(await shown(), want(all.slice(20, 40)), 'Older: the next 20');
    is(await page.evaluate(() => document.activeElement.id), 'comments-older',
       'the focus stays on the button');
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => /^Page 1 /.test(
        document.getElementById('comments-page').textContent));
    is(await shown(), want(all.slice(0, 20)), 'Newer: the first 20 again');

    /* search: the comment, the page, the touchpoint */

    await tabTo(page, '#comments-search', 10, true);
    await page.keyboard.type('COURIER');
    const courier = all.filter(f => /courier/i.test(f.comment || ''));
    await page.waitForFunction(n => document.querySelectorAll(
        '#comments li.comment').length === n, Math.min(20, courier.length));
    ok(courier.length > 0, 'some comments speak of the courier ('
       + courier.length + ')');
    is(await shown(), want(courier.slice(0, 20)),
       'search "COURIER": those, whatever the case');
    ok(/ of \d+ with \u201cCOURIER\u201d$/.test(
        await page.textContent('#comments-count')), 'and how many of all');

    await page.fill('#comments-search', 'coupon &');
    await page.waitForFunction(() => document.querySelectorAll(
        '#comments li.comment').length === 1);
    is(await shown(), [process.env.CX_XSS_COMMENT],
       'search "coupon &": the comment with <script>, as text');
    is(await page.evaluate(() => window.__cx_xss === undefined), true,
       'nothing in it ran');

    await page.fill('#comments-search', 'no such words');
    await page.waitForFunction(() => /No follow-up with/.test(
        document.getElementById('comments').textContent));
    ok(await page.isHidden('.pager'), 'no match: said so, no pages');

    await page.fill('#comments-search', '');
    await page.waitForFunction(n => document.querySelectorAll(
        '#comments li.comment').length === n, Math.min(20, all.length));
    ok(true, 'search emptied: all of them again');

    await axe(page, 'follow-ups');

    /* Older past the 100 read: the next ones, after the report's cursor */

    const first = await api('report=followups&survey=post_purchase&from='
                            + from + '&to=' + to + '&count=100');
    ok(first.next, 'more than 100 follow-ups in the period: a next');
    const second = (await api('report=followups&survey=post_purchase&from='
                              + from + '&to=' + to + '&count=100&cursor='
                              + first.next)).followups;
    for (let i = 0; i < 5; i++) {
        await page.click('#comments-older');
    }
    await page.waitForFunction(() => /^Page 6 /.test(
        document.getElementById('comments-page').textContent));
    is(await shown(), want(second.slice(0, 20)),
       'Older past the 100th: the next 20, read with the cursor');
    await page.click('#comments-newer');
    await page.waitForFunction(() => /^Page 5 /.test(
        document.getElementById('comments-page').textContent));
    is(await shown(), want(all.slice(80, 100)), 'Newer: the 81st to 100th');

    await close(p, 'follow-ups');
}

/* CSV: quoted fields, "" inside, CRLF; returns rows of raw cells, with
   whether each was quoted */
function parseCsv(text) {
    const rows = [];
    let row = [];
    let i = 0;

    ok(text.charCodeAt(0) === 0xfeff, 'CSV: a UTF-8 byte order mark first');
    text = text.slice(1);

    while (i < text.length) {
        let cell;

        if (text[i] === '"') {
            let j = i + 1;
            cell = '';
            for (;;) {
                const q = text.indexOf('"', j);
                if (text[q + 1] === '"') {
                    cell += text.slice(j, q + 1);
                    j = q + 2;
                } else {
                    cell += text.slice(j, q);
                    i = q + 1;
                    break;
                }
            }
            cell = { v: cell, quoted: true };
        } else {
            let j = i;
            while (j < text.length && text[j] !== ',' && text[j] !== '\r') {
                j++;
            }
            cell = { v: text.slice(i, j), quoted: false };
            i = j;
        }

        row.push(cell);

        if (text[i] === ',') {
            i++;
        } else if (text.slice(i, i + 2) === '\r\n') {
            rows.push(row);
            row = [];
            i += 2;
        } else {
            throw new Error('CSV: bad byte at ' + i + ': '
                            + text.slice(i, i + 20));
        }
    }

    return rows;
}

/* CSV downloads of what is on screen, keyboard only */
async function csv() {
    const to = dayOf(Date.now());
    const from = dayOf(Date.now() - 13 * DAY);
    const range = 'from=' + from + '&to=' + to;
    const p = await visit('/cx/dashboard#survey=checkout_csat&' + range
                          + '&compare=previous');
    const { page } = p;
    const files = {};

    await settled(page);

    for (const what of ['scores', 'trend', 'pain', 'heat', 'journey',
                        'followups'])
    {
        await page.focus('#survey');
        await tabTo(page, 'button[data-csv="' + what + '"]', 80);
        const [dl] = await Promise.all([page.waitForEvent('download'),
                                        page.keyboard.press('Enter')]);
        const text = fs.readFileSync(await dl.path(), 'utf8');

        is(dl.suggestedFilename(), 'cx-checkout_csat-' + what + '-' + from
           + '-' + to + '.csv', 'CSV ' + what + ': named for what it holds');
        files[what] = parseCsv(text);
    }

    const v = rows => rows.map(r => r.map(c => c.v));
    const num = x => x === '' ? null : +x;

    /* the scores: every survey, its score and its comparison */

    const surveys = (await api('report=surveys')).surveys;
    const sc = v(files.scores);
    const head = sc[0];
    const scores = [];
    for (const s of surveys) {
        scores.push(await api('survey=' + s.id + '&' + range
                              + '&compare=previous'));
    }
    is(sc.slice(1).map(r => [r[0], num(r[head.indexOf('score')]),
                             num(r[head.indexOf('previous_diff')]),
                             r[head.indexOf('previous_significant')]]),
       scores.map(r => [r.survey, r[r.type], r.compare.diff,
                        String(r.compare.significant)]),
       'CSV scores: every survey, its score, change and significance');

    /* the trend, the pain map, the heat map, the journey */

    const day = await api('survey=checkout_csat&by=day&' + range
                          + '&compare=previous');
    const tr = v(files.trend);
    is(tr.slice(1).map(r => [r[1], num(r[3])]),
       day.groups.map(g => [g.day, g.csat]), 'CSV trend: each day, its CSAT');

    const pain = await api('survey=checkout_csat&by=touchpoint&' + range
                           + '&compare=previous');
    is(v(files.pain).slice(1).map(r => r[0]),
       pain.groups.map(g => g.touchpoint), 'CSV pain map: the touchpoints');
    is(v(files.heat).length, 1 + 24 + 7, 'CSV heat: 24 hours and 7 weekdays');
    const journey = await api('report=touchpoints&' + range);
    is(v(files.journey).slice(1).map(r => [r[0], +r[1]]),
       journey.touchpoints.map(t => [t.touchpoint, t.events.view]),
       'CSV journey: every touchpoint and its views');
    ok(v(files.journey)[0].indexOf('previous_view') > 0,
       'CSV journey: the previous period\'s counts too');

    /* the follow-ups: what visitors wrote, never a formula */

    const fu = files.followups;
    const comments = fu.slice(1).map(r => r[6]);
    const fus = (await api('report=followups&survey=checkout_csat&' + range
                           + '&count=100')).followups;

    is(comments.length, fus.length, 'CSV follow-ups: all ' + fus.length);
    ok(comments.some(c => c.v === "'=HYPERLINK(\"http://x.invalid\")+1"
                          && c.quoted),
       'a comment starting with = behind a quote', comments.map(c => c.v)
       .slice(0, 3));
    ok(comments.some(c => c.v === "'-2+3 was the total" && c.quoted),
       'a comment starting with - too');
    ok(fu.every(r => r.every(c => !/^[=+\-@\t\r]/.test(c.v)
                                  || (!c.quoted && /^-?[\d.]+$/.test(c.v)))),
       'no text cell starts with = + - @ (numbers may be negative)');
    ok(v(files.scores).concat(v(files.pain)).some(r => r.some(
        x => /^-\d/.test(x))), 'negative numbers stay numbers');

    await close(p, 'csv');
}

/* a phone: one column, nothing wider than the screen */
async function mobile() {
    const p = await visit('/cx/dashboard#survey=post_purchase', MOBILE);
    const { page } = p;

    await settled(page);

    ok(await page.evaluate(() => document.documentElement.scrollWidth
                                 <= window.innerWidth),
       'phone: nothing wider than the screen');
    ok(await page.evaluate(() => {
        const r = document.querySelector('#trend svg').getBoundingClientRect();
        return r.width > 250 && r.right <= window.innerWidth;
    }), 'phone: the trend fits the screen');
    ok(await page.evaluate(() => parseFloat(getComputedStyle(
        document.querySelector('.comment-text')).fontSize) >= 14),
       'phone: comments readable');

    await axe(page, 'phone');
    await shot(page, 'dashboard-mobile.png', false);
    await shot(page, 'dashboard-mobile-full.png', true);
    await close(p, 'phone');
}


async function main() {
    const t0 = Date.now();

    if (!base || !token || !xss) {
        throw new Error('CX_BASE_URL, CX_TOKEN and CX_XSS_COMMENT are needed');
    }

    fs.mkdirSync(artifacts, { recursive: true });

    browser = await launch();

    await scenarios([desktop, keyboard, filters, bearer, compare, presets,
                     heat, timeZone, precision, followups, csv, mobile]);

    note('total ' + (Date.now() - t0) + ' ms');
}


run(main, 170);
