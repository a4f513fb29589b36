/*
 * The survey card: a shadow root (the page's CSS cannot reach in, ours
 * cannot leak out) holding one step at a time -- the question with its
 * scale, the optional comment, the thanks.  The score is sent the moment
 * it is chosen ("answered"); a comment follows as its own event
 * ("commented", the same token), so a visitor who leaves at the comment
 * step still counts.  Who is asked for a comment: cfg.ask, "low" (scores
 * up to scale[2], w.followup), "all" (higher ones get cfg.liked or
 * w.liked) or "none".
 *
 * In the corner it is a non-modal dialog that takes the focus unless the
 * visitor is typing; inside the page's slot it is a region that leaves
 * the focus alone.  Keyboard: Tab between controls, arrows / Home / End
 * within the scale, Enter or Space to choose, Escape to close; on close
 * the focus goes back where it was.  Styles come from a constructed
 * stylesheet, so a strict CSP (no 'unsafe-inline' styles) is fine.
 *
 * Right to left (cfg.rtl) the card is the mirror image: the bottom-left
 * corner, the close button top left, the scale from its lowest score on
 * the right, and ArrowLeft moving to the next score -- the direction it
 * is read in.  The DOM, so the focus order, stays lowest first.
 */

import css from './card.css';
import { comment } from './report.js';


const THANKS_MS = 4000;


function el(tag, attrs, text) {
    const e = document.createElement(tag);

    for (const k in attrs) {
        e.setAttribute(k, attrs[k]);
    }

    if (text) {
        e.textContent = text;
    }

    return e;
}


function editable(e) {
    return e && (e.isContentEditable
                 || /^(INPUT|TEXTAREA|SELECT)$/.test(e.tagName));
}


function style(root, nonce) {
    try {
        const sheet = new CSSStyleSheet();
        sheet.replaceSync(css);
        root.adoptedStyleSheets = [sheet];

    } catch (e) {
        /* no constructable stylesheets: a <style> with the page's nonce */
        const s = el('style', {}, css);
        s.nonce = nonce;
        root.append(s);
    }
}


/*
 * cfg: the tag's settings; w: the words; scale: [min, max, low];
 * slot: the page's element for an inline card, or null;
 * track(event, fields): reports an event (shown, dismissed, answered,
 * commented);
 * safe(f): f, never throwing into the page.
 */

export function card(cfg, w, scale, slot, track, safe) {
    const host = el('cx-survey');
    const root = host.attachShadow({ mode: 'open' });
    const box = el('div', slot
        ? { class: 'cx in', role: 'region', 'aria-labelledby': 'q' }
        : { class: 'cx', role: 'dialog', 'aria-labelledby': 'q',
            tabindex: '-1' });
    const ahead = cfg.rtl ? -1 : 1;     /* ArrowRight, in the DOM */
    const close = el('button', { type: 'button', class: 'x',
                                 'aria-label': w.close }, '\u00d7');
    const back = document.activeElement;
    let shown = false;
    let done = false;       /* answered */
    let gone = false;

    function show() {
        if (!shown) {
            shown = true;
            track('shown');
        }
    }

    function step(nodes, focus) {
        box.textContent = '';
        box.append(...nodes, close);

        if (focus) {
            focus.focus();
        }
    }

    function answer(score) {
        done = true;
        show();
        track('answered', { score: score });
    }

    function thanks() {
        const t = el('p', { id: 'q', class: 'q t', role: 'status',
                            tabindex: '-1' }, w.thanks);

        step([t], t);

        if (!slot) {
            setTimeout(safe(leave), THANKS_MS);
        }
    }

    function followup(score, low) {
        const area = el('textarea', { id: 'c', rows: '3', dir: 'auto',
                                      maxlength: '1000' });
        const skip = el('button', { type: 'button', class: 'b' }, w.skip);
        const send = el('button', { type: 'button', class: 'b p' }, w.send);
        const row = el('div', { class: 'r' });

        skip.onclick = safe(thanks);
        send.onclick = safe(() => {
            const text = comment(area.value);

            if (text) {
                track('commented', { score: score, comment: text });
            }

            thanks();
        });

        /* Ctrl+Enter sends, as in most comment boxes */
        area.onkeydown = safe(e => {
            if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
                e.preventDefault();
                send.click();
            }
        });

        row.append(skip, send);
        step([el('label', { id: 'q', for: 'c', class: 'q' },
                 low ? w.followup : cfg.liked || w.liked),
              area, row], area);
    }

    function pick(score) {
        const low = score <= scale[2];

        if (done) {
            return;
        }

        answer(score);

        if (cfg.ask === 'all' || (cfg.ask !== 'none' && low)) {
            followup(score, low);

        } else {
            thanks();
        }
    }

    function ask() {
        const group = el('div', { class: 's', role: 'group',
                                  'aria-labelledby': 'q' });
        const ends = el('div', { class: 'e' });
        const first = scale[0];
        const last = scale[1];

        for (let n = first; n <= last; n++) {
            const b = el('button', { type: 'button', class: 'n',
                                     tabindex: n === first ? '0' : '-1' },
                         String(n));

            if (n === first || n === last) {
                b.setAttribute('aria-describedby', n === first ? 'lo' : 'hi');
            }

            b.onclick = safe(() => pick(n));
            group.append(b);
        }

        /* one tab stop for the scale; the arrows move within it */
        group.onkeydown = safe(e => {
            const list = group.children;
            const i = Array.prototype.indexOf.call(list, e.target);
            const to = { ArrowRight: i + ahead, ArrowDown: i + 1,
                         ArrowLeft: i - ahead, ArrowUp: i - 1,
                         Home: 0, End: list.length - 1 }[e.key];

            if (i < 0 || to === undefined || e.altKey || e.ctrlKey
                || e.metaKey)
            {
                return;
            }

            e.preventDefault();

            const next = list[Math.max(0, Math.min(list.length - 1, to))];

            e.target.tabIndex = -1;
            next.tabIndex = 0;
            next.focus();
        });

        ends.append(el('span', { id: 'lo' }, w[cfg.type + '-low']),
                    el('span', { id: 'hi' }, w[cfg.type + '-high']));

        step([el('p', { id: 'q', class: 'q' }, cfg.question || w[cfg.type]),
              group, ends]);
    }

    /* the card goes away: dismissed, or an answer still to send */

    function leave() {
        if (gone) {
            return;
        }

        gone = true;

        if (!done && shown) {
            track('dismissed');
        }

        const had = document.activeElement === host;

        host.remove();

        if (had && back && back !== document.body && back.isConnected) {
            back.focus();
        }
    }

    close.onclick = safe(leave);

    box.onkeydown = safe(e => {
        if (e.key === 'Escape') {
            e.preventDefault();
            leave();
        }
    });

    /* the card's own direction and language, never the page's */
    box.dir = cfg.rtl ? 'rtl' : 'ltr';
    box.lang = cfg.lang;

    style(root, cfg.nonce);
    ask();
    root.append(box);

    if (slot) {
        slot.append(host);

        /* an inline card is shown when it is on screen */
        if (window.IntersectionObserver) {
            const io = new IntersectionObserver(safe(seen => {
                if (seen[0].isIntersecting) {
                    io.disconnect();
                    show();
                }
            }), { threshold: 0.5 });

            io.observe(box);

        } else {
            show();
        }

    } else {
        document.body.append(host);
        show();

        if (!editable(back)) {
            box.focus({ preventScroll: true });
        }
    }
}
