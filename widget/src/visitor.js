/*
 * The visitor's history, kept in a first-party cookie the module reads
 * (r.visitor, recontact; ngx_http_cx_visitor.c parses it strictly):
 *
 *     cx_v=2~ID~VIEWS~VISITS~SURVEYS~TOUCHPOINTS~SOURCE
 *
 * The module counts the page view in it before the page arrives (VIEWS,
 * VISITS, TOUCHPOINTS, SOURCE; cx_s marks the visit).  The widget keeps
 * SURVEYS: ID!SHOWN!ANSWERED!DISMISSED, the UTC days (YYYYMMDD, or 0) a
 * survey was last shown, answered and dismissed, the most recent first,
 * 6 at most; it writes the rest back as it read it.  ID is random,
 * 16-64 of [A-Za-z0-9_-].  See README "The visitor cookie".
 */

const NAME = 'cx_v';
const YEAR = 31536000;
const SURVEYS = 6;
const ALPHABET =
    'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const FORMAT = /^2~([\w-]{16,64})~(0|[1-9]\d{0,8})~(0|[1-9]\d{0,8})~([^~]*)~([a-z\d_.!*-]*~[a-z\d_.!-]*)$/;
const SURVEY = /^([a-z\d_.-]{1,64})!(0|\d{8})!(0|\d{8})!(0|\d{8})$/;


/* the UTC day of a time as the number YYYYMMDD */

export function day(t) {
    const d = new Date(t);

    return d.getUTCFullYear() * 10000 + (d.getUTCMonth() + 1) * 100
           + d.getUTCDate();
}


/* days from a YYYYMMDD day to now; a day in the future counts as today */

export function daysSince(d, now) {
    const then = Date.UTC(d / 10000 | 0, (d / 100 | 0) % 100 - 1, d % 100);

    return Math.max(0, Math.floor((now - then) / 864e5));
}


/* 0, or a real day from 2000 on, as the module insists */

function validDay(d) {
    return d === 0
           || (d >= 20000101 && day(Date.UTC(d / 10000 | 0,
                                              (d / 100 | 0) % 100 - 1,
                                              d % 100)) === d);
}


function cookie(name) {
    const all = document.cookie.split(/; */);

    for (let i = 0; i < all.length; i++) {
        if (all[i].indexOf(name + '=') === 0) {
            return all[i].slice(name.length + 1);
        }
    }

    return null;
}


export function parse(s) {
    const m = FORMAT.exec(s || '');
    const surveys = [];

    if (!m) {
        return null;
    }

    for (const e of m[4] ? m[4].split('*') : []) {
        const x = SURVEY.exec(e);
        const d = x && [+x[2], +x[3], +x[4]];

        if (!d || !d.every(validDay) || surveys.length === SURVEYS) {
            return null;
        }

        surveys.push({ id: x[1], shown: d[0], answered: d[1],
                       dismissed: d[2] });
    }

    return { id: m[1], views: +m[2], visits: +m[3], surveys: surveys,
             rest: m[5] };
}


export function format(v) {
    return ['2', v.id, v.views, v.visits,
            v.surveys.map(s => [s.id, s.shown, s.answered, s.dismissed]
                               .join('!')).join('*'),
            v.rest].join('~');
}


/*
 * This page view's visitor: as the module counted it, or, where it did
 * not (the page came from elsewhere), a new one with this view.
 */

export function visit() {
    return parse(cookie(NAME)) || {
        id: Array.from(crypto.getRandomValues(new Uint8Array(22)),
                       b => ALPHABET[b & 63]).join(''),
        views: 1, visits: 1, surveys: [], rest: '~!!!'
    };
}


/* what (shown, answered, dismissed) happened today to a survey: saved */

export function mark(v, survey, what) {
    const i = v.surveys.findIndex(s => s.id === survey);
    const s = i < 0 ? { id: survey, shown: 0, answered: 0, dismissed: 0 }
                    : v.surveys.splice(i, 1)[0];

    s[what] = day(Date.now());
    v.surveys.unshift(s);
    v.surveys.length = Math.min(v.surveys.length, SURVEYS);

    document.cookie = NAME + '=' + format(v) + '; Path=/; Max-Age=' + YEAR
                      + '; SameSite=Lax'
                      + (location.protocol === 'https:' ? '; Secure' : '');
}


/*
 * Whether the visitor is not to be asked this survey now: answered it
 * within recontact days, dismissed it within dismissed days, was shown it
 * within cooldown days, or another survey within gap days.
 */

export function held(v, cfg, now) {
    const within = (d, days) => d !== 0 && daysSince(d, now) < days;

    return v.surveys.some(s => s.id === cfg.survey
        ? within(s.answered, cfg.recontact)
          || within(s.dismissed, cfg.dismissed)
          || within(s.shown, cfg.cooldown)
        : within(s.shown, cfg.gap));
}
