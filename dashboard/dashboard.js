/*
 * The marketers' dashboard, served by cx_dashboard as ?js (README.md,
 * "The dashboard").  Plain JavaScript, no dependency, no build step: it
 * reads the scores endpoint (the page's data-cx-score, same origin only)
 * and draws every chart as SVG itself.
 *
 * What visitors wrote (comments, pages) and every name from the server
 * only ever reach the page as text (textContent, attribute values),
 * never as HTML.  No inline script or style: it runs under the strict
 * Content-Security-Policy cx_dashboard sends.
 *
 * document.body.dataset.state is "loading", "ready", "auth" (a token is
 * needed) or "error": the browser tests wait on it.
 */

(function () {
    'use strict';

    var SVG = 'http://www.w3.org/2000/svg';
    var TOKEN = 'cx-dashboard-token';
    var DAY = 86400000;
    /*
     * Follow-ups: how many one report=followups reads (Older reads the
     * next ones after its cursor, "next"; the search looks at those read),
     * and how many a page shows.
     */
    var FOLLOWUPS = 100;
    var PAGE = 20;
    /* a heat-map cell with fewer answers is hatched: too few to read */
    var HEAT_FEW = 30;

    /* spread: the least difference the heat map's colours stretch over */
    var TYPES = {
        nps: { label: 'NPS', min: -100, max: 100, decimals: 1, sign: true,
               ticks: [-100, -50, 0, 50, 100], good: 30, bad: 0,
               spread: 10 },
        csat: { label: 'CSAT', min: 0, max: 100, decimals: 1, unit: '%',
                ticks: [0, 25, 50, 75, 100], good: 80, bad: 70, spread: 5 },
        ces: { label: 'CES', min: 1, max: 7, decimals: 2,
               ticks: [1, 2, 3, 4, 5, 6, 7], good: 5.5, bad: 4,
               spread: 0.25 }
    };

    var WDAYS = { mon: 'Monday', tue: 'Tuesday', wed: 'Wednesday',
                  thu: 'Thursday', fri: 'Friday', sat: 'Saturday',
                  sun: 'Sunday' };
    var MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug',
                  'Sep', 'Oct', 'Nov', 'Dec'];
    var JOURNEY = ['view', 'triggered', 'shown', 'answered', 'commented',
                   'dismissed'];
    /* the kinds of failure (report=rules' reasons): one, many */
    var REASONS = {
        error: ['Lua error', 'Lua errors'],
        result: ['value not allowed', 'values not allowed'],
        budget: ['over its budget', 'over their budget'],
        memory: ['out of memory', 'out of memory']
    };

    var state = { surveys: [], survey: '', from: '', to: '', touchpoint: '',
                  compare: false, heat: 'score', search: '', page: 0 };
    var data = null;            /* the last answers, for redrawing */
    var generation = 0;         /* answers of an older load are dropped */
    var drawnWidth = 0;

    var score = scoreUrl(document.body.getAttribute('data-cx-score'));


    /* ---- small helpers */

    function $(id) {
        return document.getElementById(id);
    }

    /* an HTML element: attributes as given, children as nodes or text */
    function h(tag, attrs, kids) {
        var e = document.createElement(tag);
        return fill(e, attrs, kids);
    }

    function s(tag, attrs, kids) {
        var e = document.createElementNS(SVG, tag);
        return fill(e, attrs, kids);
    }

    function fill(e, attrs, kids) {
        Object.keys(attrs || {}).forEach(function (k) {
            if (attrs[k] !== null && attrs[k] !== undefined
                && attrs[k] !== false)
            {
                e.setAttribute(k, attrs[k] === true ? '' : String(attrs[k]));
            }
        });

        [].concat(kids === undefined ? [] : kids).forEach(function (k) {
            if (k === null || k === undefined) {
                return;
            }
            e.appendChild(typeof k === 'object' ? k
                          : document.createTextNode(String(k)));
        });

        return e;
    }

    function clear(e) {
        e.textContent = '';
        return e;
    }

    function width(e) {
        var w = Math.floor(e.getBoundingClientRect().width);
        return w > 0 ? Math.max(w, 240) : 600;
    }

    function minus(text) {
        return text.replace('-', '\u2212');
    }

    function fmt(type, v, decimals) {
        var t = TYPES[type];
        var out;

        if (v === null || v === undefined) {
            return '\u2013';
        }

        out = minus(v.toFixed(decimals === undefined ? t.decimals
                                                     : decimals));
        return (t.sign && v > 0 ? '+' : '') + out + (t.unit || '');
    }

    function fmtCi(type, ci) {
        return ci ? fmt(type, ci[0]) + ' to ' + fmt(type, ci[1]) : '\u2013';
    }

    function pct(v) {
        return v === null || v === undefined ? '\u2013' : v.toFixed(1) + '%';
    }

    function count(n) {
        return Number(n || 0).toLocaleString('en-US');
    }

    /* a change in the score's own units: points, or CES steps */
    function fmtDiff(type, v) {
        var t = TYPES[type];

        if (v === null || v === undefined) {
            return '\u2013';
        }

        return (v > 0 ? '+' : '') + minus(v.toFixed(t.decimals))
               + (type === 'csat' ? ' pts' : '');
    }

    function fmtP(p) {
        return p === null || p === undefined ? '\u2013'
               : p < 0.001 ? 'p < 0.001' : 'p = ' + p.toFixed(3);
    }

    /*
     * This period against the compared one (a "compare" or "vs_rest" of
     * /cx/score): the change, and in words whether it is significant --
     * an arrow and "significant", or "\u2248" and "not significant", not
     * only a colour.  null when there is nothing to compare.
     */
    function change(type, c, what) {
        var sig, text, title;

        if (!c || (c.n === 0 && what)) {
            return null;
        }

        if (c.diff === null || c.diff === undefined) {
            return h('span', { class: 'change is-none',
                               'data-significant': 'none' },
                     'no change to show: no answers ' + (what || 'before'));
        }

        sig = c.significant === true;
        text = sig ? (c.diff < 0 ? '\u25bc ' : '\u25b2 ')
                     + fmtDiff(type, c.diff) + ' significant'
                   : '\u2248 ' + fmtDiff(type, c.diff)
                     + (c.p_value === null ? ' not tested'
                                           : ' not significant');
        title = (what ? what + ': ' : 'previous: ')
                + TYPES[type].label + ' ' + fmt(type, c[type])
                + ' (' + plural(c.n, 'answer', 'answers') + ')'
                + '; change ' + fmtDiff(type, c.diff) + ', 95% interval '
                + (c.diff_ci95 ? fmtDiff(type, c.diff_ci95[0]) + ' to '
                                 + fmtDiff(type, c.diff_ci95[1])
                               : '\u2013')
                + ', ' + fmtP(c.p_value);

        return h('span', {
            class: 'change ' + (sig ? 'is-sig' : 'is-ns')
                   + (sig ? (c.diff < 0 ? ' down' : ' up') : ''),
            'data-significant': sig ? 'yes' : 'no',
            'data-diff': c.diff, title: title
        }, text);
    }

    /* a count or a rate against the compared period's: never tested */
    function countChange(now, before, rate) {
        var d;

        if (before === null || before === undefined || now === null
            || now === undefined)
        {
            return null;
        }

        d = now - before;

        return h('span', { class: 'change is-untested',
                           'data-significant': 'untested',
                           title: 'previous: ' + (rate ? pct(before)
                                                       : count(before))
                                  + '; a count, not tested' },
                 (d > 0 ? '+' : d < 0 ? '\u2212' : '\u00b1')
                 + (rate ? Math.abs(d).toFixed(1) + ' pts'
                         : count(Math.abs(d)))
                 + ' (not tested)');
    }

    function plural(n, one, many) {
        return count(n) + ' ' + (n === 1 ? one : many);
    }

    function level(type, v) {
        var t = TYPES[type];

        if (v === null || v === undefined) {
            return '';
        }
        return v < t.bad ? 'is-low' : v < t.good ? 'is-mid' : 'is-high';
    }

    function shortDay(day) {
        return +day.slice(8, 10) + ' ' + MONTHS[+day.slice(5, 7) - 1];
    }

    function today() {
        return new Date().toISOString().slice(0, 10);
    }

    /* the compared period: as many days, just before "from" */
    function previous() {
        var days = Math.round((Date.parse(state.to) - Date.parse(state.from))
                              / DAY) + 1;

        return { from: addDays(state.from, -days),
                 to: addDays(state.from, -1) };
    }

    /* a preset period: "7", "30", "90" days to today, or a month (UTC) */
    function preset(name) {
        var to = today();
        var first = to.slice(0, 8) + '01';

        if (name === 'month') {
            return { from: first, to: to };
        }

        if (name === 'last-month') {
            return { from: addDays(first, -1).slice(0, 8) + '01',
                     to: addDays(first, -1) };
        }

        return { from: addDays(to, 1 - name), to: to };
    }

    /* the preset buttons: the one the period is, pressed */
    function showPresets() {
        [].forEach.call(document.querySelectorAll('button[data-preset]'),
            function (b) {
                var p = preset(b.getAttribute('data-preset'));

                b.setAttribute('aria-pressed', p.from === state.from
                               && p.to === state.to ? 'true' : 'false');
            });
    }

    function addDays(day, n) {
        return new Date(Date.parse(day + 'T00:00:00Z') + n * DAY)
            .toISOString().slice(0, 10);
    }

    function isDay(day) {
        return /^\d{4}-\d{2}-\d{2}$/.test(day || '')
               && !isNaN(Date.parse(day + 'T00:00:00Z'));
    }

    /* the scores endpoint: a path on this site, whatever the attribute */
    function scoreUrl(attr) {
        var u;

        try {
            u = new URL(attr && attr.charAt(0) !== '@' ? attr : '/cx/score',
                        location.href);
        } catch (e) {
            u = null;
        }

        if (!u || u.origin !== location.origin) {
            u = new URL('/cx/score', location.href);
        }

        return u.pathname;
    }

    function mix(a, b, t) {
        var x = parseInt(a.slice(1), 16);
        var y = parseInt(b.slice(1), 16);
        var out = '#';

        [16, 8, 0].forEach(function (shift) {
            var c = Math.round(((x >> shift) & 255) * (1 - t)
                               + ((y >> shift) & 255) * t);
            out += (c < 16 ? '0' : '') + c.toString(16);
        });

        return out;
    }

    /* red, amber, green from 0 to 1; blues for counts */
    function ramp(f) {
        f = Math.max(0, Math.min(1, f));

        return f < 0.5 ? mix('#d92d20', '#f2b705', f * 2)
                       : mix('#f2b705', '#15935a', (f - 0.5) * 2);
    }

    function countColour(f) {
        return mix('#dce6f7', '#173f8a', Math.max(0, Math.min(1, f)));
    }

    var NONE = '#e4e7ec';


    /* ---- the token (cx_score_token), kept in this tab only */

    function token() {
        try {
            return sessionStorage.getItem(TOKEN) || '';
        } catch (e) {
            return '';
        }
    }

    function setToken(t) {
        try {
            if (t) {
                sessionStorage.setItem(TOKEN, t);
            } else {
                sessionStorage.removeItem(TOKEN);
            }
        } catch (e) {
            /* no storage: the token lasts as long as the page */
        }
        memoryToken = t;
        $('forget').hidden = !t;
    }

    var memoryToken = '';
    var reading = false;    /* older follow-ups on their way */


    /* ---- the scores endpoint */

    function api(params) {
        var q = new URLSearchParams();
        var headers = {};
        var t = token() || memoryToken;

        Object.keys(params).forEach(function (k) {
            if (params[k] !== '' && params[k] !== undefined) {
                q.set(k, params[k]);
            }
        });

        if (t) {
            headers.Authorization = 'Bearer ' + t;
        }

        return fetch(score + '?' + q.toString(),
                     { headers: headers, credentials: 'same-origin',
                       cache: 'no-store' })
            .then(function (r) {
                return r.text().then(function (text) {
                    var body = null;
                    var err;

                    try {
                        body = JSON.parse(text);
                    } catch (e) {
                        body = null;
                    }

                    if (r.ok && body) {
                        return body;
                    }

                    err = new Error(body && body.error ? body.error
                                    : 'the scores endpoint answered '
                                      + r.status);
                    err.auth = r.status === 401;
                    err.status = r.status;
                    throw err;
                });
            });
    }

    /* a promise that always resolves: { ok: answer } or { error: e } */
    function settle(p) {
        return p.then(function (v) {
            return { ok: v };
        }, function (e) {
            return { error: e };
        });
    }


    /* ---- status line and state */

    function status(text, error) {
        var st = $('status');
        st.textContent = text;
        st.className = 'status' + (error ? ' error' : '');
    }

    function phase(name) {
        document.body.setAttribute('data-state', name);
        $('main').setAttribute('aria-busy', name === 'loading' ? 'true'
                                                                : 'false');
    }

    function askToken(err) {
        var had = !!(token() || memoryToken);

        phase('auth');
        setToken('');
        $('auth').hidden = false;
        $('auth-why').textContent = had
            ? 'The token was refused (' + err.message + '). Enter the '
              + 'current one (cx_score_token); it is kept in this browser '
              + 'tab only and sent to this site only.'
            : 'The scores endpoint asks for a bearer token (cx_score_token). '
              + 'It is kept in this browser tab only and sent to this site '
              + 'only.';
        status('An access token is needed to read the scores.', true);
        $('token').focus();
    }


    /* ---- the period, the survey and the touchpoint: in the URL's hash */

    function readHash() {
        var q = new URLSearchParams(location.hash.slice(1));
        var to = q.get('to');
        var from = q.get('from');

        state.to = isDay(to) ? to : today();
        state.from = isDay(from) ? from : addDays(state.to, -29);
        state.survey = q.get('survey') || state.survey;
        state.touchpoint = q.get('touchpoint') || '';
        state.compare = q.get('compare') === 'previous';
        state.tz = q.get('tz') || '';
    }

    function writeHash() {
        var q = new URLSearchParams();

        q.set('survey', state.survey);
        q.set('from', state.from);
        q.set('to', state.to);

        if (state.touchpoint) {
            q.set('touchpoint', state.touchpoint);
        }

        if (state.compare) {
            q.set('compare', 'previous');
        }

        if (state.tz) {
            q.set('tz', state.tz);
        }

        if (location.hash.slice(1) !== q.toString()) {
            history.replaceState(null, '', '#' + q.toString());
        }
    }

    function showFilters() {
        $('survey').value = state.survey;
        $('from').value = state.from;
        $('to').value = state.to;
        touchpointOption(state.touchpoint);
        $('touchpoint').value = state.touchpoint;
        $('compare').checked = state.compare;
        showPresets();
    }

    function readFilters() {
        state.survey = $('survey').value;
        state.from = $('from').value;
        state.to = $('to').value;
        state.touchpoint = $('touchpoint').value;
        state.compare = $('compare').checked;
    }

    function touchpointOption(name) {
        var sel = $('touchpoint');

        if (!name || [].some.call(sel.options, function (o) {
            return o.value === name;
        })) {
            return;
        }

        sel.appendChild(h('option', { value: name }, name));
    }

    /* a survey's name: its title= (report=surveys), else its id */
    function name(sv) {
        return sv.title || sv.id;
    }

    function surveyOf(id) {
        return state.surveys.filter(function (x) {
            return x.id === id;
        })[0];
    }


    /* ---- loading */

    function start() {
        setToken(token());
        readHash();
        bind();
        loadSurveys();
    }

    function loadSurveys() {
        phase('loading');
        status('Loading the surveys\u2026');

        api({ report: 'surveys' }).then(function (r) {
            var sel = clear($('survey'));

            state.surveys = r.surveys || [];

            if (state.surveys.length === 0) {
                settle(api({ report: 'rules' })).then(function (rules) {
                    section($('rules'), [rules], drawRules);
                    phase('ready');
                    status('No survey is configured (cx_survey) in this '
                           + 'nginx.');
                });
                return;
            }

            state.surveys.forEach(function (x) {
                sel.appendChild(h('option', { value: x.id },
                                  name(x) + ' (' + TYPES[x.type].label
                                  + ')'));
            });

            if (!surveyOf(state.survey)) {
                state.survey = state.surveys[0].id;
            }

            showFilters();
            load();

        }).catch(function (e) {
            if (e.auth) {
                askToken(e);
                return;
            }

            phase('error');
            status('Could not read the surveys: ' + e.message, true);
        });
    }

    function load() {
        var gen = ++generation;
        var sv = surveyOf(state.survey);
        var tp = state.touchpoint;
        var days, prev, asked;

        if (!isDay(state.from) || !isDay(state.to)) {
            status('Choose both days of the period.', true);
            return;
        }

        days = (Date.parse(state.to) - Date.parse(state.from)) / DAY;

        if (days < 0) {
            status('The period ends before it starts: "From" must be '
                   + 'on or before "To".', true);
            return;
        }

        if (days > 365) {
            status('The period is longer than 366 days: choose a '
                   + 'shorter one.', true);
            return;
        }

        writeHash();
        showPresets();
        state.page = 0;
        phase('loading');
        status('Loading ' + name(sv) + ', ' + state.from + ' to ' + state.to
               + '\u2026');

        prev = state.compare ? previous() : null;
        asked = { report: 'followups', survey: sv.id, touchpoint: tp,
                  count: FOLLOWUPS };

        function one(params) {
            params.from = params.from || state.from;
            params.to = params.to || state.to;
            return settle(api(params));
        }

        /* a survey's scores, against the previous period when asked */
        function scores(params) {
            params.compare = prev ? 'previous' : '';
            return one(params);
        }

        /* what the previous period had, for the counts' changes */
        function before(params) {
            if (!prev) {
                return Promise.resolve(null);
            }

            params.from = prev.from;
            params.to = prev.to;
            return one(params);
        }

        Promise.all([
            Promise.all(state.surveys.map(function (x) {
                return scores({ survey: x.id, touchpoint: tp });
            })),
            scores({ survey: sv.id, touchpoint: tp, by: 'day' }),
            scores({ survey: sv.id, by: 'touchpoint' }),
            scores({ survey: sv.id, touchpoint: tp, by: 'hour',
                     tz: state.tz }),
            scores({ survey: sv.id, touchpoint: tp, by: 'wday',
                     tz: state.tz }),
            one({ report: 'touchpoints', touchpoint: tp }),
            one(asked),
            settle(api({ report: 'rules' })),
            before({ survey: sv.id, touchpoint: tp }),
            before({ report: 'touchpoints', touchpoint: tp }),
            scores({ survey: sv.id, touchpoint: tp, by: 'variant' })
        ]).then(function (r) {
            var all = r[0].concat(r.slice(1).filter(function (x) {
                return x !== null;
            }));
            var auth = all.filter(function (x) {
                return x.error && x.error.auth;
            })[0];
            var failed = all.filter(function (x) {
                return x.error;
            });

            if (gen !== generation) {
                return;
            }

            if (auth) {
                askToken(auth.error);
                return;
            }

            /* a time zone this endpoint does not offer (an old link):
               the heat map in its default one */
            if (state.tz && [r[3], r[4]].some(function (x) {
                return x.error && /^tz: /.test(x.error.message);
            })) {
                state.tz = '';
                load();
                return;
            }

            data = { survey: sv, cards: r[0], day: r[1], pain: r[2],
                     hour: r[3], wday: r[4], journey: r[5],
                     followups: r[6], asked: asked, rules: r[7], prev: prev,
                     before: r[8] && r[8].ok, journeyBefore: r[9] && r[9].ok,
                     variants: r[10] };
            draw();

            $('auth').hidden = true;

            if (failed.length) {
                phase('error');
                status('Some parts could not be read: '
                       + failed[0].error.message, true);
                return;
            }

            phase('ready');
            status('Updated at ' + new Date().toISOString().slice(11, 19)
                   + ' UTC: ' + name(sv) + ', ' + state.from + ' to '
                   + state.to + (tp ? ', touchpoint ' + tp : '')
                   + (prev ? ', against ' + prev.from + ' to ' + prev.to
                      : '') + '.');
        });
    }

    function draw() {
        if (!data) {
            return;
        }

        drawnWidth = width($('main'));

        section($('cards'), [], drawCards, data.cards);
        section($('kpis'), [data.day], drawDetail);
        section($('trend'), [data.day], drawTrend);
        section($('variants'), [data.variants], drawVariants);
        section($('pain'), [data.pain], drawPain);
        section($('heat-hour'), [data.hour, data.wday], drawHeat);
        section($('journey'), [data.journey], drawJourney);
        section($('comments'), [data.followups], drawComments);
        section($('rules'), [data.rules], drawRules);
        touchpoints();
        scrollables();
    }

    /* a table wider than the screen scrolls: then it is a tab stop too */
    function scrollables() {
        [].forEach.call(document.querySelectorAll('.table-wrap'),
            function (box) {
                if (box.scrollWidth > box.clientWidth + 1) {
                    box.setAttribute('tabindex', '0');
                    box.setAttribute('role', 'region');
                    box.setAttribute('aria-label',
                                     box.getAttribute('data-label'));
                } else {
                    box.removeAttribute('tabindex');
                    box.removeAttribute('role');
                    box.removeAttribute('aria-label');
                }
            });
    }

    /*
     * One part of the page, from settled answers: drawn with fn(answers),
     * or, if one could not be read (or drawn), the reason in its place.
     */
    function section(where, answers, fn, arg) {
        var failed = answers.filter(function (x) {
            return x.error;
        })[0];

        try {
            if (failed) {
                throw new Error('Could not be read: ' + failed.error.message);
            }

            fn.apply(null, arg !== undefined ? [arg] : answers.map(function (x) {
                return x.ok;
            }));

        } catch (e) {
            clear(where).appendChild(h(where.tagName === 'OL' ? 'li' : 'p',
                                       { class: 'failed' }, e.message));
        }
    }

    /* the touchpoint filter offers those of the pain map and the journey */
    function touchpoints() {
        var names = {};
        var sel = $('touchpoint');

        [data.pain, data.journey].forEach(function (r) {
            var list = r.ok ? (r.ok.groups || r.ok.touchpoints || []) : [];

            list.forEach(function (g) {
                names[g.touchpoint] = 1;
            });
        });

        Object.keys(names).sort().forEach(touchpointOption);

        [].slice.call(sel.options, 1).sort(function (a, b) {
            return a.value < b.value ? -1 : 1;
        }).forEach(function (o) {
            sel.appendChild(o);
        });

        sel.value = state.touchpoint;
    }


    /* ---- the surveys, one card each */

    function drawCards(cards) {
        var list = clear($('cards'));

        state.surveys.forEach(function (sv, i) {
            var r = cards[i].ok;
            var t = TYPES[sv.type];
            var kids;

            if (r) {
                kids = [
                    h('span', { class: 'card-id' }, name(sv)),
                    name(sv) !== sv.id ? h('span', { class: 'card-type' },
                                           sv.id) : null,
                    h('span', { class: 'card-type' }, t.label),
                    h('span', { class: 'card-score ' + level(sv.type,
                                                              r[sv.type]) },
                      fmt(sv.type, r[sv.type])),
                    h('span', { class: 'card-ci' },
                      '95% interval ' + fmtCi(sv.type, r.ci95)),
                    change(sv.type, r.compare),
                    h('span', { class: 'card-n' },
                      plural(r.n, 'answer', 'answers') + ' \u00b7 '
                      + pct(r.response_rate) + ' responded')
                ];

            } else {
                kids = [
                    h('span', { class: 'card-id' }, name(sv)),
                    name(sv) !== sv.id ? h('span', { class: 'card-type' },
                                           sv.id) : null,
                    h('span', { class: 'card-type' }, t.label),
                    h('span', { class: 'card-n failed' },
                      'Could not be read: ' + cards[i].error.message)
                ];
            }

            list.appendChild(h('li', {}, h('button', {
                type: 'button', class: 'card', 'data-survey': sv.id,
                'aria-pressed': sv.id === state.survey ? 'true' : 'false'
            }, kids)));
        });
    }


    /* ---- the chosen survey: its numbers and its histogram */

    function kpi(term, value, note, cls, delta) {
        return h('div', { class: 'kpi' + (cls ? ' ' + cls : '') }, [
            h('dt', {}, term),
            h('dd', {}, [value, note ? h('small', {}, note) : null,
                         delta ? h('small', { class: 'kpi-change' }, delta)
                               : null])
        ]);
    }

    /* the score's change, in a sentence: the main figure's */
    function scoreChange(type, c) {
        var p = data.prev;
        var badge = change(type, c);

        if (!badge) {
            return null;
        }

        return h('span', { class: 'change-line' }, [
            badge, ' against ' + shortDay(p.from) + '\u2013' + shortDay(p.to)
            + (c.diff === null ? ''
               : ' (' + fmt(type, c[type]) + ', '
                 + plural(c.n, 'answer', 'answers') + '; the change\'s 95% '
                 + 'interval ' + (c.diff_ci95
                                  ? fmtDiff(type, c.diff_ci95[0]) + ' to '
                                    + fmtDiff(type, c.diff_ci95[1])
                                  : '\u2013') + ', ' + fmtP(c.p_value) + ')')
        ]);
    }

    function drawDetail(r) {
        var sv = data.survey;
        var type = r.type;
        var t = TYPES[type];
        var dl = clear($('kpis'));
        var main = h('span', { class: level(type, r[type]), id: 'score' },
                     fmt(type, r[type]));
        var b = data.before;

        function was(f) {
            return b ? f(b) : null;
        }

        $('h-detail').textContent = name(sv) + ' \u2014 ' + t.label
            + (state.touchpoint ? ' at ' + state.touchpoint : '');
        $('question').textContent = sv.question
            ? '\u201c' + sv.question + '\u201d' : '';
        $('question').hidden = !sv.question;

        dl.appendChild(kpi(t.label, main,
                           r.ci95 ? '95% interval ' + fmtCi(type, r.ci95)
                                  : 'no interval: too few answers',
                           'main', scoreChange(type, r.compare)));
        dl.appendChild(kpi('Answers', count(r.n),
                           count(r.low) + ' low (follow-ups)', '',
                           r.compare ? countChange(r.n, r.compare.n) : null));
        dl.appendChild(kpi('Shown', count(r.impressions.shown),
                           count(r.impressions.triggered) + ' triggered', '',
                           countChange(r.impressions.shown, was(function (x) {
                               return x.impressions.shown;
                           }))));
        dl.appendChild(kpi('Response rate', pct(r.response_rate),
                           count(r.answers) + ' answered of shown', '',
                           countChange(r.response_rate, was(function (x) {
                               return x.response_rate;
                           }), true)));
        dl.appendChild(kpi('Commented', count(r.commented),
                           pct(r.n ? 100 * r.commented / r.n : null)
                           + ' of answers had a follow-up comment', '',
                           countChange(r.commented, was(function (x) {
                               return x.commented;
                           }))));
        dl.appendChild(kpi('Dismiss rate', pct(r.dismiss_rate),
                           count(r.dismissed) + ' dismissed of shown', '',
                           countChange(r.dismiss_rate, was(function (x) {
                               return x.dismiss_rate;
                           }), true)));

        if (type === 'nps') {
            dl.appendChild(kpi('Promoters \u00b7 passives \u00b7 detractors',
                               pct(r.promoters_pct) + ' \u00b7 '
                               + pct(r.passives_pct) + ' \u00b7 '
                               + pct(r.detractors_pct),
                               count(r.promoters) + ' scored 9\u201310, '
                               + count(r.passives) + ' 7\u20138, '
                               + count(r.detractors) + ' 0\u20136',
                               'wide', b ? h('span', {}, [
                                   'promoters ',
                                   countChange(r.promoters_pct,
                                               b.promoters_pct, true),
                                   ', detractors ',
                                   countChange(r.detractors_pct,
                                               b.detractors_pct, true)
                               ]) : null));

        } else if (type === 'csat') {
            dl.appendChild(kpi('Satisfied', count(r.satisfied),
                               'scored 4\u20135', '',
                               countChange(r.satisfied, was(function (x) {
                                   return x.satisfied;
                               }))));

        } else {
            dl.appendChild(kpi('Standard deviation',
                               r.sd === null ? '\u2013' : minus(r.sd.toFixed(2)),
                               'of the scores 1\u20137'));
        }

        drawHistogram(r, sv);
        drawPrecision(r);
    }

    /* a margin or a change in the score's units: "5 points", "0.25" */
    function points(type, v) {
        return type === 'ces' ? v.toFixed(2)
               : (v % 1 ? v.toFixed(1) : String(v)) + ' points';
    }

    function inDays(d) {
        return d === null || d === undefined
               ? 'no telling when: no answers a day so far'
               : 'about ' + plural(d, 'day', 'days')
                 + ' at this period\'s rate';
    }

    /*
     * How many answers are enough (/cx/score's precision and
     * detectable): "980 more answers for \u00b15 points, about 157 days".
     */
    function drawPrecision(r) {
        var p = r.precision;
        var d = r.detectable;
        var type = r.type;
        var out = [];

        if (!p) {
            $('precision').textContent = '';
            return;
        }

        out.push(p.needed === null
            ? 'No answers yet: how many give \u00b1' + points(type, p.margin)
              + ' shows once there are some.'
            : p.more === 0
            ? 'Enough answers for \u00b1' + points(type, p.margin) + ': '
              + count(p.needed) + ' needed, ' + count(r.n) + ' in hand.'
            : count(p.more) + ' more ' + (p.more === 1 ? 'answer' : 'answers')
              + ' for \u00b1' + points(type, p.margin) + ' ('
              + count(p.needed) + ' in all), ' + inDays(p.days) + '.');

        if (d && d.needed !== null) {
            out.push('To tell a change of ' + points(type, d.change)
                     + ' between two such periods: ' + count(d.needed)
                     + ' answers in each' + (d.more ? ', ' + count(d.more)
                     + ' more, ' + inDays(d.days) : ', which this period has')
                     + '.');
        }

        $('precision').textContent = out.join(' ');
    }

    function drawHistogram(r, sv) {
        var box = clear($('histogram'));
        var keys = Object.keys(r.histogram).sort(function (a, b) {
            return a - b;
        });
        var max = Math.max.apply(null, keys.map(function (k) {
            return r.histogram[k];
        }).concat([1]));
        var W = Math.min(width(box), 420);
        var H = 150;
        var bw = W / keys.length;
        var label = 'Answers by score: ' + keys.map(function (k) {
            return k + ': ' + r.histogram[k];
        }).join(', ');
        var svg = s('svg', { width: W, height: H, viewBox: '0 0 ' + W + ' '
                             + H, role: 'img', 'aria-label': label });
        var top = sv.type === 'nps' ? 9 : sv.type === 'csat' ? 4 : 6;

        keys.forEach(function (k, i) {
            var n = r.histogram[k];
            var bh = (H - 40) * n / max;
            var cls = +k <= sv.low ? 'bar low' : +k >= top ? 'bar high'
                                                             : 'bar';

            svg.appendChild(s('rect', {
                class: cls, x: i * bw + 2, y: H - 22 - bh,
                width: Math.max(bw - 4, 1), height: Math.max(bh, 0)
            }, s('title', {}, 'score ' + k + ': '
                             + plural(n, 'answer', 'answers'))));
            svg.appendChild(s('text', { x: i * bw + bw / 2, y: H - 6,
                                        'text-anchor': 'middle' }, k));

            if (n) {
                svg.appendChild(s('text', { x: i * bw + bw / 2,
                                            y: H - 26 - bh,
                                            'text-anchor': 'middle' },
                                  count(n)));
            }
        });

        box.appendChild(svg);
    }


    /* ---- the daily trend: the score, its interval as a band, answers */

    function drawTrend(r) {
        var box = clear($('trend'));
        var nbox = clear($('trend-n'));
        var type = r.type;
        var t = TYPES[type];
        var g = r.groups || [];
        var W = width(box);
        var H = W < 520 ? 220 : 280;
        var m = { l: 48, r: 16, t: 14, b: 28 };
        var iw = W - m.l - m.r;
        var ih = H - m.t - m.b;
        var answered = g.filter(function (d) {
            return d[type] !== null;
        });
        var svg, band, line, lo, hi, every, total, prevLine;

        function x(i) {
            return m.l + (g.length > 1 ? i * iw / (g.length - 1) : iw / 2);
        }

        function y(v) {
            return m.t + (t.max - v) / (t.max - t.min) * ih;
        }

        function r1(v) {
            return Math.round(v * 10) / 10;
        }

        lo = answered.reduce(function (a, d) {
            return !a || d[type] < a[type] ? d : a;
        }, null);
        hi = answered.reduce(function (a, d) {
            return !a || d[type] > a[type] ? d : a;
        }, null);

        svg = s('svg', {
            width: W, height: H, viewBox: '0 0 ' + W + ' ' + H,
            role: 'img', class: 'trend',
            'aria-label': 'Daily ' + t.label + ', ' + r.from + ' to ' + r.to
                + ': ' + answered.length + ' of ' + g.length
                + ' days with answers'
                + (lo ? '; lowest ' + fmt(type, lo[type]) + ' on ' + lo.day
                        + ', highest ' + fmt(type, hi[type]) + ' on '
                        + hi.day : '')
                + '; the whole period ' + fmt(type, r[type])
                + (r.compare ? '; the previous period (dashed grey) '
                   + fmt(type, r.compare[type]) : '') + '.'
        });

        t.ticks.forEach(function (v) {
            svg.appendChild(s('line', {
                class: v === 0 && type === 'nps' ? 'zero' : 'grid',
                x1: m.l, x2: W - m.r, y1: y(v), y2: y(v)
            }));
            svg.appendChild(s('text', { x: m.l - 8, y: y(v) + 4,
                                        'text-anchor': 'end' },
                              fmt(type, v, 0)));
        });

        /* the band and the line, broken where a day has no answers */

        band = '';
        line = '';

        runs(g, function (d) {
            return d.ci95;
        }).forEach(function (run) {
            var w = run.length === 1 ? 4 : 0;
            var top = run.map(function (i, k) {
                return (k ? 'L' : 'M') + r1(x(i) - (k ? -w : w)) + ' '
                       + r1(y(g[i].ci95[1]));
            });
            var bottom = run.slice().reverse().map(function (i, k) {
                return 'L' + r1(x(i) + (k ? -w : w)) + ' '
                       + r1(y(g[i].ci95[0]));
            });

            band += top.join('') + bottom.join('') + 'Z';
        });

        runs(g, function (d) {
            return d[type] !== null;
        }).forEach(function (run) {
            line += run.map(function (i, k) {
                return (k ? 'L' : 'M') + r1(x(i)) + ' ' + r1(y(g[i][type]));
            }).join('');
        });

        svg.appendChild(s('path', { class: 'trend-band', d: band || 'M0 0' }));

        if (r.compare) {
            prevLine = '';
            runs(g, function (d) {
                return d.compare && d.compare[type] !== null;
            }).forEach(function (run) {
                prevLine += run.map(function (i, k) {
                    return (k ? 'L' : 'M') + r1(x(i)) + ' '
                           + r1(y(g[i].compare[type]));
                }).join('');
            });
            svg.appendChild(s('path', { class: 'trend-prev',
                                        d: prevLine || 'M0 0' }));
        }

        svg.appendChild(s('path', { class: 'trend-line', d: line || 'M0 0' }));

        if (r[type] !== null) {
            total = y(r[type]);
            svg.appendChild(s('line', { class: 'trend-total', x1: m.l,
                                        x2: W - m.r, y1: total,
                                        y2: total }));
            svg.appendChild(s('text', {
                class: 'trend-total-label', x: W - m.r,
                y: total + (total < m.t + 16 ? 16 : -6),
                'text-anchor': 'end'
            }, 'period ' + fmt(type, r[type])));
        }

        if (r.compare && r.compare[type] !== null) {
            total = y(r.compare[type]);
            svg.appendChild(s('line', { class: 'trend-prev-total', x1: m.l,
                                        x2: W - m.r, y1: total,
                                        y2: total }));
            svg.appendChild(s('text', {
                class: 'trend-prev-label', x: m.l + 4,
                y: total + (total < m.t + 16 ? 16 : -6)
            }, 'previous ' + fmt(type, r.compare[type])));
        }

        g.forEach(function (d, i) {
            if (d[type] === null) {
                return;
            }

            svg.appendChild(s('circle', {
                class: 'trend-point', cx: r1(x(i)), cy: r1(y(d[type])),
                r: 3.5, 'data-day': d.day, 'data-score': d[type]
            }, s('title', {}, d.day + ': ' + t.label + ' '
                              + fmt(type, d[type]) + ', 95% interval '
                              + fmtCi(type, d.ci95) + ', '
                              + plural(d.n, 'answer', 'answers'))));
        });

        every = Math.max(1, Math.ceil(g.length / Math.max(2,
                                                          Math.floor(iw / 70))));

        g.forEach(function (d, i) {
            if (i % every && i !== g.length - 1) {
                return;
            }

            if (i === g.length - 1 && i % every
                && x(i) - x(i - i % every) < 50)
            {
                return;
            }

            svg.appendChild(s('text', {
                x: x(i), y: H - 8,
                'text-anchor': g.length === 1 ? 'middle' : i === 0 ? 'start'
                               : i === g.length - 1 ? 'end' : 'middle'
            }, shortDay(d.day)));
        });

        box.appendChild(svg);

        if (answered.length === 0) {
            box.appendChild(h('p', { class: 'empty' },
                              'No answers in this period.'));
        }

        drawAnswersPerDay(nbox, g, x, W, m);
        drawTrendTable(r);
    }

    /* runs of consecutive indexes for which ok(group) holds */
    function runs(g, ok) {
        var out = [];
        var cur = null;

        g.forEach(function (d, i) {
            if (ok(d)) {
                if (!cur) {
                    cur = [];
                    out.push(cur);
                }
                cur.push(i);

            } else {
                cur = null;
            }
        });

        return out;
    }

    function drawAnswersPerDay(box, g, x, W, m) {
        var H = 64;
        var max = Math.max.apply(null, g.map(function (d) {
            return d.n;
        }).concat([1]));
        var bw = Math.max(1, Math.min(24, (W - m.l - m.r) / g.length * 0.7));
        var total = g.reduce(function (a, d) {
            return a + d.n;
        }, 0);
        var busiest = g.reduce(function (a, d) {
            return !a || d.n > a.n ? d : a;
        }, null);
        var svg = s('svg', {
            width: W, height: H, viewBox: '0 0 ' + W + ' ' + H, role: 'img',
            class: 'trend-n',
            'aria-label': 'Answers per day: ' + count(total) + ' in all'
                + (busiest && busiest.n ? ', most on ' + busiest.day + ' ('
                   + count(busiest.n) + ')' : '') + '.'
        });

        svg.appendChild(s('text', { x: m.l - 8, y: 14, 'text-anchor': 'end' },
                          count(max)));
        svg.appendChild(s('text', { x: m.l - 8, y: H - 4,
                                    'text-anchor': 'end' }, 'answers'));
        svg.appendChild(s('line', { class: 'axis', x1: m.l, x2: W - m.r,
                                    y1: H - 0.5, y2: H - 0.5 }));

        g.forEach(function (d, i) {
            var bh = (H - 8) * d.n / max;

            if (!d.n) {
                return;
            }

            svg.appendChild(s('rect', {
                class: 'bar', x: x(i) - bw / 2, y: H - bh, width: bw,
                height: bh
            }, s('title', {}, d.day + ': '
                              + plural(d.n, 'answer', 'answers'))));
        });

        box.appendChild(svg);
    }

    function table(head, rows, caption) {
        return h('table', {}, [
            caption ? h('caption', {}, caption) : null,
            h('thead', {}, h('tr', {}, head.map(function (c) {
                return h('th', { scope: 'col' }, c);
            }))),
            h('tbody', {}, rows)
        ]);
    }

    function row(cells, attrs) {
        return h('tr', attrs || {}, cells.map(function (c, i) {
            return i ? h('td', {}, c) : h('th', { scope: 'row' }, c);
        }));
    }

    function drawTrendTable(r) {
        var type = r.type;
        var cmp = !!r.compare;

        clear($('trend-table')).appendChild(table(
            ['Day', 'Answers', TYPES[type].label, '95% interval', 'Shown',
             'Response rate'].concat(cmp ? ['Day before', 'Change'] : []),
            (r.groups || []).map(function (d) {
                return row([d.day, count(d.n), fmt(type, d[type]),
                            fmtCi(type, d.ci95), count(d.impressions.shown),
                            pct(d.response_rate)].concat(cmp
                    ? [d.compare ? d.compare.from + ': '
                                   + fmt(type, d.compare[type]) : '\u2013',
                       change(type, d.compare) || '\u2013']
                    : []));
            })));
    }


    /* ---- the question variants (by=variant): shown when there are some */

    function drawVariants(r) {
        var box = clear($('variants'));
        var type = r.type;
        var groups = r.groups || [];
        var first = groups.length ? groups[0].variant : '';

        $('variants-panel').hidden = groups.length === 0;

        if (groups.length === 0) {
            return;
        }

        box.appendChild(table(
            ['Variant', TYPES[type].label, 'Answers', 'Shown',
             'Response rate', 'Against ' + first]
            .concat(r.compare ? ['Change'] : []),
            groups.map(function (g) {
                var tr = row([g.variant, '', count(g.n)
                              + (g.commented ? ' (' + count(g.commented)
                                               + ' commented)' : ''),
                              count(g.impressions.shown),
                              pct(g.response_rate),
                              g.vs_first
                              ? change(type, g.vs_first, 'variant ' + first)
                                || '\u2013'
                              : 'the first: the others are compared '
                                + 'with it']
                             .concat(r.compare ? [change(type, g.compare)
                                                  || '\u2013'] : []));

                tr.children[1].appendChild(h('span', {
                    class: level(type, g[type]) }, fmt(type, g[type])));
                tr.children[1].appendChild(h('small', {},
                    g.ci95 ? '95% ' + fmtCi(type, g.ci95) : 'no interval'));
                tr.setAttribute('data-variant', g.variant);
                return tr;
            }), 'Each variant of the question; significance against ' + first));
    }


    /* ---- the pain map */

    function drawPain(r) {
        var box = clear($('pain'));
        var type = r.type;
        var groups = r.groups || [];

        if (groups.length === 0) {
            box.appendChild(h('p', { class: 'empty' },
                              'No answers or events in this period.'));
            return;
        }

        box.appendChild(table(
            ['Touchpoint', 'Share of low answers', TYPES[type].label,
             'Answers', 'Against the other touchpoints']
            .concat(r.compare ? ['Change'] : []),
            groups.map(function (g) {
                var bar = s('svg', { width: 100, height: 14,
                                     viewBox: '0 0 100 14',
                                     'aria-hidden': 'true',
                                     focusable: 'false' }, [
                    s('rect', { class: 'pain-track', x: 0, y: 2, width: 100,
                                height: 10, rx: 2 }),
                    s('rect', { class: 'pain-bar', x: 0, y: 2,
                                width: g.pain || 0, height: 10, rx: 2 })
                ]);
                var tr = row([g.touchpoint, '', '',
                              count(g.n) + ' (' + count(g.low) + ' low)',
                              change(type, g.vs_rest, 'the other touchpoints')
                              || '\u2013']
                             .concat(r.compare ? [change(type, g.compare)
                                                  || '\u2013'] : []),
                             g.touchpoint === state.touchpoint
                             ? { class: 'selected', 'aria-current': 'true' }
                             : {});
                var cell = tr.children[1];

                tr.children[2].appendChild(h('span', {
                    class: level(type, g[type]) }, fmt(type, g[type])));
                tr.children[2].appendChild(h('small', {},
                    g.ci95 ? '95% ' + fmtCi(type, g.ci95) : 'no interval'));

                cell.className = 'barcell';
                cell.appendChild(h('div', { class: 'barline' },
                                   [bar, pct(g.pain)]));
                if (g.low_rate !== undefined) {
                    cell.appendChild(h('small', {}, pct(g.low_rate)
                        + ' of its answers low'
                        + (g.low_rate_ci95 ? ' (95% ' + pct(g.low_rate_ci95[0])
                           + ' to ' + pct(g.low_rate_ci95[1]) + ')' : '')));
                }
                tr.setAttribute('data-touchpoint', g.touchpoint);
                return tr;
            })));
    }


    /* ---- the heat map: hours of the day and days of the week */

    function drawHeat(hour, wday) {
        var type = hour.type;
        var max = Math.max.apply(null, hour.groups.concat(wday.groups)
                                 .map(function (g) {
                                     return g.n;
                                 }).concat([1]));

        var spread = TYPES[type].spread;
        var period = hour[type];

        hour.groups.concat(wday.groups).forEach(function (g) {
            if (g[type] !== null && period !== null && g.n >= HEAT_FEW) {
                spread = Math.max(spread, Math.abs(g[type] - period));
            }
        });

        /* score: red below the period's score, green above */
        function colour(g) {
            if (state.heat === 'n') {
                return g.n ? countColour(g.n / max) : NONE;
            }

            return g[type] === null ? NONE
                   : ramp(0.5 + (g[type] - period) / (2 * spread));
        }

        heatZone(hour);

        $('heat-readout').textContent = 'Point at a cell, or Tab to a row '
            + 'of cells and use the arrow keys: its answers, score and '
            + 'interval show here.';
        strip($('heat-hour'), hour.groups, 'hour', type, colour);
        strip($('heat-wday'), wday.groups, 'wday', type, colour);
        legend(type, max, period, spread);

        function more(g) {
            return hour.compare ? [change(type, g.compare) || '\u2013'] : [];
        }

        clear($('heat-table')).appendChild(table(
            ['When (' + zoneName(hour.time_zone) + ')', 'Answers', TYPES[type].label, '95% interval',
             'Response rate'].concat(hour.compare ? ['Change'] : []),
            hour.groups.map(function (g) {
                return row([g.hour + ':00\u2013' + g.hour + ':59',
                            count(g.n), fmt(type, g[type]),
                            fmtCi(type, g.ci95),
                            pct(g.response_rate)].concat(more(g)));
            }).concat(wday.groups.map(function (g) {
                return row([WDAYS[g.wday], count(g.n), fmt(type, g[type]),
                            fmtCi(type, g.ci95),
                            pct(g.response_rate)].concat(more(g)));
            }))));
    }

    function cellName(g, by) {
        return by === 'hour' ? g.hour + ':00\u2013' + g.hour + ':59 '
                               + zoneName(data.hour.ok.time_zone)
                             : WDAYS[g.wday];
    }

    /* the heat map's time zone (tz=): named, and chosen among those the
       scores endpoint offers (cx_score_time_zone) */
    function zoneName(tz) {
        return !tz || tz === 'utc' ? 'UTC'
               : tz === 'local' ? 'the server\u2019s time zone' : tz;
    }

    /* the heat map's zone in its CSV's name, when not UTC: Europe-Paris */
    function heatZoneFile() {
        var tz = data.hour.ok && data.hour.ok.time_zone;

        return !tz || tz === 'utc' ? []
               : [tz.replace(/[^A-Za-z0-9_.+]+/g, '-')];
    }

    function heatZone(hour) {
        var sel = $('heat-tz');
        var zones = hour.time_zones || [];

        $('heat-zone').textContent = zoneName(hour.time_zone);
        clear(sel);
        zones.forEach(function (z) {
            sel.appendChild(h('option', { value: z }, zoneName(z)));
        });
        sel.value = hour.time_zone;
        sel.parentNode.hidden = zones.length < 2;
    }

    /* a cell in words: when, answers, score, interval, enough or not */
    function cellText(g, by, type) {
        var t = TYPES[type];

        return cellName(g, by) + ': ' + plural(g.n, 'answer', 'answers')
            + (g[type] !== null ? ', ' + t.label + ' ' + fmt(type, g[type])
               + ', 95% interval ' + fmtCi(type, g.ci95) : '')
            + (g.n > 0 && g.n < HEAT_FEW ? ' \u2014 fewer than '
               + HEAT_FEW + ' answers: too few to read (hatched)' : '')
            + (g.compare && g.compare.diff !== null
               ? '; against before ' + fmtDiff(type, g.compare.diff)
                 + (g.compare.significant ? ', significant'
                                          : ', not significant')
               : '');
    }

    /* the arrow keys move between a strip's cells (one tab stop) */
    function cellKeys(svg) {
        svg.addEventListener('keydown', function (e) {
            var cells = [].slice.call(svg.querySelectorAll('.heat-cell'));
            var i = cells.indexOf(document.activeElement);
            var j = { ArrowRight: i + 1, ArrowDown: i + 1, ArrowLeft: i - 1,
                      ArrowUp: i - 1, Home: 0, End: cells.length - 1 }[e.key];

            if (i < 0 || j === undefined) {
                return;
            }

            e.preventDefault();
            j = Math.max(0, Math.min(cells.length - 1, j));
            cells[i].setAttribute('tabindex', '-1');
            cells[j].setAttribute('tabindex', '0');
            cells[j].focus();
        });

        function show(e) {
            var c = e.target.classList;

            if (c && c.contains('heat-cell')) {
                $('heat-readout').textContent =
                    e.target.getAttribute('aria-label');
            }
        }

        svg.addEventListener('focusin', show);
        svg.addEventListener('mouseover', show);
    }

    function strip(box, groups, by, type, colour) {
        var W = width(clear(box));
        var n = groups.length;
        var cw = W / n;
        var H = 50;
        var t = TYPES[type];
        var best = null;
        var worst = null;
        var busiest = null;
        var svg;

        groups.forEach(function (g) {
            if (!busiest || g.n > busiest.n) {
                busiest = g;
            }
            if (g[type] !== null && (!worst || g[type] < worst[type])) {
                worst = g;
            }
            if (g[type] !== null && (!best || g[type] > best[type])) {
                best = g;
            }
        });

        svg = s('svg', {
            width: W, height: H, viewBox: '0 0 ' + W + ' ' + H,
            role: 'group', class: 'heat', tabindex: -1,
            'aria-label': (by === 'hour' ? 'Answers by hour of the day'
                                         : 'Answers by day of the week')
                + (busiest && busiest.n ? ': most at ' + cellName(busiest, by)
                   + ' (' + count(busiest.n) + ')' : ': none')
                + (worst ? '; lowest ' + t.label + ' ' + fmt(type, worst[type])
                   + ' at ' + cellName(worst, by) + ', highest '
                   + fmt(type, best[type]) + ' at ' + cellName(best, by)
                   : '') + '; hatched: fewer than ' + HEAT_FEW
                + ' answers.'
        });

        svg.appendChild(s('defs', {}, hatch('hatch-' + by)));

        groups.forEach(function (g, i) {
            var label = by === 'hour' ? g.hour : g.wday.charAt(0).toUpperCase()
                                                  + g.wday.slice(1);
            var few = g.n > 0 && g.n < HEAT_FEW;

            svg.appendChild(s('rect', {
                class: 'heat-cell' + (few ? ' is-few' : ''), x: i * cw, y: 0,
                width: cw, height: 30, rx: 3,
                fill: few ? mix(colour(g), '#ffffff', 0.55) : colour(g),
                'data-key': by === 'hour' ? g.hour : g.wday,
                'data-n': g.n, 'data-score': g[type] === null ? '' : g[type],
                role: 'img', 'aria-label': cellText(g, by, type),
                tabindex: i === 0 ? 0 : -1
            }));

            if (few) {
                svg.appendChild(s('rect', {
                    class: 'heat-hatch', x: i * cw + 1, y: 1,
                    width: Math.max(cw - 2, 1), height: 28, rx: 3,
                    fill: 'url(#hatch-' + by + ')', 'aria-hidden': 'true'
                }));
            }

            if (by === 'wday' || cw >= 26 || i % 3 === 0) {
                svg.appendChild(s('text', { x: i * cw + cw / 2, y: 46,
                                            'text-anchor': 'middle' },
                                  label));
            }
        });

        cellKeys(svg);
        box.appendChild(svg);
    }

    /* diagonal grey lines: too few answers to read the colour */
    function hatch(id) {
        return s('pattern', { id: id, width: 6, height: 6,
                              patternUnits: 'userSpaceOnUse',
                              patternTransform: 'rotate(45)' },
                 s('line', { x1: 0, y1: 0, x2: 0, y2: 6, stroke: '#5b6577',
                             'stroke-width': 1.6 }));
    }

    function legend(type, max, period, spread) {
        var box = clear($('heat-legend'));
        var t = TYPES[type];
        var W = Math.min(width(box), 360);
        var svg = s('svg', { width: W, height: 40, viewBox: '0 0 ' + W
                             + ' 40', 'aria-hidden': 'true',
                             focusable: 'false' });
        var grad = s('linearGradient', { id: 'heat-gradient', x1: 0, x2: 1,
                                         y1: 0, y2: 0 });
        var gw = W - 110;

        [0, 0.25, 0.5, 0.75, 1].forEach(function (f) {
            grad.appendChild(s('stop', {
                offset: f,
                'stop-color': state.heat === 'n' ? countColour(f) : ramp(f)
            }));
        });

        svg.appendChild(s('defs', {}, [grad, hatch('hatch-legend')]));
        svg.appendChild(s('rect', { x: 0, y: 2, width: gw, height: 12,
                                    rx: 2, fill: 'url(#heat-gradient)' }));
        svg.appendChild(s('text', { x: 0, y: 30 },
                          state.heat === 'n' ? '1'
                          : fmt(type, period === null ? null
                                                      : period - spread)));
        svg.appendChild(s('text', { x: gw, y: 30, 'text-anchor': 'end' },
                          state.heat === 'n' ? count(max) + ' answers'
                          : fmt(type, period === null ? null
                                                      : period + spread)));

        if (state.heat !== 'n') {
            svg.appendChild(s('text', { x: gw / 2, y: 30,
                                        'text-anchor': 'middle' },
                              fmt(type, period)));
        }
        svg.appendChild(s('rect', { x: gw + 16, y: 2, width: 12, height: 12,
                                    rx: 2, fill: NONE }));
        svg.appendChild(s('text', { x: gw + 34, y: 13 }, 'no answers'));
        svg.appendChild(s('rect', { x: gw + 16, y: 22, width: 12, height: 12,
                                    rx: 2, fill: 'url(#hatch-legend)',
                                    class: 'legend-few' }));
        svg.appendChild(s('text', { x: gw + 34, y: 33 },
                          'under ' + HEAT_FEW));

        box.appendChild(svg);
        box.appendChild(h('p', { class: 'hint' }, (state.heat === 'n'
            ? 'Darker: more answers.'
            : 'Red: below the period\'s ' + t.label + ' ('
              + fmt(type, period) + '), green: above it.')
            + ' Hatched and paler: fewer than ' + HEAT_FEW + ' answers, too '
            + 'few for the colour to mean much.'));
    }


    /* ---- the journey: page views to answers, per touchpoint */

    function drawJourney(r) {
        var box = clear($('journey'));
        var list = r.touchpoints || [];
        var before = {};

        (data.journeyBefore && data.journeyBefore.touchpoints || [])
            .forEach(function (tp) {
                before[tp.touchpoint] = tp.events;
            });

        /* a count, and with a comparison its change below it */
        function cnt(tp, k) {
            var was = before[tp.touchpoint];

            if (!data.journeyBefore) {
                return count(tp.events[k]);
            }

            return h('span', { class: 'count' }, [
                count(tp.events[k]), ' ',
                countChange(tp.events[k] || 0, was ? was[k] || 0 : 0)
            ]);
        }

        if (list.length === 0) {
            box.appendChild(h('p', { class: 'empty' },
                              'No page views or events in this period.'));
            return;
        }

        box.appendChild(table(
            ['Touchpoint', 'Views', 'Triggered', 'Shown', 'Answered',
             'Commented', 'Dismissed', 'Of the surveys shown',
             'Other events'],
            list.map(function (tp) {
                var e = tp.events;
                var shown = e.shown || 0;
                var a = shown ? Math.min(e.answered / shown, 1) : 0;
                var d = shown ? Math.min(e.dismissed / shown, 1 - a) : 0;
                var others = Object.keys(e).filter(function (k) {
                    return JOURNEY.indexOf(k) < 0;
                }).map(function (k) {
                    return k + ' ' + count(e[k]);
                }).join(', ');
                var bar = s('svg', { width: 120, height: 14,
                                     viewBox: '0 0 120 14',
                                     'aria-hidden': 'true',
                                     focusable: 'false' }, [
                    s('rect', { class: 'funnel-none', x: 0, y: 2,
                                width: 120, height: 10 }),
                    s('rect', { class: 'funnel-answered', x: 0, y: 2,
                                width: 120 * a, height: 10 }),
                    s('rect', { class: 'funnel-dismissed', x: 120 * a,
                                y: 2, width: 120 * d, height: 10 })
                ]);
                var tr = row([tp.touchpoint, cnt(tp, 'view'),
                              cnt(tp, 'triggered'), cnt(tp, 'shown'),
                              cnt(tp, 'answered'), cnt(tp, 'commented'),
                              cnt(tp, 'dismissed'), '', others || '\u2013']);

                tr.children[7].className = 'barcell';
                tr.children[7].appendChild(shown
                    ? h('div', { class: 'barline' },
                        [bar, pct(100 * e.answered / shown) + ' answered'])
                    : h('span', {}, 'none shown'));
                tr.setAttribute('data-touchpoint', tp.touchpoint);
                return tr;
            })));
    }


    /* ---- the latest follow-ups: visitors' words, as text */

    /*
     * Older past those read: the next FOLLOWUPS after their cursor, added
     * to them (once at a time; dropped if another period was loaded).
     */
    function older() {
        var d = data;
        var r = d.followups.ok;

        if (reading || !r.next) {
            state.page--;
            return;
        }

        reading = true;
        $('comments').setAttribute('aria-busy', 'true');

        api(Object.assign({}, d.asked, { cursor: r.next }))
            .then(function (more) {
                r.followups = r.followups.concat(more.followups || []);
                r.next = more.next;
            }, function (e) {
                state.page--;
                status('Could not read older follow-ups: ' + e.message,
                       true);
            })
            .then(function () {
                reading = false;
                $('comments').removeAttribute('aria-busy');

                if (data === d) {
                    section($('comments'), [data.followups], drawComments);
                }
            });
    }

    /* the follow-ups the search finds (all of them without one) */
    function found() {
        var all = data && data.followups.ok
                  ? data.followups.ok.followups || [] : [];
        var q = state.search.trim().toLowerCase();

        return q ? all.filter(function (f) {
            return [f.comment, f.page, f.touchpoint].some(function (v) {
                return v && String(v).toLowerCase().indexOf(q) >= 0;
            });
        }) : all;
    }

    function drawComments(r) {
        var list = clear($('comments'));
        var sv = data.survey;
        var all = r.followups || [];
        var hits = found();
        var pages = Math.max(1, Math.ceil(hits.length / PAGE));
        var q = state.search.trim();
        var more = !q && r.next;

        state.page = Math.min(state.page, pages - 1);

        $('comments-count').textContent = all.length === 0 ? ''
            : q ? plural(hits.length, 'follow-up', 'follow-ups') + ' of '
                  + count(all.length) + ' with \u201c' + q + '\u201d'
            : plural(all.length, 'follow-up', 'follow-ups')
              + (r.next ? ' (the latest of the period: Older reads more)'
                 : '');
        $('comments-page').textContent = hits.length > PAGE
            ? 'Page ' + (state.page + 1) + ' of ' + pages + ': '
              + (state.page * PAGE + 1) + '\u2013'
              + Math.min(hits.length, (state.page + 1) * PAGE)
            : '';
        $('comments-newer').setAttribute('aria-disabled',
                                         state.page === 0 ? 'true' : 'false');
        $('comments-older').setAttribute('aria-disabled',
            state.page >= pages - 1 && !more ? 'true' : 'false');
        $('comments-newer').parentNode.hidden = hits.length <= PAGE && !more;

        if (all.length === 0) {
            list.appendChild(h('li', { class: 'empty' },
                               'No follow-ups in this period.'));
            return;
        }

        if (hits.length === 0) {
            list.appendChild(h('li', { class: 'empty' },
                               'No follow-up with \u201c' + q + '\u201d.'));
            return;
        }

        hits.slice(state.page * PAGE, (state.page + 1) * PAGE)
            .forEach(function (f) {
                var when = f.time ? f.time.replace('T', ' ').slice(0, 16)
                                    + ' UTC' : '';
                var text = f.comment ? f.comment.trim() : '';

                list.appendChild(h('li', { class: 'comment',
                                           'data-id': f.id }, [
                    h('div', { class: 'comment-meta' }, [
                        h('span', { class: 'badge' },
                          (f.score === null ? '?' : f.score) + '/'
                          + (sv ? sv.scale[1] : '')),
                        h('span', { class: 'comment-tp' }, f.touchpoint || ''),
                        f.page ? h('span', { class: 'comment-page' }, f.page)
                               : null,
                        f.variant ? h('span', { class: 'comment-variant' },
                                      'variant ' + f.variant) : null,
                        f.time ? h('time', { datetime: f.time }, when) : null
                    ]),
                    h('p', { class: 'comment-text' + (text ? '' : ' none') },
                      text || 'No comment.')
                ]));
            });
    }


    /* ---- the rules' recent errors: their messages, as text */

    function drawRules(r) {
        var box = clear($('rules'));
        var files = r.files || [];

        if (files.length === 0) {
            box.appendChild(h('p', { class: 'empty' },
                              'No rule files (cx_rules_lua) in this nginx.'));
            return;
        }

        files.forEach(function (f) {
            var name = f.file.slice(f.file.lastIndexOf('/') + 1);
            var since = f.since ? utc(f.since) : 'nginx started';
            var kinds = Object.keys(REASONS).filter(function (k) {
                return f.failures[k];
            });
            var total = kinds.reduce(function (n, k) {
                return n + f.failures[k];
            }, 0);
            var wrap;

            box.appendChild(h('h3', { class: 'sub rules-file',
                                      'data-file': f.file }, f.file));

            box.appendChild(h('p', {
                class: 'rules-summary' + (total ? ' bad' : '') },
                total
                ? plural(total, 'failed call', 'failed calls') + ' since '
                  + since + ': ' + kinds.map(function (k) {
                      return plural(f.failures[k], REASONS[k][0],
                                    REASONS[k][1]);
                  }).join(', ') + '.'
                : 'No failures since ' + since + '.'));

            if (!f.errors || f.errors.length === 0) {
                return;
            }

            wrap = h('div', { class: 'table-wrap',
                              'data-label': 'The last errors of ' + name });

            wrap.appendChild(table(
                ['Where', 'What went wrong', 'Kind', 'How often',
                 'First seen', 'Last seen'],
                f.errors.map(function (e) {
                    var tr = row([name + (e.line ? ':' + e.line : '')
                                  + ' in ' + e['function'] + '()',
                                  '', (REASONS[e.reason] || [e.reason])[0],
                                  count(e.count), utc(e.first),
                                  utc(e.last)],
                                 { class: 'rule-error' });

                    tr.children[1].className = 'rule-what';
                    tr.children[2].className = 'rule-kind';
                    tr.children[1].appendChild(h('code',
                        { class: 'rule-message' }, e.message));
                    return tr;
                }),
                'The last errors of ' + name + ', latest first'));

            box.appendChild(wrap);
        });
    }

    function utc(t) {
        return t ? t.replace('T', ' ').slice(0, 16) + ' UTC' : '\u2013';
    }


    /* ---- CSV: what is on screen, made here, downloaded as a Blob */

    /*
     * One cell: numbers as they are; text quoted, and text a spreadsheet
     * would take for a formula (= + - @, tab, CR first) behind a quote.
     */
    function csvCell(v) {
        if (v === null || v === undefined) {
            return '';
        }

        if (typeof v === 'number' || typeof v === 'boolean') {
            return String(v);
        }

        v = String(v);

        if (/^[=+\-@\t\r]/.test(v)) {
            v = '\'' + v;
        }

        return '"' + v.replace(/"/g, '""') + '"';
    }

    function csvText(rows) {
        return '\ufeff' + rows.map(function (r) {
            return r.map(csvCell).join(',');
        }).join('\r\n') + '\r\n';
    }

    function download(name, rows) {
        var url = URL.createObjectURL(new Blob([csvText(rows)],
                                               { type: 'text/csv' }));
        var a = h('a', { href: url, download: name, hidden: true });

        document.body.appendChild(a);
        a.click();
        document.body.removeChild(a);
        setTimeout(function () {
            URL.revokeObjectURL(url);
        }, 10000);
    }

    function ci(c) {
        return c ? [c[0], c[1]] : [null, null];
    }

    /* a comparison's columns (compare or vs_rest), and their names */
    function cmpHead(prefix) {
        return ['from', 'to', 'n', 'score', 'ci95_low', 'ci95_high', 'diff',
                'diff_ci95_low', 'diff_ci95_high', 'p_value', 'significant']
            .map(function (k) {
                return prefix + '_' + k;
            });
    }

    function cmpCols(type, c) {
        if (!c) {
            return cmpHead('').map(function () {
                return null;
            });
        }

        return [c.from, c.to, c.n, c[type]].concat(ci(c.ci95), [c.diff],
                                                   ci(c.diff_ci95),
                                                   [c.p_value, c.significant]);
    }

    /* a survey's figures (a total or a group) */
    var FIGURES = ['n', 'score', 'ci95_low', 'ci95_high', 'low', 'shown',
                   'response_rate', 'dismiss_rate'];

    function figures(type, g) {
        return [g.n, g[type]].concat(ci(g.ci95), [g.low,
            g.impressions ? g.impressions.shown : null, g.response_rate,
            g.dismiss_rate]);
    }

    var CSV = {
        scores: function () {
            var cmp = data.cards.some(function (x) {
                return x.ok && x.ok.compare;
            });

            return [['survey', 'type', 'from', 'to', 'touchpoint']
                    .concat(FIGURES, cmp ? cmpHead('previous') : [])]
                .concat(state.surveys.map(function (sv, i) {
                    var r = data.cards[i].ok;

                    return [sv.id, sv.type, state.from, state.to,
                            state.touchpoint || null]
                        .concat(r ? figures(sv.type, r) : [],
                                r && cmp ? cmpCols(sv.type, r.compare) : []);
                }));
        },

        trend: function () {
            return groups(data.day.ok, 'day');
        },

        pain: function () {
            var r = data.pain.ok;
            var type = r.type;

            return [['touchpoint', 'pain', 'low_rate', 'low_rate_ci95_low',
                     'low_rate_ci95_high'].concat(FIGURES, cmpHead('rest'),
                    r.compare ? cmpHead('previous') : [])]
                .concat((r.groups || []).map(function (g) {
                    return [g.touchpoint, g.pain, g.low_rate]
                        .concat(ci(g.low_rate_ci95), figures(type, g),
                                cmpCols(type, g.vs_rest),
                                r.compare ? cmpCols(type, g.compare) : []);
                }));
        },

        variants: function () {
            var r = data.variants.ok;
            var type = r.type;

            /* against the first variant: no from and to, its name */
            return [['variant'].concat(FIGURES, ['answers', 'commented',
                                                 'first_variant'],
                                       cmpHead('first').slice(2),
                                       r.compare ? cmpHead('previous') : [])]
                .concat((r.groups || []).map(function (g) {
                    return [g.variant].concat(figures(type, g),
                        [g.answers, g.commented,
                         g.vs_first ? g.vs_first.variant : null],
                        cmpCols(type, g.vs_first).slice(2),
                        r.compare ? cmpCols(type, g.compare) : []);
                }));
        },

        heat: function () {
            return groups(data.hour.ok, 'hour')
                .concat(groups(data.wday.ok, 'wday').slice(1));
        },

        journey: function () {
            var list = data.journey.ok.touchpoints || [];
            var before = {};
            var names = JOURNEY.slice();

            list.forEach(function (tp) {
                Object.keys(tp.events).forEach(function (k) {
                    if (names.indexOf(k) < 0) {
                        names.push(k);
                    }
                });
            });

            if (data.journeyBefore) {
                data.journeyBefore.touchpoints.forEach(function (tp) {
                    before[tp.touchpoint] = tp.events;
                });
            }

            return [['touchpoint'].concat(names, data.journeyBefore
                ? names.map(function (k) {
                    return 'previous_' + k;
                }) : [])]
                .concat(list.map(function (tp) {
                    var was = before[tp.touchpoint] || {};

                    return [tp.touchpoint].concat(names.map(function (k) {
                        return tp.events[k] || 0;
                    }), data.journeyBefore ? names.map(function (k) {
                        return was[k] || 0;
                    }) : []);
                }));
        },

        followups: function () {
            return [['id', 'time', 'survey', 'touchpoint', 'score', 'page',
                     'comment']]
                .concat(found().map(function (f) {
                    return [f.id, f.time, f.survey, f.touchpoint, f.score,
                            f.page, f.comment];
                }));
        }
    };

    /* by=day, hour or wday: a row per group */
    function groups(r, by) {
        var type = r.type;

        return [['by', 'group'].concat(FIGURES, r.compare
                                        ? cmpHead('previous') : [])]
            .concat((r.groups || []).map(function (g) {
                return [by, g[by]].concat(figures(type, g), r.compare
                                          ? cmpCols(type, g.compare) : []);
            }));
    }

    function exportCsv(what) {
        var rows;

        try {
            rows = CSV[what]();
        } catch (e) {
            status('Nothing to download: ' + what + ' could not be read.',
                   true);
            return;
        }

        download(['cx', data.survey.id, what, state.from, state.to]
                 .concat(state.touchpoint ? [state.touchpoint] : [])
                 .concat(what === 'heat' ? heatZoneFile() : [])
                 .join('-') + '.csv', rows);
    }


    /* ---- what the user does */

    function bind() {
        var resizing = null;
        var searching = null;
        var controls = ['survey', 'touchpoint', 'from', 'to', 'compare'];

        $('filters').addEventListener('submit', function (e) {
            e.preventDefault();
            readFilters();
            load();
        });

        controls.forEach(function (id) {
            $(id).addEventListener('change', function () {
                readFilters();
                if (id === 'survey' || id === 'touchpoint'
                    || id === 'compare')
                {
                    load();
                }
            });
        });

        $('filters').addEventListener('click', function (e) {
            var b = e.target.closest('button[data-preset]');
            var p;

            if (b) {
                p = preset(b.getAttribute('data-preset'));
                readFilters();
                state.from = p.from;
                state.to = p.to;
                showFilters();
                load();
            }
        });

        $('comments-search').addEventListener('input', function () {
            clearTimeout(searching);
            searching = setTimeout(function () {
                state.search = $('comments-search').value;
                state.page = 0;
                if (data) {
                    section($('comments'), [data.followups], drawComments);
                }
            }, 120);
        });

        ['comments-newer', 'comments-older'].forEach(function (id, i) {
            $(id).addEventListener('click', function () {
                if ($(id).getAttribute('aria-disabled') === 'true' || !data) {
                    return;
                }
                state.page += i ? 1 : -1;

                if (state.page * PAGE < found().length) {
                    section($('comments'), [data.followups], drawComments);
                    return;
                }

                older();
            });
        });

        document.addEventListener('click', function (e) {
            var b = e.target.closest('button[data-csv]');

            if (b && data) {
                exportCsv(b.getAttribute('data-csv'));
            }
        });

        $('cards').addEventListener('click', function (e) {
            var b = e.target.closest('button[data-survey]');

            if (b) {
                $('survey').value = b.getAttribute('data-survey');
                readFilters();
                load();
            }
        });

        $('heat-tz').addEventListener('change', function () {
            state.tz = $('heat-tz').value;
            load();
        });

        [].forEach.call(document.querySelectorAll('input[name="heat"]'),
            function (radio) {
                radio.addEventListener('change', function () {
                    state.heat = radio.value;
                    if (data) {
                        section($('heat-hour'), [data.hour, data.wday],
                                drawHeat);
                    }
                });
            });

        $('auth').addEventListener('submit', function (e) {
            var t = $('token').value.trim();

            e.preventDefault();

            if (!t) {
                return;
            }

            setToken(t);
            $('token').value = '';
            $('auth').hidden = true;
            loadSurveys();
        });

        $('forget').addEventListener('click', function () {
            setToken('');
            loadSurveys();
        });

        [].forEach.call(document.querySelectorAll('details'), function (d) {
            d.addEventListener('toggle', scrollables);
        });

        window.addEventListener('resize', function () {
            clearTimeout(resizing);
            resizing = setTimeout(function () {
                if (data && width($('main')) !== drawnWidth) {
                    draw();
                }
            }, 150);
        });

        window.addEventListener('hashchange', function () {
            var before = [state.survey, state.from, state.to,
                          state.touchpoint, state.compare].join('|');

            readHash();

            if (state.surveys.length && before !== [state.survey,
                state.from, state.to, state.touchpoint,
                state.compare].join('|'))
            {
                showFilters();
                load();
            }
        });
    }

    start();
}());
