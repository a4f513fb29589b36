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
 * CX_E2E_ONLY="recontact dismissed ..." runs those scenarios alone.
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

/* the built-in words, as the sources say */
const WORDS = {};

['en', 'ar', 'he', 'uk'].forEach(l => {
    WORDS[l] = JSON.parse(fs.readFileSync(
        path.join(__dirname, '..', 'src', 'lang', l + '.json'), 'utf8'));
});

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
    const p = { context, page, events: [], statuses: [], errors: [],
                langs: [] };

    page.on('request', r => {
        if (r.url().endsWith('/cx/collect')) {
            const f = {};
            new URLSearchParams(r.postData() || '').forEach((v, k) => {
                f[k] = v;
            });
            p.events.push(f);

        } else if (/[?&]lang=/.test(r.url())) {
            p.langs.push(r.url());
        }
    });
    page.on('response', r => {
        if (r.url().endsWith('/cx/collect')) {
            p.statuses.push(r.status());

        } else if (/[?&]lang=/.test(r.url())) {
            p.langs.push(r.status() + ' '
                         + r.headers()['content-type']);

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

/* where the card's parts are, and how its text runs */
function layout(page) {
    return page.evaluate(() => {
        const root = document.querySelector('cx-survey').shadowRoot;
        const at = e => {
            const b = e.getBoundingClientRect();
            return { x: Math.round(b.left), r: Math.round(b.right),
                     y: Math.round(b.top), b: Math.round(b.bottom) };
        };
        const one = s => root.querySelector(s) && at(root.querySelector(s));

        return {
            card: one('.cx'), close: one('.x'), lo: one('#lo'),
            hi: one('#hi'), skip: one('.r .b:not(.p)'), send: one('.r .p'),
            scale: Array.from(root.querySelectorAll('.s button'),
                              b => [b.textContent, at(b).x]),
            dir: getComputedStyle(root.querySelector('#q')).direction
        };
    });
}

/* the scale's buttons from the left of the screen to its right */
function leftToRight(l) {
    return l.scale.slice().sort((a, b) => a[1] - b[1]).map(b => b[0])
                  .join(' ');
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

    /* not there before its delay: what the page says, on its own clock
       (a loaded machine may run this check late) */
    await page.waitForTimeout(400);
    const early = await page.evaluate(() => {
        const h = document.querySelector('cx-survey');
        const nav = performance.getEntriesByType('navigation')[0];
        return { there: !!(h && h.shadowRoot
                           && h.shadowRoot.querySelector('.cx')),
                 at: performance.now() - nav.domContentLoadedEventStart };
    });
    ok(!early.there || early.at >= 1000,
       'corner: not there before its delay (looked at ' + Math.round(early.at)
       + ' ms)', early);

    /* when it appeared, on the page's clock from DOMContentLoaded, where
       the delay starts: a timer fires late on a loaded machine, never
       early, so this holds however slow the machine is */
    const shown = await page.waitForFunction(() => {
        const h = document.querySelector('cx-survey');
        const c = h && h.shadowRoot && h.shadowRoot.querySelector('.cx');
        const nav = performance.getEntriesByType('navigation')[0];
        return c ? performance.now() - nav.domContentLoadedEventStart : 0;
    }, null, { polling: 'raf', timeout: 10000 });
    const after = await shown.jsonValue();
    ok(after >= 950, 'corner: appears after the delay (1s), at ' +
       Math.round(after) + ' ms');
    await card(page).waitFor({ timeout: 5000 });

    is(await card(page).getAttribute('role'), 'dialog', 'corner: a dialog');
    is(await page.locator('cx-survey #q').textContent(),
       'How likely are you to recommend Demo Shop to a friend?',
       'corner: labelled by the configured question');
    is(await page.locator('cx-survey .s button').count(), 11,
       'corner: NPS 0-10, eleven buttons');
    is(await page.locator('cx-survey .x').getAttribute('aria-label'),
       'Close survey', 'corner: the close button has a name');
    ok((await focused(page)).inWidget, 'corner: takes the focus');
    is(await card(page).getAttribute('dir'), 'ltr', 'corner: left to right');
    is(leftToRight(await layout(page)), '0 1 2 3 4 5 6 7 8 9 10',
       'corner: 0 on the left, 10 on the right');
    is(p.langs.length, 0, 'corner: English needs no request for words');

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
    ok(v && new RegExp('^2~[\\w-]{22}~1~1~post_purchase!' + today + '!'
                       + today + '!0~thanks!1~!!!$').test(v.value),
       'cookie: cx_v=2~ID~1~1~post_purchase!SHOWN!ANSWERED!0~thanks!1~!!!', v);
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
    ok(v2 && v2.value.split('~')[2] === '2' && v2.value.split('~')[3] === '1'
       && v2.value.split('~')[1] === v.value.split('~')[1],
       'cookie: same visitor, 2 views, 1 visit', v2);

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

    await eventsSettled(p, 2);
    is(events(p), 'shown,answered',
       'follow-up: the score sent the moment it was chosen');
    is(p.events[1].score + '|' + p.events[1].comment, '2|undefined',
       'follow-up: the score alone');

    await page.keyboard.press('Tab');
    is((await focused(page)).text, 'Skip', 'follow-up: Tab to Skip');
    await page.keyboard.press('Tab');
    is((await focused(page)).text, 'Send', 'follow-up: Tab to Send');
    await page.keyboard.press('Enter');

    await eventsSettled(p, 3);
    is(events(p), 'shown,answered,commented',
       'follow-up: answered once, then the comment');
    is(p.events[2].score + '|' + p.events[2].comment + '|' + p.events[2].token,
       '2|Too many steps \u2014 and the coupon field ate my code.|'
       + p.events[1].token,
       'follow-up: the comment with the score, the same token');
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
    ok(p.langs.length === 2 && p.langs[0].indexOf(base
                                                  + '/cx/widget.js?lang=uk&v=') === 0
       && /&v=[0-9a-f]{8}$/.test(p.langs[0])
       && p.langs[1] === '200 application/json',
       'lang=uk: its words fetched from the widget\'s URL, once', p.langs);
    is(await card(page).getAttribute('dir'), 'ltr', 'lang=uk: left to right');
    await close(p);

    /* the words cannot be had: English, and the survey all the same */
    const ctx = await browser.newContext(Object.assign({ locale: 'en-US' },
                                                       DESKTOP));
    await ctx.route(/[?&]lang=/, r => r.abort());
    p = await visit('/t/uk.html', {}, ctx);
    page = p.page;
    await card(page).waitFor({ timeout: 5000 });
    is(await page.locator('cx-survey #q').textContent(), WORDS.en.nps,
       'lang=uk, its words not to be had: the English question');
    p.errors = p.errors.filter(e => !/ERR_FAILED/.test(e));
    await close(p);

    p = await visit('/t/twice.html');
    page = p.page;
    await card(page).waitFor({ timeout: 5000 });
    await page.waitForTimeout(500);
    is(await page.locator('cx-survey').count(), 1, 'two tags: one survey');
    const v = await cookie(p.context, 'cx_v');
    ok(v && v.value.split('~')[2] === '1', 'two tags: one page view counted', v);
    await page.locator('cx-survey .s button', { hasText: '10' }).click();
    is(await page.locator('cx-survey .t').textContent(), 'Thanks a lot!',
       'data-cx-text-thanks on <body>: the page\'s words');
    await close(p);
}

/* Arabic, right to left, under a strict CSP: the card's mirror image */
async function arabic() {
    const p = await visit('/t/ar.html');
    const { page } = p;
    const ar = WORDS.ar;

    await card(page).waitFor({ timeout: 5000 });
    await page.waitForTimeout(300);         /* the entry animation */

    is(await card(page).getAttribute('dir'), 'rtl', 'ar: the card is right to left');
    is(await card(page).getAttribute('lang'), 'ar', 'ar: in Arabic');
    is(await page.locator('cx-survey #q').textContent(), ar.nps,
       'ar: the Arabic NPS question');
    is(await page.locator('cx-survey .x').getAttribute('aria-label'),
       ar.close, 'ar: the close button\'s name in Arabic');
    is(await page.locator('cx-survey #lo').textContent() + ' | '
       + await page.locator('cx-survey #hi').textContent(),
       ar['nps-low'] + ' | ' + ar['nps-high'], 'ar: the words at the ends');
    ok(p.langs.length === 2 && p.langs[0].indexOf(base + '/cx/widget.js?lang=ar&v=') === 0
       && p.langs[1] === '200 application/json',
       'ar: the words fetched from the module, same origin', p.langs);

    const l = await layout(page);
    ok(l.card.x >= 8 && l.card.x <= 24 && l.card.r < 640
       && l.card.b <= 800 - 8 && l.card.y > 400,
       'ar: in the bottom-left corner', l.card);
    ok(l.close.x - l.card.x < 48 && l.close.y - l.card.y < 48,
       'ar: the close button top left', l);
    is(leftToRight(l), '10 9 8 7 6 5 4 3 2 1 0',
       'ar: the scale reads right to left, 0 on the right');
    ok(l.lo.x > l.hi.x && l.lo.r > l.card.r - 40,
       'ar: "not at all likely" on the right, under 0', l);
    is(l.dir, 'rtl', 'ar: the question runs right to left');
    await axe(page, 'ar, the question');
    await shot(page, 'widget-rtl-ar.png');

    /* keyboard only: the arrows go the way the scale is read */
    await page.keyboard.press('Tab');
    is((await focused(page)).text, '0', 'ar keyboard: Tab reaches the scale at 0');
    await page.keyboard.press('ArrowLeft');
    is((await focused(page)).text, '1', 'ar keyboard: ArrowLeft goes left, to 1');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    is((await focused(page)).text, '0', 'ar keyboard: ArrowRight goes right, and stops at 0');
    await page.keyboard.press('End');
    is((await focused(page)).text, '10', 'ar keyboard: End is 10');
    await page.keyboard.press('Home');
    for (let i = 0; i < 9; i++) {
        await page.keyboard.press('ArrowLeft');
    }
    is((await focused(page)).text, '9', 'ar keyboard: Home, then 9 to the left');
    await page.keyboard.press('Tab');
    is((await focused(page)).text, '\u00d7', 'ar keyboard: Tab from the scale to the close button');
    await page.keyboard.press('Shift+Tab');
    is((await focused(page)).text, '9', 'ar keyboard: back on 9');
    await page.keyboard.press('Enter');

    await page.locator('cx-survey .t').waitFor({ timeout: 2000 });
    is(await page.locator('cx-survey .t').textContent(), ar.thanks,
       'ar: thanked in Arabic');
    await eventsSettled(p, 2);
    is(events(p), 'shown,answered', 'ar: reported shown, answered');
    is(p.events[1].score, '9', 'ar: with the score 9');
    is(JSON.stringify(await page.evaluate(() => window.__cspViolations)), '[]',
       'ar: no securitypolicyviolation under the strict CSP');

    await close(p);
}

/* Hebrew: a low CSAT, the follow-up right to left, keyboard only */
async function hebrew() {
    const p = await visit('/t/he.html');
    const { page } = p;
    const he = WORDS.he;
    const text = 'המשלוח איחר ביומיים, אבל השירות היה נהדר.';

    await card(page).waitFor({ timeout: 5000 });
    is(await card(page).getAttribute('dir'), 'rtl', 'he: the card is right to left');
    is(await page.locator('cx-survey #q').textContent(), he.csat,
       'he: the Hebrew CSAT question');
    is(leftToRight(await layout(page)), '5 4 3 2 1',
       'he: the scale reads right to left, 1 on the right');

    await page.keyboard.press('Tab');
    await page.keyboard.press('ArrowLeft');
    is((await focused(page)).text, '2', 'he keyboard: ArrowLeft from 1 to 2');
    await page.keyboard.press('Space');

    const f = await focused(page);
    is(f && f.tag, 'TEXTAREA', 'he follow-up: the comment box has the focus');
    is(await page.locator('cx-survey label[for=c]').textContent(),
       he.followup, 'he follow-up: the question in Hebrew');
    await page.keyboard.type(text);

    const l = await layout(page);
    is(await page.evaluate(() => getComputedStyle(document.querySelector(
        'cx-survey').shadowRoot.querySelector('textarea')).direction), 'rtl',
       'he follow-up: the comment runs right to left');
    ok(l.skip.x > l.send.x && l.send.x - l.card.x < 120,
       'he follow-up: Skip on the right, Send to its left, at the row\'s end', l);
    await axe(page, 'he, the follow-up');
    await shot(page, 'widget-rtl-he-followup.png');

    /* the focus order is the reading order: Skip, then Send */
    await page.keyboard.press('Tab');
    is((await focused(page)).text, he.skip, 'he keyboard: Tab to Skip (right)');
    await page.keyboard.press('Tab');
    is((await focused(page)).text, he.send, 'he keyboard: Tab to Send (left)');
    await page.keyboard.press('Enter');

    await page.locator('cx-survey .t').waitFor({ timeout: 2000 });
    is(await page.locator('cx-survey .t').textContent(), he.thanks,
       'he: thanked in Hebrew');
    await eventsSettled(p, 3);
    is(events(p), 'shown,answered,commented',
       'he: reported shown, answered, commented');
    is(p.events[2].score + '|' + p.events[2].comment, '2|' + text,
       'he: the score and the Hebrew comment');

    await close(p);
}

/* the card's direction is its language's, not the page's */
async function direction() {
    let p = await visit('/t/fa.html');
    let page = p.page;

    await card(page).waitFor({ timeout: 5000 });
    is(await card(page).getAttribute('dir') + ' '
       + await card(page).getAttribute('lang'), 'rtl fa',
       'fa, no built-in words: right to left all the same');
    is(await page.locator('cx-survey #q').textContent(),
       'چقدر احتمال دارد ما را به دوست یا همکارتان پیشنهاد کنید؟',
       'fa: the page\'s own words');
    let l = await layout(page);
    ok(l.card.x <= 24 && leftToRight(l).indexOf('10 9') === 0,
       'fa: bottom left, 0 on the right', l);
    is(p.langs.length, 0, 'fa: no request for words the module has not');
    await close(p);

    p = await visit('/t/ar-en.html');
    page = p.page;
    await card(page).waitFor({ timeout: 5000 });
    is(await card(page).getAttribute('dir') + ' '
       + await card(page).getAttribute('lang'), 'ltr en',
       'data-cx-lang="en" on an Arabic, right-to-left page: left to right');
    is(await page.locator('cx-survey #q').textContent(), WORDS.en.nps,
       'ar-en: the English question');
    l = await layout(page);
    ok(l.card.r >= 1280 - 24 && leftToRight(l).indexOf('0 1') === 0,
       'ar-en: bottom right, 0 on the left', l);
    is(p.langs.length, 0, 'ar-en: English needs no request for words');
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

/* ---- recontact and partial answers (t/064-widget-visitor-browser.t) */

/* the days of cx_v's surveys moved back: the visitor's clock moved on */
async function age(context, days) {
    const v = await cookie(context, 'cx_v');
    const back = d => {
        if (d === '0') {
            return d;
        }
        const t = Date.UTC(+d.slice(0, 4), +d.slice(4, 6) - 1,
                           +d.slice(6, 8)) - days * 864e5;
        return new Date(t).toISOString().slice(0, 10).replace(/-/g, '');
    };
    const f = v.value.split('~');

    f[4] = f[4].split('*').map(e => e.split('!').map(
        (x, i) => i ? back(x) : x).join('!')).join('*');
    await context.addCookies([{ name: 'cx_v', value: f.join('~'),
                                url: base + '/' }]);
}

/*
 * A fresh URL each time: the browser would revalidate a page it has (a
 * 304 keeps the page's old tag, or its lack of one, and the widget then
 * decides from the cookie alone)
 */
let fresh = 0;

function url(path) {
    return base + path + '?n=' + ++fresh;
}

/* no card, and not even a tag: the module held it back */
async function none(page) {
    await page.waitForTimeout(250);
    return (await card(page).count()) === 0
           && (await page.locator('script[data-cx-survey]').count()) === 0;
}

/* keyboard only: Tab to the scale, End, Enter */
async function answerTop(page) {
    await page.keyboard.press('Tab');
    await page.keyboard.press('End');
    await page.keyboard.press('Enter');
}

/* answered: not asked again on the next 20 page views */
async function recontact() {
    const p = await visit('/t/recontact.html');
    const { page } = p;

    await card(page).waitFor({ timeout: 5000 });
    await axe(page, 'recontact, the question');
    await answerTop(page);
    await page.locator('cx-survey .t').waitFor({ timeout: 2000 });
    await eventsSettled(p, 2);
    is(events(p), 'shown,answered', 'recontact: answered by keyboard');

    /*
     * 20 page views: the even ones fresh (the module sends no tag), the
     * odd ones revalidated from the browser's cache, the page of the
     * answer with its tag (the widget holds back, from the cookie)
     */
    let cards = 0;
    let tags = 0;

    for (let i = 0; i < 20; i++) {
        await page.goto(i % 2 ? base + '/t/recontact.html'
                              : url('/t/recontact.html'));
        await page.waitForTimeout(250);
        cards += await card(page).count();
        tags += i % 2 ? 0 : await page.locator('script[data-cx-survey]')
                                      .count();
    }

    is(cards, 0, 'recontact: not asked again on the next 20 page views');
    is(tags, 0, 'recontact: no tag in the 10 the module served afresh');
    is(p.events.length, 2, 'recontact: nothing more sent');
    const views = /~recontact!(\d+)~/.exec(
        (await cookie(p.context, 'cx_v')).value);
    ok(views && +views[1] >= 11,
       'recontact: the page views counted in the cookie by touchpoint '
       + '(those the browser took from its cache need not reach nginx)',
       views);

    await age(p.context, 89);
    await page.goto(url('/t/recontact.html'));
    ok(await none(page), 'recontact: not 89 days later');
    await age(p.context, 1);
    await page.goto(url('/t/recontact.html'));
    await card(page).waitFor({ timeout: 5000 });
    ok(true, 'recontact: asked again 90 days later');
    await close(p);
}

/* dismissed: not for 7 days, then again */
async function dismissed() {
    const p = await visit('/t/dismissed.html');
    const { page } = p;

    await card(page).waitFor({ timeout: 5000 });
    await axe(page, 'dismissed, the question');
    await page.keyboard.press('Escape');
    await eventsSettled(p, 2);
    is(events(p), 'shown,dismissed', 'dismissed: by Escape');

    await page.goto(url('/t/dismissed.html'));
    ok(await none(page), 'dismissed: not on the next page view');
    await age(p.context, 6);
    await page.goto(url('/t/dismissed.html'));
    ok(await none(page), 'dismissed: not 6 days later');
    await age(p.context, 1);
    await page.goto(url('/t/dismissed.html'));
    await card(page).waitFor({ timeout: 5000 });
    ok(true, 'dismissed: asked again 7 days later');
    await close(p);
}

/* the gap across two surveys of the site (14 days by default) */
async function gap() {
    const p = await visit('/t/gap-a.html');
    const { page } = p;

    await card(page).waitFor({ timeout: 5000 });
    await answerTop(page);
    await page.locator('cx-survey .t').waitFor({ timeout: 2000 });

    await page.goto(url('/t/gap-b.html'));
    ok(await none(page), 'gap: the other survey not the next page');
    await age(p.context, 13);
    await page.goto(url('/t/gap-b.html'));
    ok(await none(page), 'gap: nor 13 days later');
    await age(p.context, 1);
    await page.goto(url('/t/gap-b.html'));
    await card(page).waitFor({ timeout: 5000 });
    ok(true, 'gap: the other survey 14 days later');
    await axe(page, 'gap, the second survey');
    await answerTop(page);
    await page.locator('cx-survey .t').waitFor({ timeout: 2000 });

    await page.goto(url('/t/gap-a.html'));
    ok(await none(page), 'gap: and then not the first one again');
    await close(p);
}

/* the tab closes during the follow-up: the score is in */
async function partial() {
    const p = await visit('/t/partial.html');
    const { page } = p;

    await card(page).waitFor({ timeout: 5000 });
    await page.keyboard.press('Tab');
    await page.keyboard.press('Home');
    await page.keyboard.press('Enter');

    const f = await focused(page);
    is(f && f.tag, 'TEXTAREA', 'partial: the follow-up');
    await axe(page, 'partial, the follow-up');
    await page.keyboard.type('I was about to say');
    await eventsSettled(p, 2);
    is(events(p) + ' ' + p.events[1].score, 'shown,answered 1',
       'partial: the score sent when chosen');
    await page.close();
    ok(true, 'partial: the tab closed during the follow-up');
    await p.context.close();
}


async function main() {
    const t0 = Date.now();

    if (!base) {
        throw new Error('CX_BASE_URL is not set');
    }

    fs.mkdirSync(artifacts, { recursive: true });

    browser = await launch();

    const all = { corner, followup, dismiss, typing, mobile, inline, csp,
                  triggers, words, arabic, hebrew, direction, isolation,
                  motion, gpc, recontact, dismissed, gap, partial };
    const only = (process.env.CX_E2E_ONLY
                  || 'corner followup dismiss typing mobile inline csp '
                     + 'triggers words arabic hebrew direction isolation '
                     + 'motion gpc').split(' ');

    await scenarios(only.map(n => all[n]));

    note('total ' + (Date.now() - t0) + ' ms');
}


run(main, 100);
