/*
 * The widget's built-in words: the question of each survey type, the
 * words at the two ends of each scale, the follow-up step, the buttons.
 * English (lang/en.json) is built into the script.  The other languages
 * of lang/ are not: build.js packs them into the module, cx_widget serves
 * each as /cx/widget.js?lang=xx, and only a page in that language fetches
 * it (main.js).  The language is the page's (data-cx-lang, else
 * <html lang>); the page can replace any word (data-cx-question,
 * data-cx-text-KEY).  See README "Languages".
 */

import EN from './lang/en.json';


export { EN };

export const KEYS = Object.keys(EN);

/* the build's list of lang/ but English, and a hash of their words */
const LANGS = CX_LANGS.split(' ');

export const VERSION = CX_WORDS_VERSION;

/* the languages written right to left */
const RTL = /^(ar|arc|ckb|dv|fa|he|ps|sd|ug|ur|yi)$/;


/* the primary subtag of a language tag: "uk-UA" is "uk", "" English */

export function lang(tag) {
    return String(tag || 'en').toLowerCase().split(/[-_]/)[0];
}

export function rtl(l) {
    return RTL.test(l);
}

/* a language the module has words for, besides English */

export function known(l) {
    return LANGS.indexOf(l) >= 0;
}


/* every word: a language's own (as fetched: anything), else English's */

export function words(data) {
    const own = Object(data);
    const w = {};

    KEYS.forEach(k => {
        w[k] = typeof own[k] === 'string' && own[k] ? own[k] : EN[k];
    });

    return w;
}
