/*
 * Events to POST /cx/collect (README "Collecting answers"): a form body
 * through navigator.sendBeacon, which survives the page being closed,
 * or fetch with keepalive where there is no beacon.  Nothing waits for
 * the answer and nothing is retried: a lost event is a lost event.
 */

const COMMENT_MAX = 1000;       /* bytes of UTF-8, as cx_collect takes */


/*
 * A comment the endpoint accepts: no control characters (C0, DEL, C1)
 * but tab, newline and CR LF, no bidi embeddings, overrides or isolates
 * (U+202A-U+202E, U+2066-U+2069), at most 1000 bytes of UTF-8 (cut at a
 * character), trimmed.
 */

export function comment(s) {
    s = s.replace(/\r(?!\n)/g, '')
        /* eslint-disable-next-line no-control-regex */
        .replace(/[\0-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g, '')
        .trim().slice(0, COMMENT_MAX);

    while (new TextEncoder().encode(s).length > COMMENT_MAX) {
        s = s.slice(0, -1);
    }

    return s.replace(/[\ud800-\udbff]$/, '');
}


export function report(cfg, event, fields) {
    const body = new URLSearchParams({
        survey: cfg.survey,
        touchpoint: cfg.touchpoint,
        event: event,
        token: cfg.token
    });
    const page = location.pathname;

    /* a path the endpoint would refuse would cost the whole event */
    if (/^\/[\x21-\x7e]{0,255}$/.test(page)) {
        body.set('page', page);
    }

    for (const k in fields) {
        body.set(k, fields[k]);
    }

    try {
        if (navigator.sendBeacon(cfg.collect, body)) {
            return;
        }
    } catch (e) { /* no beacon: fetch */ }

    fetch(cfg.collect, {
        method: 'POST',
        body: body,
        keepalive: true,
        credentials: 'same-origin'
    }).catch(() => {});
}
