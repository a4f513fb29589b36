/*
 * The visitor's history, kept in a first-party cookie the module's Lua
 * rules read (r.visitor; ngx_http_cx_lua_request.c parses it strictly):
 *
 *     cx_v=1.ID.VIEWS.SESSIONS.SHOWN.ANSWERED
 *
 * ID is random (crypto.getRandomValues), 22 of [A-Za-z0-9_-]; VIEWS and
 * SESSIONS count up to 999999999; SHOWN and ANSWERED are the UTC days
 * (YYYYMMDD) a survey was last shown and answered, or 0.  A session ends
 * after 30 minutes without a page view: the second cookie cx_s lives that
 * long and every page view renews it.  See README "The visitor cookie".
 */

const NAME = 'cx_v';
const SESSION = 'cx_s';
const YEAR = 31536000;
const SESSION_AGE = 1800;
const COUNT_MAX = 999999999;
const ALPHABET =
    'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const FORMAT = /^1\.([\w-]{16,64})\.(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})\.(0|\d{8})\.(0|\d{8})$/;


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


function setCookie(name, value, age) {
    document.cookie = name + '=' + value + '; Path=/; Max-Age=' + age
                      + '; SameSite=Lax'
                      + (location.protocol === 'https:' ? '; Secure' : '');
}


export function parse(s) {
    const m = FORMAT.exec(s || '');

    if (!m || !validDay(+m[4]) || !validDay(+m[5])) {
        return null;
    }

    return { id: m[1], views: +m[2], sessions: +m[3], shown: +m[4],
             answered: +m[5] };
}


export function format(v) {
    return '1.' + v.id + '.' + v.views + '.' + v.sessions + '.' + v.shown
           + '.' + v.answered;
}


function newId() {
    return Array.from(crypto.getRandomValues(new Uint8Array(22)),
                      b => ALPHABET[b & 63]).join('');
}


export function save(v) {
    setCookie(NAME, format(v), YEAR);
}


/*
 * This page view: read (or start) the visitor's history, count the view
 * and, after 30 minutes of silence, a new session.
 */

export function visit() {
    const v = parse(cookie(NAME))
              || { id: newId(), views: 0, sessions: 0, shown: 0, answered: 0 };

    v.views = Math.min(v.views + 1, COUNT_MAX);

    if (cookie(SESSION) === null) {
        v.sessions = Math.min(v.sessions + 1, COUNT_MAX);
    }

    setCookie(SESSION, '1', SESSION_AGE);
    save(v);

    return v;
}
