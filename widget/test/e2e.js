#!/usr/bin/env node
/*
 * The widget end to end, in real headless Chromium (Debian's chromium,
 * driven by playwright-core; no browser is ever downloaded), against
 * nginx with the module, as t/062-widget-browser.t configures it:
 *
 *   CX_BASE_URL=http://127.0.0.1:PORT node widget/test/e2e.js
 *
 * Prints TAP ("ok N - ...") for the .t to relay; the .t then checks that
 * the answers given here reached Redis and /cx/score.  Screenshots go to
 * test-artifacts/ (CX_ARTIFACTS).  Bounded: the whole run gives up after
 * CX_E2E_TIMEOUT seconds (default 100) and always closes the browser.
 */

'use strict';

const fs = require('fs');
const path = require('path');
const { ok, note, launch, scenarios, run } = require('./tap.js');

const base = process.env.CX_BASE_URL;
const artifacts = process.env.CX_ARTIFACTS
                  || path.join(__dirname, '..', '..', 'test-artifacts');
const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'),
                                  'utf8');
const today = new Date().toISOString().slice(0, 10).replace(/-/g, '');

const DESKTOP = { viewport: { width: 1280, height: 800 } };
const MOBILE = { viewport: { width: 390, height: 844 }, isMobile: true,
                 hasTouch: true, deviceScaleFactor: 2 };

let browser;


/* ---- TAP */

function is(got, want, name) {
    return ok(got === want, name,
              'got: ' + JSON.stringify(got) + ', want: ' + JSON.stringify(want));
}


/* ---- a page in a fresh context (cookies and all), with what it sends */

async function visit(urlPath, options, ctx) {
    const context = ctx || await browser.newContext(
        Object.assign({ locale: 'en-US' }, DESKTOP, options));

    await context.addInitScript(() => {
        window.__cspViolations = [];
        document.addEventListener('securitypolicyviolation', e => {
            window.__cspViolations.push(e.violatedDirective + ' '
                                        + e.blockedURI);
        });
    });

    const page = await context.newPage();
    const p = { context, page, events: [], statuses: [], errors: [] };

    page.on('request', r => {
        if (r.url().endsWith('/cx/collect')) {
            const f = {};
            new URLSearchParams(r.postData() || '').forEach((v, k) => {
                f[k] = v;
            });
            p.events.push(f);
        }
    });
    page.on('response', r => {
        if (r.url().endsWith('/cx/collect')) {
            p.statuses.push(r.status());

        } else if (r.status() >= 400) {
            p.errors.push('HTTP ' + r.status() + ' ' + r.url());
        }
    });
    page.on('pageerror', e => p.errors.push('pageerror: ' + e.message));
    page.on('console', m => {
        if (m.type() === 'error' || m.type() === 'warning') {
            p.errors.push(m.type() + ': ' + m.text());
        }
    });

    await page.goto(base + urlPath);

    return p;
}

function card(page) {
    return page.locator('cx-survey .cx');
}

/* the element that has the focus, through shadow roots */
function focused(page) {
    return page.evaluate(() => {
        let a = document.activeElement;

        while (a && a.shadowRoot && a.shadowRoot.activeElement) {
            a = a.shadowRoot.activeElement;
        }

        return a ? { tag: a.tagName, text: a.textContent.trim(),
                     id: a.id, inWidget: a.getRootNode() !== document }
                 : null;
    });
}

async function eventsSettled(p, count) {
    for (let i = 0; i < 50 && p.statuses.length < count; i++) {
        await p.page.waitForTimeout(100);
    }
}

function events(p) {
    return p.events.map(e => e.event).join(',');
}

async function cookie(context, name) {
    const c = (await context.cookies()).find(c => c.name === name);
    return c || null;
}

async function axe(page, name) {
    if (!await page.evaluate(() => !!window.axe)) {
        await page.evaluate(axeSource);
    }

    const r = await page.evaluate(() => window.axe.run(
        { include: [['cx-survey']] },
        { resultTypes: ['violations', 'passes'] }));
    const bad = r.violations.filter(v => v.impact === 'serious'
                                         || v.impact === 'critical');

    ok(bad.length === 0, 'axe: no serious or critical violations (' + name
       + ')', bad.map(v => v.id + ': ' + v.help + ' '
                      + JSON.stringify(v.nodes.map(x => x.target))).join('\n'));

    /* the checks did look inside the shadow root */
    ok(r.passes.some(v => v.id === 'button-name'
                          || v.id === 'label' || v.id === 'aria-dialog-name'),
       'axe: checked the widget\'s controls (' + name + ')');

    r.violations.filter(v => bad.indexOf(v) < 0).forEach(v => {
        note('axe ' + v.impact + ': ' + v.id + ': ' + v.help);
    });
}

async function shot(page, name) {
    const file = path.join(artifacts, name);

    await page.screenshot({ path: file });
    note('screenshot ' + file);
}

async function close(p) {
    ok(p.errors.length === 0, 'no page errors, console errors or warnings',
       p.errors.join('\n'));
    await p.context.close();
}


/* ---- the scenarios */

/* the corner card: delay, focus, keyboard-only answer, cookie, cooldown */
async function corner() {
    const p = await visit('/thanks.html');
    const { page } = p;

    await page.waitForTimeout(400);
    is(await card(page).count(), 0, 'corner: not there before its delay');

    const t0 = Date.now();
    await card(page).waitFor({ timeout: 5000 });
    ok(Date.now() - t0 >= 300, 'corner: appears after the delay (1s)');

    is(await card(page).getAttribute('role'), 'dialog', 'corner: a dialog');
    is(await page.locator('cx-survey #q').textContent(),
       'How likely are you to recommend Demo Shop to a friend?',
       'corner: labelled by the configured question');
    is(await page.locator('cx-survey .s button').count(), 11,
       'corner: NPS 0-10, eleven buttons');
    is(await page.locator('cx-survey .x').getAttribute('aria-label'),
       'Close survey', 'corner: the close button has a name');
    ok((await focused(page)).inWidget, 'corner: takes the focus');

    const box = await card(page).boundingBox();
    ok(box.x + box.width <= 1280 - 8 && box.y + box.height <= 800 - 8
       && box.x > 640 && box.y > 400, 'corner: in the bottom right corner',
       box);

    await eventsSettled(p, 1);
    is(events(p), 'shown', 'corner: reported shown');
    is(p.events[0].survey + ' ' + p.events[0].touchpoint + ' '
       + p.events[0].page, 'post_purchase thanks /thanks.html',
       'corner: with survey, touchpoint and page');
    ok(/^\d{8}\.[\w-]{16}\.[\w-]{22}$/.test(p.events[0].token),
       'corner: with the page\'s token');

    await page.waitForTimeout(300);         /* the entry animation */
    await axe(page, 'corner, the question');
    await shot(page, 'widget-desktop.png');

    /* keyboard only: Tab to the scale, arrows to 9, Enter */
    await page.keyboard.press('Tab');
    is((await focused(page)).text, '0', 'keyboard: Tab reaches the scale');
    await page.keyboard.press('End');
    is((await focused(page)).text, '10', 'keyboard: End');
    await page.keyboard.press('Home');
    for (let i = 0; i < 10; i++) {
        await page.keyboard.press('ArrowRight');
    }
    await page.keyboard.press('ArrowLeft');
    is((await focused(page)).text, '9', 'keyboard: arrows move along the scale');
    await page.keyboard.press('Shift+Tab');
    ok(!(await focused(page)).inWidget || (await focused(page)).text !== '8',
       'keyboard: the scale is one tab stop');
    await page.keyboard.press('Tab');
    is((await focused(page)).text, '9', 'keyboard: and remembers its place');
    await page.keyboard.press('Enter');

    await page.locator('cx-survey .t').waitFor({ timeout: 2000 });
    is(await page.locator('cx-survey .t').textContent(),
       'Thank you for your feedback!', 'keyboard: a promoter is thanked');
    await eventsSettled(p, 2);
    is(events(p), 'shown,answered', 'keyboard: reported answered');
    is(p.events[1].score, '9', 'keyboard: with the score 9');
    ok(p.statuses.every(s => s === 204), 'collect accepted every event',
       p.statuses);

    const v = await cookie(p.context, 'cx_v');
    ok(v && new RegExp('^1\\.[\\w-]{22}\\.1\\.1\\.' + today + '\\.' + today
                       + '$').test(v.value),
       'cookie: cx_v=1.ID.1.1.SHOWN.ANSWERED', v);
    ok(v && v.path === '/' && v.sameSite === 'Lax'
       && v.expires - Date.now() / 1000 > 364 * 86400,
       'cookie: Path=/, SameSite=Lax, a year', v);
    const s = await cookie(p.context, 'cx_s');
    ok(s && s.expires - Date.now() / 1000 <= 1800, 'cookie: cx_s, 30 minutes', s);

    /* the thanks closes itself */
    await card(page).waitFor({ state: 'detached', timeout: 6000 });
    is(await page.locator('cx-survey').count(), 0, 'corner: gone after thanks');

    /* the next page view: counted, and no survey within the cooldown */
    await page.goto(base + '/thanks.html');
    await page.waitForTimeout(2000);
    is(await card(page).count(), 0, 'cooldown: not shown again on the next page view');
    const v2 = await cookie(p.context, 'cx_v');
    ok(v2 && v2.value.split('.')[2] === '2' && v2.value.split('.')[3] === '1'
       && v2.value.split('.')[1] === v.value.split('.')[1],
       'cookie: same visitor, 2 views, 1 session', v2);

    await close(p);
}

/* a low score: the follow-up, by keyboard; the comment is sent */
async function followup() {
    const p = await visit('/checkout.html');
    const { page } = p;

    await card(page).waitFor({ timeout: 5000 });
    is(await page.locator('cx-survey .s button').count(), 5,
       'follow-up: CSAT 1-5');
    await page.keyboard.press('Tab');
    await page.keyboard.press('ArrowRight');
    is((await focused(page)).text, '2', 'follow-up: keyboard to 2');
    await page.keyboard.press('Space');

    const f = await focused(page);
    is(f && f.tag, 'TEXTAREA', 'follow-up: the comment box has the focus');
    is(await page.locator('cx-survey label[for=c]').textContent(),
       'What could we do better? (optional)', 'follow-up: labelled');
    await page.keyboard.type('Too many steps \u2014 and the coupon field ate my code.');
    await axe(page, 'follow-up');
    await shot(page, 'widget-followup.png');

    await eventsSettled(p, 1);
    is(events(p), 'shown', 'follow-up: nothing answered before Send');

    await page.keyboard.press('Tab');
    is((await focused(page)).text, 'Skip', 'follow-up: Tab to Skip');
    await page.keyboard.press('Tab');
    is((await focused(page)).text, 'Send', 'follow-up: Tab to Send');
    await page.keyboard.press('Enter');

    await eventsSettled(p, 2);
    is(events(p), 'shown,answered', 'follow-up: answered once');
    is(p.events[1].score + '|' + p.events[1].comment,
       '2|Too many steps \u2014 and the coupon field ate my code.',
       'follow-up: score and comment');
    ok((await focused(page)).inWidget, 'follow-up: focus on the thanks');

    await close(p);
}

/* dismissed with Escape: focus back where it was; not again next page */
async function dismiss() {
    const p = await visit('/thanks.html');
    const { page } = p;

    await page.focus('a[href="/help/returns.html"]');
    await card(page).waitFor({ timeout: 5000 });
    ok((await focused(page)).inWidget, 'dismiss: the card took the focus');
    await page.keyboard.press('Escape');
    is(await page.locator('cx-survey').count(), 0, 'dismiss: Escape closes it');
    const f = await focused(page);
    is(f && f.text, 'Returns', 'dismiss: the focus is back on the link');

    await eventsSettled(p, 2);
    is(events(p), 'shown,dismissed', 'dismiss: reported dismissed');

    await page.reload();
    await page.waitForTimeout(2000);
    is(await card(page).count(), 0, 'dismiss: not shown on the next page view');

    await close(p);
}

/* a visitor typing keeps the focus */
async function typing() {
    const p = await visit('/checkout.html');
    const { page } = p;

    await page.focus('input');
    await page.keyboard.type('Jane');
    await card(page).waitFor({ timeout: 5000 });
    await page.keyboard.type(' Doe');
    const f = await focused(page);
    ok(f && !f.inWidget && f.tag === 'INPUT', 'typing: the card does not steal the focus');
    is(await page.inputValue('input'), 'Jane Doe', 'typing: not a key lost');

    /* closed with the mouse */
    await page.locator('cx-survey .x').click();
    is(await page.locator('cx-survey').count(), 0, 'close button: closes it');
    await eventsSettled(p, 2);
    is(events(p), 'shown,dismissed', 'close button: reported dismissed');

    await close(p);
}

/* phones: a sheet along the bottom; closed by touch */
async function mobile() {
    const p = await visit('/thanks.html', MOBILE);
    const { page } = p;

    await card(page).waitFor({ timeout: 5000 });
    await page.waitForTimeout(300);

    const box = await card(page).boundingBox();
    ok(box.x >= 4 && box.x <= 12 && box.x + box.width >= 378
       && box.x + box.width <= 386 && box.y + box.height <= 844 - 4,
       'mobile: full width along the bottom', box);

    const b = await page.locator('cx-survey .s button').first().boundingBox();
    ok(b.width >= 24 && b.height >= 44, 'mobile: score buttons at least 24x44', b);
    ok(await page.evaluate(() => document.documentElement.scrollWidth <= innerWidth),
       'mobile: no horizontal scrolling');

    await shot(page, 'widget-mobile.png');
    await page.locator('cx-survey .x').tap();
    is(await page.locator('cx-survey').count(), 0, 'mobile: closed by touch');

    await close(p);
}

/* inline, in the page's slot: a region, focus left alone, clicked */
async function inline() {
    const p = await visit('/t/account.html');
    const { page } = p;

    await card(page).waitFor({ timeout: 5000 });
    is(await page.evaluate(() => document.querySelector('cx-survey')
                                     .parentElement.dataset.cxSlot),
       'account_ces', 'inline: inside the page\'s slot');
    is(await card(page).getAttribute('role'), 'region', 'inline: a region');
    is(await page.evaluate(() => getComputedStyle(
        document.querySelector('cx-survey').shadowRoot.querySelector('.cx'))
        .position), 'relative', 'inline: in the flow of the page');
    ok(!(await focused(page)).inWidget, 'inline: leaves the focus alone');
    is(await page.locator('cx-survey #q').textContent(),
       'How easy was it to do what you came here to do?',
       'inline: the built-in CES question');
    is(await page.locator('cx-survey .s button').count(), 7, 'inline: CES 1-7');

    await eventsSettled(p, 1);
    is(events(p), 'shown', 'inline: shown when on screen');
    await axe(page, 'inline');
    await shot(page, 'widget-inline.png');

    await page.locator('cx-survey .s button', { hasText: '6' }).click();
    await eventsSettled(p, 2);
    is(events(p), 'shown,answered', 'inline: answered with the mouse');
    is(p.events[1].score, '6', 'inline: score 6, no follow-up');
    is(await page.locator('cx-survey').count(), 1, 'inline: the thanks stays');

    await close(p);
}

/* a strict CSP: nonce'd script, no inline styles; no violation */
async function csp() {
    const p = await visit('/t/csp.html');
    const { page } = p;
    const policy = await page.evaluate(async () =>
        (await fetch(location.href)).headers.get('content-security-policy'));

    ok(/script-src 'nonce-/.test(policy || '') && !/unsafe-inline/.test(policy),
       'csp: the page has a strict policy', policy);
    await card(page).waitFor({ timeout: 5000 });
    is(await page.evaluate(() => getComputedStyle(
        document.querySelector('cx-survey').shadowRoot.querySelector('.cx'))
        .position), 'fixed', 'csp: styled (a constructed stylesheet)');

    await page.keyboard.press('Tab');
    await page.keyboard.press('End');
    await page.keyboard.press('Enter');
    await eventsSettled(p, 2);
    is(events(p), 'shown,answered', 'csp: answered');
    is(p.events[1].score, '10', 'csp: score 10');
    is(JSON.stringify(await page.evaluate(() => window.__cspViolations)), '[]',
       'csp: no securitypolicyviolation');

    await close(p);
}

/* scroll depth and exit intent */
async function triggers() {
    let p = await visit('/t/scroll.html');
    let page = p.page;

    await page.waitForTimeout(800);
    is(await card(page).count(), 0, 'scroll:50: not before the scroll');
    await page.mouse.wheel(0, 600);
    await page.waitForTimeout(300);
    is(await card(page).count(), 0, 'scroll:50: not at a quarter');
    await page.evaluate(() => scrollTo(0, document.documentElement.scrollHeight));
    await card(page).waitFor({ timeout: 3000 });
    ok(true, 'scroll:50: shown past half the page');
    await close(p);

    p = await visit('/t/exit.html');
    page = p.page;
    await page.mouse.move(600, 300);
    await page.waitForTimeout(800);
    is(await card(page).count(), 0, 'exit: not while the pointer is in');
    await page.evaluate(() => document.dispatchEvent(
        new MouseEvent('mouseout', { clientX: 600, clientY: -2,
                                     relatedTarget: null, bubbles: true })));
    await card(page).waitFor({ timeout: 3000 });
    ok(true, 'exit: shown when the pointer leaves through the top');
    await close(p);
}

/* the page's language; words the page overrides; two tags, one survey */
async function words() {
    let p = await visit('/t/uk.html');
    let page = p.page;

    await card(page).waitFor({ timeout: 5000 });
    is(await page.locator('cx-survey #q').textContent(),
       'Наскільки ймовірно, що ви порекомендуєте нас другові чи колезі?',
       'lang=uk: the Ukrainian NPS question');
    is(await page.locator('cx-survey .x').getAttribute('aria-label'),
       'Закрити опитування', 'lang=uk: the close button in Ukrainian');
    await close(p);

    p = await visit('/t/twice.html');
    page = p.page;
    await card(page).waitFor({ timeout: 5000 });
    await page.waitForTimeout(500);
    is(await page.locator('cx-survey').count(), 1, 'two tags: one survey');
    const v = await cookie(p.context, 'cx_v');
    ok(v && v.value.split('.')[2] === '1', 'two tags: one page view counted', v);
    await page.locator('cx-survey .s button', { hasText: '10' }).click();
    is(await page.locator('cx-survey .t').textContent(), 'Thanks a lot!',
       'data-cx-text-thanks on <body>: the page\'s words');
    await close(p);
}

/* the page's CSS cannot reach in, the widget's cannot leak out */
async function isolation() {
    const p = await visit('/t/hostile.html');
    const { page } = p;
    const mine = () => page.evaluate(() => {
        const s = getComputedStyle(document.getElementById('mine'));
        return [s.position, s.margin, s.fontWeight, s.display].join(' ');
    });
    const before = await mine();

    await card(page).waitFor({ timeout: 5000 });
    const s = await page.evaluate(() => {
        const b = document.querySelector('cx-survey').shadowRoot
                          .querySelector('.n');
        const c = getComputedStyle(b);
        return [c.display, c.color, c.fontSize, c.letterSpacing].join(' ');
    });

    is(s, 'block rgb(31, 35, 40) 15px normal',
       'shadow DOM: the page\'s !important rules do not reach the buttons');
    is(await mine(), before, 'shadow DOM: the widget\'s classes do not style the page');
    await close(p);
}

/* prefers-reduced-motion: no entry animation */
async function motion() {
    const p = await visit('/t/csp.html', { reducedMotion: 'reduce' });
    const { page } = p;
    const anim = () => page.evaluate(() => getComputedStyle(
        document.querySelector('cx-survey').shadowRoot.querySelector('.cx'))
        .animationName);

    await card(page).waitFor({ timeout: 5000 });
    is(await anim(), 'none', 'reduced motion: no animation');
    await close(p);
}

/* Sec-GPC: 1 with cx_respect_gpc on: no tag, no widget, no cookie */
async function gpc() {
    const p = await visit('/t/gpc.html',
                          { extraHTTPHeaders: { 'Sec-GPC': '1' } });
    const { page } = p;

    await page.waitForTimeout(1000);
    is(await page.locator('script[data-cx-survey]').count(), 0, 'gpc: no tag');
    is(await cookie(p.context, 'cx_v'), null, 'gpc: no visitor cookie');
    await close(p);

    const q = await visit('/t/gpc.html');
    await card(q.page).waitFor({ timeout: 5000 });
    ok(true, 'gpc: without the signal, the survey');
    await close(q);
}


async function main() {
    const t0 = Date.now();

    if (!base) {
        throw new Error('CX_BASE_URL is not set');
    }

    fs.mkdirSync(artifacts, { recursive: true });

    browser = await launch();

    await scenarios([corner, followup, dismiss, typing, mobile, inline, csp,
                     triggers, words, isolation, motion, gpc]);

    note('total ' + (Date.now() - t0) + ' ms');
}


run(main, 100);
