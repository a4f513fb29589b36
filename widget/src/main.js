/*
 * ngx_cx_module's survey widget, served by cx_widget as /cx/widget.js and
 * loaded by the tag the module injects (README "Injection rules"):
 *
 *   <script src="/cx/widget.js" async data-cx-survey="post_purchase"
 *     data-cx-type="nps" data-cx-delay="3" data-cx-cooldown="30"
 *     data-cx-touchpoint="thanks" data-cx-token="..."></script>
 *
 * A survey is shown at most once per page view, after its delay and
 * trigger, and not to a visitor the cookie says is not to be asked now
 * (recontact, dismissed, cooldown, gap: the module's own rules, with the
 * same defaults; data-cx-recontact, -dismissed, -gap when they differ).  Nothing here may throw into the page: every entry
 * point (this script, listeners, timers) is wrapped in safe().
 */

import { KEYS, VERSION, lang, rtl, known, words } from './strings.js';
import { visit, mark, held } from './visitor.js';
import { report } from './report.js';
import { card } from './card.js';


/* min, max, and the highest score that asks for a follow-up */
const SCALES = { nps: [0, 10, 6], csat: [1, 5, 2], ces: [1, 7, 3] };

/* this page view's state, shared by every copy of the tag */
const STATE = Symbol.for('cx.widget');


function safe(f) {
    return function () {
        try {
            return f.apply(this, arguments);
        } catch (e) { /* never into the page */ }
    };
}


/*
 * The tag's data-cx-* attributes.  The ones the module does not write
 * (trigger, collect, lang, followup, text-*) may also be set on the
 * page's <body> or <html>.
 */

function settings(tag) {
    const page = [tag, document.body, document.documentElement];

    function get(name, anywhere) {
        for (const e of anywhere ? page : [tag]) {
            const v = e && e.getAttribute('data-cx-' + name);

            if (v) {
                return v;
            }
        }

        return '';
    }

    const type = get('type');
    const scale = SCALES[type];

    if (!scale || !get('survey') || !get('token')) {
        return null;
    }

    const low = parseInt(get('followup', 1), 10);
    const days = (name, or) => get(name) === '' ? or : +get(name) || 0;
    const cooldown = days('cooldown', 0);
    const l = lang(get('lang', 1) || document.documentElement.lang);
    const text = {};

    KEYS.forEach(k => {
        text[k] = get('text-' + k, 1);
    });

    return {
        survey: get('survey'),
        type: type,
        question: get('question'),
        touchpoint: get('touchpoint') || 'other',
        token: get('token'),
        delay: Math.min(Math.max(+get('delay') || 0, 0), 3600),
        cooldown: cooldown,
        recontact: days('recontact', cooldown || 90),
        dismissed: days('dismissed', 7),
        gap: days('gap', 14),
        ask: get('followup-scores') || 'low',
        liked: get('followup-question'),
        collect: get('collect', 1) || '/cx/collect',
        trigger: get('trigger', 1),
        nonce: tag.nonce || '',
        scale: [scale[0], scale[1], isNaN(low) ? scale[2] : low],
        src: tag.src,
        lang: l,
        rtl: rtl(l),
        text: text
    };
}


/*
 * The words, when the card is due: English at once; another language's
 * fetched from the module (the widget's own URL with ?lang=xx), English
 * where that fails; the page's own words over both.
 */

function load(cfg) {
    const own = w => {
        w = words(w);

        for (const k in w) {
            w[k] = cfg.text[k] || w[k];
        }

        return w;
    };

    if (!known(cfg.lang)) {
        return Promise.resolve(own());
    }

    const url = new URL(cfg.src || '/cx/widget.js', location.href);

    url.search = '?lang=' + cfg.lang + '&v=' + VERSION;

    return fetch(url.href)
        .then(r => r.ok ? r.json() : null)
        .catch(() => null)
        .then(own);
}


/* the page's element for an inline card: its survey's slot, or any */

function slot(survey) {
    const all = document.querySelectorAll('[data-cx-slot]');
    let any = null;

    for (const e of all) {
        const name = e.getAttribute('data-cx-slot');

        if (name === survey) {
            return e;
        }

        if (!any && (name === '' || name === '*')) {
            any = e;
        }
    }

    return any;
}


/*
 * Calls go() once: after the delay, on the first trigger condition that
 * holds (none: at once), and only while the page is visible.
 *   data-cx-trigger="scroll:50"      half of the page scrolled through
 *   data-cx-trigger="exit"           the pointer leaves through the top
 *   data-cx-trigger="scroll:80 exit" whichever comes first
 */

function when(cfg, go) {
    const offs = [];
    let fired = false;

    function on(target, name, f) {
        f = safe(f);
        target.addEventListener(name, f, { passive: true });
        offs.push(() => target.removeEventListener(name, f));
    }

    function fire() {
        if (fired || document.hidden) {
            return;
        }

        fired = true;
        offs.forEach(off => off());
        go();
    }

    function depth() {
        const h = document.documentElement.scrollHeight - innerHeight;

        return h > 0 ? 100 * scrollY / h : 100;
    }

    setTimeout(safe(() => {
        let waits = 0;

        cfg.trigger.split(/[\s,]+/).forEach(c => {
            const m = /^scroll:(\d{1,3})$/.exec(c);

            if (m) {
                const scroll = () => depth() >= +m[1] && fire();

                waits++;
                on(window, 'scroll', scroll);
                scroll();

            } else if (c === 'exit') {
                waits++;
                on(document, 'mouseout', e => {
                    if (!e.relatedTarget && e.clientY <= 0) {
                        fire();
                    }
                });
            }
        });

        if (!waits) {
            on(document, 'visibilitychange', fire);
            fire();
        }
    }), cfg.delay * 1000);
}


function start(tag, state) {
    const v = state.visitor;
    const cfg = tag && settings(tag);

    if (!cfg || state.survey || held(v, cfg, Date.now())) {
        return;
    }

    state.survey = cfg.survey;

    function track(event, fields) {
        if (event !== 'commented') {
            mark(v, cfg.survey, event);
        }

        report(cfg, event, fields);
    }

    when(cfg, () => load(cfg).then(safe(w => card(cfg, w, cfg.scale,
                                                  slot(cfg.survey), track,
                                                  safe))));
}


function main(tag) {
    const state = window[STATE] || (window[STATE] = {});

    /* one visitor for the page view, however many tags it has */
    state.visitor = state.visitor || visit();

    /* a tag in <head> runs before <body> exists: settings, slots, delay
       start from the parsed page */
    if (document.readyState === 'loading') {
        document.addEventListener('DOMContentLoaded',
                                  safe(() => start(tag, state)));
    } else {
        start(tag, state);
    }
}


safe(main)(document.currentScript
           || document.querySelector('script[data-cx-survey]'));
