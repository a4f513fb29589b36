/*
 * demo/widget-placeholder.js -- stands in for the survey widget in
 * `make demo` until the real one exists.  It reads the data-cx-*
 * attributes of the script tag the module injected and, after
 * data-cx-delay seconds, shows a small box in the corner saying which
 * survey would appear.  No external resources; it never throws into the
 * page.
 */
(function () {
    'use strict';

    var tag;

    try {
        tag = document.currentScript
            || document.querySelector('script[data-cx-survey]');
    } catch (e) {
        tag = null;
    }

    if (!tag) {
        return;
    }

    function attr(name, dflt) {
        var v = tag.getAttribute('data-cx-' + name);
        return v === null || v === undefined || v === '' ? dflt : v;
    }

    function el(name, css, text) {
        var e = document.createElement(name);
        e.style.cssText = css;
        if (text) {
            e.textContent = text;
        }
        return e;
    }

    function show() {
        try {
            var box = el('div',
                'position:fixed;right:16px;bottom:16px;z-index:2147483647;'
                + 'max-width:320px;padding:14px 36px 14px 16px;'
                + 'background:#fff;color:#222;border:1px solid #d9d2c5;'
                + 'border-radius:10px;box-shadow:0 6px 24px rgba(0,0,0,.18);'
                + 'font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif');
            box.setAttribute('role', 'dialog');
            box.setAttribute('aria-label', 'Survey preview');

            box.appendChild(el('div',
                'font-size:12px;color:#7a6a55;margin-bottom:6px',
                'Survey ' + attr('survey', '?') + ' (' + attr('type', '?')
                + ') would show here:'));
            box.appendChild(el('div', 'font-weight:600',
                attr('question', '(no question configured)')));
            box.appendChild(el('div',
                'font-size:12px;color:#7a6a55;margin-top:6px',
                'touchpoint: ' + attr('touchpoint', 'other')));

            var close = el('button',
                'position:absolute;top:6px;right:8px;border:0;'
                + 'background:none;font-size:18px;line-height:1;'
                + 'cursor:pointer;color:#7a6a55', '\u00d7');
            close.setAttribute('type', 'button');
            close.setAttribute('aria-label', 'Close');
            close.onclick = function () {
                try {
                    box.parentNode.removeChild(box);
                } catch (e) { /* already gone */ }
            };
            box.appendChild(close);

            document.body.appendChild(box);
        } catch (e) { /* never break the page */ }
    }

    try {
        var delay = parseInt(attr('delay', '0'), 10);
        if (!(delay >= 0)) {
            delay = 0;
        }

        var go = function () { setTimeout(show, delay * 1000); };

        if (document.readyState === 'loading') {
            document.addEventListener('DOMContentLoaded', go);
        } else {
            go();
        }
    } catch (e) { /* never break the page */ }
}());
