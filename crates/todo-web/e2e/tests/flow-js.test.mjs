// The whole user flow with JavaScript on: forms submit in the background and
// swap the task panel in place; the assistant's reply streams in.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  TIMEOUT, fillAddForm, isoDate, launch, newPage, newUser, row, signIn, signUp, stepper, taskId, titles,
} from './lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const A = newUser('Alice');
const B = newUser('Bob');
const TASKS = [
  { title: 'Pay rent', description: 'Transfer to the landlord', priority: 'urgent', tags: 'home, bills', due: isoDate(-2) },
  { title: 'Write report', description: 'Quarterly numbers', priority: 'high', tags: 'work', due: isoDate(0) },
  { title: 'Water plants', priority: 'low', tags: 'home', due: isoDate(5) },
];

/** Waits until the list shows exactly these titles, in this order. */
async function expectTitles(page, expected) {
  await page.waitForFunction(
    (want) => JSON.stringify([...document.querySelectorAll('#task-list li.task .task-title')].map((e) => e.textContent.trim())) === JSON.stringify(want),
    expected, { timeout: TIMEOUT },
  ).catch(async () => {
    assert.deepEqual(await titles(page), expected);
  });
}

async function expectStatus(page, text) {
  await page.locator('#status', { hasText: text }).waitFor();
}

async function applyAndWait(page, action, urlPart) {
  await action();
  await page.waitForURL((u) => u.search.includes(urlPart));
}

test('with JavaScript: sign up, manage tasks, assistant, persistence, sign out, isolation', async (t) => {
  const s = await newPage(browser);
  const { page } = s;
  const step = stepper(t, () => page);
  const ids = {};
  // A marker on window survives in-place updates and disappears on a page load.
  const mark = () => page.evaluate(() => { window.__e2eMark = true; });
  const marked = () => page.evaluate(() => window.__e2eMark === true);

  await step('signed out, / leads to sign-in; sign up from there', async () => {
    await page.goto('/');
    assert.match(page.url(), /\/sign-in/);
    await Promise.all([page.waitForURL(/\/sign-up/), page.click('#to-sign-up')]);
    await page.fill('#name', A.name);
    await page.fill('#email', A.email);
    await page.fill('#password', A.password);
    await Promise.all([page.waitForURL(/\/tasks/), page.click('#sign-up-submit')]);
    await page.locator('#empty-state').waitFor();
    assert.match(await page.textContent('#task-count'), /^\s*0 tasks/);
    assert.match(await page.textContent('header'), new RegExp(A.name));
  });

  await step('add three tasks with different priorities and due dates, without reloads', async () => {
    await mark();
    for (const [i, task] of TASKS.entries()) {
      await fillAddForm(page, task);
      await page.click('#add-task-submit');
      await row(page, task.title).waitFor();
      await expectStatus(page, 'Task added.');
      await page.locator('#task-count', { hasText: `${i + 1} task` }).waitFor();
      ids[task.title] = await taskId(page, task.title);
      // Each account numbers its tasks 1, 2, 3... and the list shows the number.
      assert.equal(ids[task.title], String(TASKS.indexOf(task) + 1));
      assert.equal((await row(page, task.title).locator('.task-number').textContent()).trim(), `#${ids[task.title]}`);
      // the form is cleared and focused for the next task
      assert.equal(await page.inputValue('#new-title'), '');
    }
    assert.ok(await marked(), 'adding tasks must not reload the page');
    // newest first by default
    await expectTitles(page, ['Water plants', 'Write report', 'Pay rent']);
    assert.match(await row(page, 'Pay rent').locator('.badge.prio').textContent(), /Urgent/);
    assert.match(await row(page, 'Write report').locator('.badge.prio').textContent(), /High/);
    assert.match(await row(page, 'Water plants').locator('.badge.prio').textContent(), /Low/);
    assert.equal(await row(page, 'Pay rent').locator('.task-desc').textContent(), 'Transfer to the landlord');
    assert.deepEqual(await row(page, 'Pay rent').locator('a.tag').allTextContents(), ['#home', '#bills']);
  });

  await step('overdue and due-today tasks stand out', async () => {
    const rent = row(page, 'Pay rent');
    assert.match(await rent.getAttribute('class'), /\boverdue\b/);
    assert.match(await rent.locator('.badge.due').textContent(), /Overdue/);
    const report = row(page, 'Write report');
    assert.match(await report.getAttribute('class'), /\bdue-today\b/);
    assert.match(await report.locator('.badge.due').textContent(), /Due today/);
    const plants = row(page, 'Water plants');
    assert.doesNotMatch(await plants.getAttribute('class'), /\b(overdue|due-today)\b/);
    assert.match(await plants.locator('.badge.due').textContent(), /^\s*Due /);
    // the highlight is visible, not only a class: the row looks different
    const style = (loc) => loc.evaluate((e) => { const c = getComputedStyle(e); return `${c.borderLeftColor}|${c.borderLeftWidth}|${c.backgroundColor}|${c.boxShadow}`; });
    assert.notEqual(await style(rent), await style(plants), 'an overdue row must look different from a plain one');
  });

  await step('search', async () => {
    await page.fill('#filter-q', 'report');
    await applyAndWait(page, () => page.click('#apply-filters'), 'q=report');
    await expectTitles(page, ['Write report']);
    assert.match(await page.textContent('#task-count'), /1 task match/);
    // the description is searched too
    await page.fill('#filter-q', 'landlord');
    await applyAndWait(page, () => page.click('#apply-filters'), 'q=landlord');
    await expectTitles(page, ['Pay rent']);
    await page.fill('#filter-q', 'nothing-like-this');
    await applyAndWait(page, () => page.click('#apply-filters'), 'q=nothing');
    await page.locator('#empty-state', { hasText: 'No tasks match' }).waitFor();
    await page.click('#clear-filters');
    await expectTitles(page, ['Water plants', 'Write report', 'Pay rent']);
    assert.equal(new URL(page.url()).search, '');
  });

  await step('filter by priority and by tag', async () => {
    await applyAndWait(page, () => page.selectOption('#filter-priority', 'urgent'), 'priority=urgent');
    await expectTitles(page, ['Pay rent']);
    await page.click('#clear-filters');
    await expectTitles(page, ['Water plants', 'Write report', 'Pay rent']);
    await applyAndWait(page, () => row(page, 'Write report').locator('a.tag', { hasText: '#work' }).click(), 'tag=work');
    await expectTitles(page, ['Write report']);
    await page.click('#clear-filters');
    await expectTitles(page, ['Water plants', 'Write report', 'Pay rent']);
    await page.fill('#filter-tag', 'home');
    await applyAndWait(page, () => page.click('#apply-filters'), 'tag=home');
    await expectTitles(page, ['Water plants', 'Pay rent']);
    await page.click('#clear-filters');
    await expectTitles(page, ['Water plants', 'Write report', 'Pay rent']);
  });

  await step('sort by priority, due date and title', async () => {
    await applyAndWait(page, () => page.selectOption('#filter-sort', 'priority'), 'sort=priority');
    await expectTitles(page, ['Pay rent', 'Write report', 'Water plants']);
    await applyAndWait(page, () => page.selectOption('#filter-sort', 'title'), 'sort=title');
    await expectTitles(page, ['Pay rent', 'Water plants', 'Write report']);
    await applyAndWait(page, () => page.selectOption('#filter-sort', 'due'), 'sort=due');
    await expectTitles(page, ['Pay rent', 'Write report', 'Water plants']);
    await page.click('#clear-filters');
    await expectTitles(page, ['Water plants', 'Write report', 'Pay rent']);
  });

  await step('edit a task in place', async () => {
    const id = ids['Water plants'];
    await mark();
    await page.click(`#edit-toggle-${id}`);
    await page.locator(`form#edit-form-${id}`).waitFor();
    await page.waitForFunction((i) => document.activeElement?.id === `edit-${i}-title`, id, { timeout: TIMEOUT });
    assert.equal(await page.inputValue(`#edit-${id}-title`), 'Water plants');
    assert.equal(await page.inputValue(`#edit-${id}-priority`), 'low');
    await page.fill(`#edit-${id}-title`, 'Water the plants');
    await page.fill(`#edit-${id}-description`, 'Balcony first');
    await page.selectOption(`#edit-${id}-priority`, 'medium');
    await page.fill(`#edit-${id}-tags`, 'home, garden');
    await page.click(`#save-${id}`);
    await expectStatus(page, 'Task saved.');
    const r = row(page, 'Water the plants');
    await r.waitFor();
    assert.ok(await marked(), 'editing must not reload the page');
    assert.equal(await page.locator(`form#edit-form-${id}`).count(), 0, 'the edit form closes after saving');
    assert.equal(await r.getAttribute('data-task-id'), id);
    assert.equal(await r.locator('.task-desc').textContent(), 'Balcony first');
    assert.match(await r.locator('.badge.prio').textContent(), /Medium/);
    assert.deepEqual(await r.locator('a.tag').allTextContents(), ['#home', '#garden']);
    ids['Water the plants'] = id;
  });

  await step('complete a task: hidden by default, a toast with Undo; the views and tabs', async () => {
    const id = ids['Write report'];
    assert.equal(await page.getAttribute(`#toggle-${id}`, 'aria-pressed'), 'false');
    await mark();
    await page.click(`#toggle-${id}`);
    await expectTitles(page, ['Water the plants', 'Pay rent']);
    await expectStatus(page, 'Task completed.');
    // The notice is a toast (role=status) whose Undo has the keyboard focus.
    assert.equal(await page.getAttribute('#status', 'role'), 'status');
    assert.match(await page.getAttribute('#status', 'class'), /\btoast\b/);
    await page.waitForFunction(() => document.activeElement?.id === 'undo', null, { timeout: TIMEOUT });
    await page.keyboard.press('Enter');
    await expectTitles(page, ['Water the plants', 'Write report', 'Pay rent']);
    await expectStatus(page, 'Undone.');
    assert.equal(await page.getAttribute(`#toggle-${id}`, 'aria-pressed'), 'false');
    await page.click(`#toggle-${id}`);
    await expectTitles(page, ['Water the plants', 'Pay rent']);
    // The toast goes by itself after a few seconds (focus moved away first).
    await page.focus('#filter-q');
    await page.locator('#status.toast').waitFor({ state: 'detached', timeout: 20_000 });
    assert.ok(await marked(), 'completing and undoing must not reload the page');

    await applyAndWait(page, () => page.click('#tab-completed'), 'status=completed');
    await expectTitles(page, ['Write report']);
    assert.equal(await page.getAttribute('#tab-completed', 'aria-current'), 'page');
    assert.match(await row(page, 'Write report').getAttribute('class'), /\bdone\b/);
    assert.doesNotMatch(await row(page, 'Write report').getAttribute('class'), /due-today/, 'a done task no longer stands out');
    await applyAndWait(page, () => page.click('#view-today'), 'view=today');
    await expectTitles(page, ['Pay rent']);
    assert.equal(await page.getAttribute('#view-today', 'aria-current'), 'page');
    await page.locator('#group-overdue').waitFor();
    await applyAndWait(page, () => page.click('#show-completed'), 'status=all');
    await expectTitles(page, ['Pay rent', 'Write report']);
    await applyAndWait(page, () => page.click('#view-upcoming'), 'view=upcoming');
    await expectTitles(page, ['Write report', 'Water the plants']);
    await page.click('#show-completed');
    await page.waitForURL((u) => !u.search.includes('status='));
    await expectTitles(page, ['Water the plants']);
    await page.click('#view-all');
    await page.waitForURL((u) => !u.search.includes('view='));
    await expectTitles(page, ['Water the plants', 'Pay rent']);
    assert.equal(await page.getAttribute('#view-all', 'aria-current'), 'page');
    assert.match(await page.textContent('#view-all'), /All\s*2/);
    assert.match(await page.textContent('#tab-completed'), /Completed\s*1/);
  });

  await step('delete at once, with Undo in a toast: the task comes back with its number and tags', async () => {
    const id = ids['Pay rent'];
    await page.click(`#delete-${id}`);
    await expectTitles(page, ['Water the plants']);
    await expectStatus(page, 'Task deleted.');
    await page.waitForFunction(() => document.activeElement?.id === 'undo', null, { timeout: TIMEOUT });
    await page.click('#undo');
    await expectStatus(page, 'Task restored.');
    await expectTitles(page, ['Water the plants', 'Pay rent']);
    assert.equal(await taskId(page, 'Pay rent'), id);
    assert.deepEqual(await row(page, 'Pay rent').locator('a.tag').allTextContents(), ['#home', '#bills']);
    assert.match(await row(page, 'Pay rent').locator('.badge.due').textContent(), /Overdue/);
    await page.click(`#delete-${id}`);
    await expectTitles(page, ['Water the plants']);
    assert.match(await page.textContent('#task-count'), /1 task/);
  });

  await step('the assistant adds "Buy milk" and the list shows it without a reload', async () => {
    await page.locator('#chat-empty').waitFor();
    await mark();
    await page.fill('#chat-message', 'add a task to buy milk');
    await page.press('#chat-message', 'Enter');
    await page.locator('#chat-log .msg.msg-user .msg-text', { hasText: 'add a task to buy milk' }).waitFor();
    const reply = page.locator('#chat-log .msg.msg-assistant[aria-busy="false"]');
    await reply.waitFor({ timeout: 60_000 });
    await reply.locator('ul.tools li', { hasText: "Added 'Buy milk'" }).waitFor();
    assert.notEqual((await reply.locator('.msg-text').textContent()).trim(), '');
    // Which assistant answered is a label, not a prefix of the text; the reply names the number.
    assert.equal((await reply.locator('.msg-who .msg-label').textContent()).trim(), 'built-in');
    assert.doesNotMatch(await reply.locator('.msg-text').textContent(), /^\s*\(built-in/);
    assert.match(await reply.locator('.msg-text').textContent(), /task 4\b/);
    await row(page, 'Buy milk').waitFor();
    assert.equal((await row(page, 'Buy milk').locator('.task-number').textContent()).trim(), '#4');
    assert.match(await page.textContent('#task-count'), /2 tasks/);
    assert.ok(await marked(), 'the chat turn must not reload the page');
    assert.match(page.url(), /[?&]c=\d+/);
    await page.locator('#conversation-list li a[aria-current="true"]').waitFor();
    assert.equal(await page.inputValue('#chat-message'), '');
  });

  await step('reload: everything persisted', async () => {
    await page.reload();
    await expectTitles(page, ['Buy milk', 'Water the plants']);
    const plants = row(page, 'Water the plants');
    assert.equal(await plants.locator('.task-desc').textContent(), 'Balcony first');
    assert.match(await plants.locator('.badge.prio').textContent(), /Medium/);
    assert.equal(await row(page, 'Write report').count(), 0, 'completed: hidden by default');
    assert.equal(await row(page, 'Pay rent').count(), 0);
    // the conversation is still open, with its tool line
    await page.locator('#chat-log .msg.msg-user', { hasText: 'add a task to buy milk' }).waitFor();
    await page.locator('#chat-log ul.tools li', { hasText: "Added 'Buy milk'" }).waitFor();
    // the label comes back from the conversation's history
    assert.equal((await page.locator('#chat-log .msg-assistant .msg-label').first().textContent()).trim(), 'built-in');
    assert.doesNotMatch(await page.locator('#chat-log .msg-assistant .msg-text').first().textContent(), /^\s*\(built-in/);
    assert.equal(await page.locator('#conversation-list li').count(), 1);
    // and a fresh page load (no query) shows the same tasks
    await page.goto('/');
    await expectTitles(page, ['Buy milk', 'Water the plants']);
    await page.goto('/tasks?status=completed');
    await expectTitles(page, ['Write report']);
    assert.equal(await page.getAttribute(`#toggle-${ids['Write report']}`, 'aria-pressed'), 'true');
    await page.goto('/');
    // ... and the conversation that was open (kept in a cookie, messages from the API)
    await page.locator('#chat-log .msg.msg-user', { hasText: 'add a task to buy milk' }).waitFor();
    assert.equal((await page.locator('#chat-log .msg-assistant .msg-label').first().textContent()).trim(), 'built-in');
  });

  await step('sign out', async () => {
    await Promise.all([page.waitForURL(/\/sign-in/), page.click('#sign-out')]);
    await page.goto('/tasks');
    assert.match(page.url(), /\/sign-in/, 'signed out, /tasks sends to sign-in');
    const cookies = await s.context.cookies();
    assert.equal(cookies.find((c) => c.name === 'todo_session')?.value ?? '', '', 'session cookie cleared');
  });

  await step('a second user sees none of the first user\'s tasks or conversations', async () => {
    await signUp(page, B);
    await page.locator('#empty-state').waitFor();
    assert.match(await page.textContent('#task-count'), /^\s*0 tasks/);
    assert.equal(await page.locator('#task-list li.task').count(), 0);
    assert.equal(await page.locator('#conversation-list li').count(), 0);
    await page.fill('#filter-q', 'milk');
    await applyAndWait(page, () => page.click('#apply-filters'), 'q=milk');
    assert.equal(await page.locator('#task-list li.task').count(), 0);
    // addressing the first user's task directly does not reveal it
    const res = await page.goto(`/tasks/${ids['Water the plants']}/delete`);
    assert.ok(res.status() >= 400 && res.status() < 500, `expected 4xx, got ${res.status()}`);
    assert.doesNotMatch(await page.textContent('body'), /Water the plants/);
    const body = await page.content();
    assert.doesNotMatch(body, /Balcony first|Buy milk/);
  });

  await step('the second user\'s first task is task 1, in the list and for the assistant', async () => {
    await page.goto('/tasks');
    await page.fill('#chat-message', 'add a task to call the bank and make it urgent');
    await page.press('#chat-message', 'Enter');
    const reply = page.locator('#chat-log .msg.msg-assistant[aria-busy="false"]');
    await reply.waitFor({ timeout: 60_000 });
    assert.match(await reply.locator('.msg-text').textContent(), /task 1\b.*urgent/);
    await row(page, 'Call the bank').waitFor();
    assert.equal((await row(page, 'Call the bank').locator('.task-number').textContent()).trim(), '#1');
    assert.match(await row(page, 'Call the bank').locator('.badge.prio').textContent(), /Urgent/);
  });

  await step('the first user signs in again and finds the tasks', async () => {
    await Promise.all([page.goto('/tasks'), page.waitForLoadState()]);
    await Promise.all([page.waitForURL(/\/sign-in/), page.click('#sign-out')]);
    await signIn(page, A);
    await expectTitles(page, ['Buy milk', 'Water the plants']);
  });

  await step('no script errors, CSP violations, failed requests or 5xx along the way', async () => {
    assert.deepEqual(s.problems(), []);
  });

  await s.context.close();
});
