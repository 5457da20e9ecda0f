// The web UI in real headless Chromium (Debian's), driven by playwright-core: sign in with the root
// key, click from the domains to an asset and download it, check the bytes; an XSS readme fires no
// dialog and injects no element; a cross-site form POST is refused; screenshots of the main pages
// (light, and one dark) go to OUT. Run by tests/e2e/ui.sh, which sets the environment below.
'use strict';
const fs = require('fs');
const path = require('path');
const { chromium } = require(process.env.PLAYWRIGHT_CORE);

const UI = process.env.UI_URL.replace(/\/$/, ''); // …/ui
const OUT = process.env.OUT;
const ACCOUNT = process.env.ACCOUNT;

function check(cond, what) {
  if (!cond) throw new Error('check failed: ' + what);
  console.log('[ui] ok: ' + what);
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(OUT, name + '.png'), fullPage: true });
}

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox'],
  });
  try {
    const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1200, height: 800 } });
    const page = await context.newPage();
    const dialogs = [];
    page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });

    await page.goto(UI + '/');
    check(page.url() === UI + '/signin', 'signed out, / goes to the sign-in page');
    await shot(page, '1-signin');
    const keyForm = page.locator('form', { has: page.locator('input[name=access_key_id]') });
    await keyForm.locator('input[name=access_key_id]').fill(process.env.AWS_ACCESS_KEY_ID);
    await keyForm.locator('input[name=secret_access_key]').fill(process.env.AWS_SECRET_ACCESS_KEY);
    await Promise.all([page.waitForURL(UI + '/'), keyForm.locator('button').click()]);
    check((await page.textContent('main')).includes('acme'), 'the domains page lists acme');
    await shot(page, '2-domains');

    await Promise.all([page.waitForLoadState(), page.getByRole('link', { name: 'acme', exact: true }).click()]);
    check((await page.textContent('main')).includes('releases'), 'the domain page lists releases');
    await shot(page, '3-domain');

    await Promise.all([page.waitForLoadState(), page.getByRole('link', { name: 'releases', exact: true }).first().click()]);
    const repo = await page.textContent('main');
    check(repo.includes('kit') && repo.includes('base') && repo.includes('xss'), 'the repository page shows its packages and upstream');
    await shot(page, '4-repository');

    await Promise.all([page.waitForLoadState(), page.getByRole('link', { name: 'kit', exact: true }).click()]);
    const pkg = await page.textContent('main');
    check(pkg.includes('Published') && pkg.includes('1.0.0'), 'the package page lists version 1.0.0, Published');
    await shot(page, '5-package');

    await Promise.all([page.waitForLoadState(), page.getByRole('link', { name: '1.0.0', exact: true }).click()]);
    const version = await page.textContent('main');
    check(version.includes(process.env.ASSET_SHA256), 'the version page shows the asset SHA-256');
    await shot(page, '6-version');

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('a.download')]);
    const got = fs.readFileSync(await download.path());
    const want = fs.readFileSync(process.env.ASSET_FILE);
    check(got.equals(want), 'the downloaded bytes are the published asset (' + got.length + ' bytes)');
    check(download.suggestedFilename() === 'kit.bin', 'the download is named kit.bin');

    // The XSS readme: rendered, but nothing runs and nothing is injected.
    await page.goto(UI + '/d/' + ACCOUNT + '/acme/releases/package?f=npm&n=xss');
    const readme = page.locator('article.readme');
    check((await readme.locator('h1').textContent()) === 'Hello', 'the readme is rendered from Markdown');
    check((await page.locator('script').count()) === 0, 'no script element on the page');
    check((await page.locator('[onerror], [onclick], [onload]').count()) === 0, 'no event-handler attributes');
    const hrefs = await page.locator('a').evaluateAll((as) => as.map((a) => a.getAttribute('href') || ''));
    check(hrefs.every((h) => !/^\s*javascript:/i.test(h)), 'no javascript: links');
    await page.waitForTimeout(300); // let any injected handler (there must be none) fire
    check(dialogs.length === 0, 'no dialog opened (' + JSON.stringify(dialogs) + ')');
    check((await page.evaluate(() => window.__xss)) === undefined, 'no injected code ran');
    await shot(page, '7-package-readme');
    await page.emulateMedia({ colorScheme: 'dark' });
    await shot(page, '8-package-readme-dark');
    await page.emulateMedia({ colorScheme: 'light' });

    // A cross-site form POST (from an opaque data: origin) to sign-out is refused.
    const evil = await context.newPage();
    const html = '<form id=f method=post action="' + UI + '/signout"><input name=csrf value=x></form>' +
      '<script>document.getElementById("f").submit()</script>';
    const [resp] = await Promise.all([
      evil.waitForResponse((r) => r.url() === UI + '/signout'),
      evil.goto('data:text/html,' + encodeURIComponent(html)),
    ]);
    check(resp.status() === 403, 'the cross-site POST is refused with 403 (got ' + resp.status() + ')');
    await evil.close();
    await page.goto(UI + '/');
    check(page.url() === UI + '/', 'still signed in after the cross-site POST');

    await Promise.all([page.waitForURL(UI + '/signin'), page.click('form.signout button')]);
    await page.goto(UI + '/');
    check(page.url() === UI + '/signin', 'signed out');
  } finally {
    await browser.close();
  }
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
