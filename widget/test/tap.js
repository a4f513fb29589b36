/*
 * What the browser tests share (widget/test/e2e.js, dashboard/test/e2e.js):
 * TAP output, Debian's chromium launched the one safe way (never a
 * downloaded browser, a fresh empty profile, no background networking),
 * scenarios run in turn, and a run bounded in time that always closes
 * the browser.
 */

'use strict';

const { chromium } = require('playwright-core');

const state = { n: 0, failed: 0, browser: null };


function note(text) {
    console.log(String(text).split('\n').map(l => '# ' + l).join('\n'));
}

function ok(cond, name, diag) {
    state.n++;
    console.log((cond ? 'ok ' : 'not ok ') + state.n + ' - ' + name);

    if (!cond) {
        state.failed++;
        if (diag !== undefined) {
            note(typeof diag === 'string' ? diag : JSON.stringify(diag));
        }
    }

    return cond;
}

async function launch() {
    state.browser = await chromium.launch({
        executablePath: process.env.CX_CHROMIUM || '/usr/bin/chromium',
        headless: true,
        /* a fresh, empty profile in a temporary directory every run */
        args: ['--headless', '--no-sandbox', '--disable-gpu',
               '--disable-quic', '--no-first-run',
               '--disable-background-networking',
               '--disable-component-update', '--disable-sync']
    });
    note('chromium ' + state.browser.version() + ', node ' + process.version);

    return state.browser;
}

/* each scenario in turn; one that throws fails, the next still runs */
async function scenarios(list) {
    for (const scenario of list) {
        const t = Date.now();

        try {
            await scenario();
        } catch (e) {
            ok(false, scenario.name + ': ' + e.message.split('\n')[0],
               e.stack);
        }

        note(scenario.name + ': ' + (Date.now() - t) + ' ms');
    }
}

/* main() within CX_E2E_TIMEOUT seconds (or the default), then the plan */
function run(main, seconds) {
    const limit = +process.env.CX_E2E_TIMEOUT || seconds;
    const timer = setTimeout(() => {
        ok(false, 'finished within ' + limit + ' s');
        console.log('1..' + state.n);
        (state.browser ? state.browser.close() : Promise.resolve())
            .finally(() => process.exit(1));
    }, limit * 1000);

    main()
        .catch(e => ok(false, 'setup: ' + e.message, e.stack))
        .finally(async () => {
            if (state.browser) {
                await state.browser.close().catch(() => {});
            }
            clearTimeout(timer);
            console.log('1..' + state.n);
            process.exitCode = state.failed ? 1 : 0;
        });
}


module.exports = { ok, note, launch, scenarios, run };
