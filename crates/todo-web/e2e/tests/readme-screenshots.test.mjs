// The screenshots in the README (docs/images/), taken by this test so they never
// go stale. Their content is fixed (one user's name, fixed titles, due dates in
// a fixed year, the built-in assistant's replies), so a run changes a file only
// when the page itself looks different. The README must show exactly the files
// written here; tests/docs.rs checks it shows exactly the files committed.
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { DESKTOP, RUN, fillAddForm, launch, newPage, row, signUp, stepper, taskId } from './lib.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const IMAGES = process.env.E2E_README_IMAGES ?? path.join(ROOT, 'docs/images');
const README = path.join(ROOT, 'README.md');

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('README screenshots: the task page and the assistant', async (t) => {
  const s = await newPage(browser, { viewport: DESKTOP });
  const { page } = s;
  const step = stepper(t, () => page);
  const written = [];
  const shot = async (name, target, options = {}) => {
    mkdirSync(IMAGES, { recursive: true });
    await page.waitForTimeout(250); // let transitions settle
    const file = `${name}.png`;
    await target.screenshot({ path: path.join(IMAGES, file), animations: 'disabled', caret: 'hide', ...options });
    written.push(file);
  };

  await step('a user with a few tasks', async () => {
    // The e-mail is unique per run; only the name is on the page.
    await signUp(page, { name: 'Ada', email: `readme-${RUN}@example.test`, password: `pw-${RUN}-long-enough` });
    const tasks = [
      { title: 'Renew passport', description: 'Photos first, then the form', priority: 'urgent', tags: 'admin', due: '2031-03-14' },
      { title: 'Book the dentist', priority: 'high', tags: 'health', due: '2031-03-20' },
      { title: 'Plan the weekend hike', description: 'Check the weather', priority: 'medium', tags: 'fun, outdoors' },
      { title: 'Water the plants', priority: 'low', tags: 'home' },
      { title: 'Recycle bottles', priority: 'low', tags: 'home' },
    ];
    for (const task of tasks) {
      await fillAddForm(page, task);
      await page.click('#add-task-submit');
      await row(page, task.title).waitFor();
    }
    const done = await taskId(page, 'Recycle bottles');
    await page.click(`#toggle-${done}`);
    await row(page, 'Recycle bottles').waitFor({ state: 'detached' });
    // Completed tasks are hidden by default: the picture shows them too.
    await page.goto('/tasks?status=all');
    await row(page, 'Recycle bottles').waitFor();
    await shot('tasks', page, { fullPage: true });
  });

  await step('a conversation with the built-in assistant', async () => {
    await page.fill('#chat-message', 'add a task to buy oat milk');
    await page.click('#chat-send');
    await page.locator('#chat-log .msg-assistant[aria-busy="false"] ul.tools li').waitFor({ timeout: 60_000 });
    await row(page, 'Buy oat milk').waitFor();
    await page.fill('#chat-message', 'show high priority tasks');
    await page.press('#chat-message', 'Enter');
    await page.locator('#chat-log .msg-assistant[aria-busy="false"]').nth(1).waitFor({ timeout: 60_000 });
    // As loaded from the server, with the conversation open; tall enough for
    // the whole conversation (the log is at most half the window's height).
    await page.setViewportSize({ width: DESKTOP.width, height: 1200 });
    await page.goto(page.url().split('#')[0] + '#chat');
    await page.locator('#conversation-list a[aria-current="true"]').waitFor();
    await shot('assistant', page.locator('.chat'));
  });

  await step('the README shows exactly these screenshots', async () => {
    const readme = readFileSync(README, 'utf8');
    const referenced = [...new Set([...readme.matchAll(/docs\/images\/([\w.-]+\.png)/g)].map((m) => m[1]))].sort();
    assert.deepEqual(referenced, [...written].sort(), 'README.md must show docs/images/ as this test writes it');
    const files = readdirSync(IMAGES).filter((f) => f.endsWith('.png')).sort();
    assert.deepEqual(files, [...written].sort(), `${IMAGES} holds only the screenshots this test writes`);
  });

  await step('no script errors, CSP violations or 5xx', async () => {
    assert.deepEqual(s.problems(), []);
  });

  await s.context.close();
});
