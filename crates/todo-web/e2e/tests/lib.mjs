// Shared helpers of the browser tests: launching Debian's Chromium through
// playwright-core, signing up, adding tasks, axe-core checks and screenshots.
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);

export const BASE_URL = process.env.E2E_BASE_URL ?? 'http://127.0.0.1:3000';
export const ARTIFACTS = process.env.E2E_ARTIFACTS ?? path.resolve('../../../artifacts/e2e');
export const SCREENSHOTS = process.env.E2E_SCREENSHOTS ?? path.resolve('../../../artifacts/screenshots');
const EXECUTABLE = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 360, height: 740 };
/** The phone width of issue 14 (an iPhone 12-15). */
export const PHONE_390 = { width: 390, height: 844 };
/** Default wait for any single expectation (the machine may be busy compiling). */
export const TIMEOUT = 15_000;

/** A unique run id, so repeated runs against the same database never collide. */
export const RUN = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;

/** YYYY-MM-DD, `days` from today (UTC; the browser contexts run in UTC too). */
export function isoDate(days = 0) {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

export async function launch() {
  return chromium.launch({
    executablePath: EXECUTABLE,
    // playwright-core manages its own fresh --user-data-dir per launch.
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-dev-shm-usage', '--disable-quic', '--no-first-run', '--disable-component-update',
      '--disable-sync',
    ],
    timeout: 60_000,
  });
}

/**
 * A context plus a page that records what goes wrong in the browser:
 * uncaught errors, console errors (CSP violations among them) and failed
 * requests. `problems()` returns them; the flows assert it is empty.
 */
export async function newPage(browser, options = {}) {
  const context = await browser.newContext({
    baseURL: BASE_URL,
    viewport: DESKTOP,
    timezoneId: 'UTC',
    locale: 'en-GB',
    colorScheme: 'light',
    ...options,
  });
  context.setDefaultTimeout(TIMEOUT);
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  page.on('requestfailed', (r) => {
    // A navigation that replaces a fetch in flight aborts it; that is not a failure.
    if (r.failure()?.errorText !== 'net::ERR_ABORTED') problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 500) problems.push(`HTTP ${r.status()} from ${r.request().method()} ${r.url()}`);
  });
  // 4xx answers are expected where a test provokes them (wrong password, a form
  // error, another user's task); everything else counts.
  const expected = /Failed to load resource: the server responded with a status of 4\d\d/;
  return { context, page, problems: () => problems.filter((p) => !expected.test(p)) };
}

/**
 * Sequential steps sharing state: once a step fails, the later ones fail at
 * once ("not run") instead of each waiting for its own timeout. A failing step
 * leaves a full-page screenshot in ARTIFACTS/failures/.
 */
export function stepper(t, getPage) {
  let failed = null;
  return async (name, fn) =>
    t.test(name, async (st) => {
      // The parent test has already failed; say why this step did not run.
      if (failed) return st.skip(`not run: step "${failed}" failed`);
      try {
        await fn();
      } catch (e) {
        failed = name;
        const page = getPage();
        if (page && !page.isClosed()) {
          const dir = path.join(ARTIFACTS, 'failures');
          mkdirSync(dir, { recursive: true });
          const file = path.join(dir, `${t.name}-${name}`.replace(/[^a-z0-9-]+/gi, '_') + '.png');
          await page.screenshot({ path: file, fullPage: true }).catch(() => {});
          console.error(`  failure screenshot: ${file} (url ${page.url()})`);
        }
        throw e;
      }
    });
}

export function newUser(label) {
  return {
    name: `E2E ${label}`,
    email: `e2e-${label.toLowerCase()}-${RUN}@example.test`,
    password: `pw-${RUN}-long-enough`,
  };
}

export async function signUp(page, user) {
  await page.goto('/sign-up');
  await page.fill('#name', user.name);
  await page.fill('#email', user.email);
  await page.fill('#password', user.password);
  await Promise.all([page.waitForURL(/\/tasks/), page.click('#sign-up-submit')]);
}

export async function signIn(page, user) {
  await page.goto('/sign-in');
  await page.fill('#email', user.email);
  await page.fill('#password', user.password);
  await Promise.all([page.waitForURL(/\/tasks/), page.click('#sign-in-submit')]);
}

/** Fills the add form (works with and without JavaScript; the caller waits for the result). */
export async function fillAddForm(page, task) {
  await page.fill('#new-title', task.title);
  await page.fill('#new-description', task.description ?? '');
  await page.selectOption('#new-priority', task.priority ?? 'medium');
  await page.fill('#new-tags', task.tags ?? '');
  await page.fill('#new-due', task.due ?? '');
}

/** The row of the task with this exact title. */
export function row(page, title) {
  return page.locator('#task-list li.task', {
    has: page.locator('.task-title', { hasText: new RegExp(`^${escapeRe(title)}$`) }),
  });
}

export async function taskId(page, title) {
  const id = await row(page, title).getAttribute('data-task-id');
  if (!id) throw new Error(`no task id for "${title}"`);
  return id;
}

/** Titles of the rows in the list, in order (empty when the list is empty). */
export async function titles(page) {
  return page.locator('#task-list li.task .task-title').allTextContents().then((a) => a.map((s) => s.trim()));
}

export function escapeRe(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// ---------------------------------------------------------------- axe-core

const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/**
 * Runs axe-core on the page. The script is evaluated through the DevTools
 * protocol (page.evaluate), which the page's Content-Security-Policy does not
 * govern, so the page keeps its real CSP. Prints every violation; returns them.
 */
export async function axe(page, label) {
  const has = await page.evaluate(() => typeof window.axe === 'object');
  if (!has) await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      helpUrl: v.helpUrl,
      nodes: v.nodes.map((n) => ({ target: n.target.join(' '), summary: n.failureSummary })),
    }));
  });
  if (result.length === 0) {
    console.log(`  axe ${label}: no violations`);
  } else {
    for (const v of result) {
      console.log(`  axe ${label}: [${v.impact}] ${v.id}: ${v.help} (${v.nodes.length} node(s)) ${v.helpUrl}`);
      for (const n of v.nodes) console.log(`      ${n.target}: ${String(n.summary).replace(/\s+/g, ' ')}`);
    }
  }
  return result;
}

export function seriousOrCritical(violations) {
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

export async function screenshot(page, name) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}
