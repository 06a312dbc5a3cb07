// The task actions with JavaScript disabled: every action is a plain form (or
// link; Undo after a delete or complete is a form in the notice) that the browser submits; each POST answers 303 and the browser loads
// the list again.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { fillAddForm, isoDate, launch, newPage, newUser, row, signUp, stepper, taskId, titles } from './lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const C = newUser('Carol');

test('without JavaScript: add, edit, complete, delete, filter, search, sort, chat', async (t) => {
  const s = await newPage(browser, { javaScriptEnabled: false, timezoneId: 'Asia/Tokyo' });
  const { page } = s;
  const step = stepper(t, () => page);
  const ids = {};
  // Every POST the browser sends, with the status it got.
  const posts = [];
  page.on('response', (r) => {
    if (r.request().method() === 'POST') posts.push({ url: new URL(r.url()).pathname, status: r.status(), location: r.headers().location ?? '' });
  });
  /** Submits by clicking `selector`; expects one POST to `path` answered 303, then a page at a URL matching `urlRe`. */
  async function submit(selector, path, urlRe) {
    const n = posts.length;
    const [resp] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === path),
      page.click(selector),
    ]);
    assert.equal(resp.status(), 303, `POST ${path} answers 303 See Other`);
    const location = resp.headers().location ?? '';
    assert.match(location, urlRe, `POST ${path} redirects to ${location}`);
    await page.waitForURL(urlRe);
    await page.waitForLoadState('load');
    assert.equal(posts.length, n + 1, `one POST for ${selector}: ${JSON.stringify(posts.slice(n))}`);
  }
  async function expectTitles(expected) {
    assert.deepEqual(await titles(page), expected);
  }

  await step('the page really runs without script', async () => {
    await page.goto('/sign-up');
    // app.js fills the browser's zone (Asia/Tokyo here) into the sign-up form as
    // it starts; without script the field keeps its UTC fallback. (It used to
    // set a todo_tz cookie, which the server no longer reads.)
    assert.equal(await page.inputValue('#sign-up-time-zone'), 'UTC', 'app.js must not have run');
  });

  await step('sign up with a plain form', async () => {
    await page.goto('/sign-up');
    await page.fill('#name', C.name);
    await page.fill('#email', C.email);
    await page.fill('#password', C.password);
    await submit('#sign-up-submit', '/sign-up', /\/tasks/);
    await page.locator('#empty-state').waitFor();
  });

  await step('add three tasks', async () => {
    const tasks = [
      { title: 'Call the bank', priority: 'high', tags: 'money', due: isoDate(-1) },
      { title: 'Buy stamps', priority: 'low', tags: 'errands', due: isoDate(3) },
      { title: 'Book dentist', description: 'Ask for a morning slot', priority: 'urgent', tags: 'health', due: isoDate(0) },
    ];
    for (const task of tasks) {
      await fillAddForm(page, task);
      await submit('#add-task-submit', '/tasks', /notice=added/);
      assert.match(await page.textContent('#status'), /Task added\./);
      ids[task.title] = await taskId(page, task.title);
    }
    await expectTitles(['Book dentist', 'Buy stamps', 'Call the bank']);
    assert.match(await row(page, 'Call the bank').getAttribute('class'), /\boverdue\b/);
    assert.match(await row(page, 'Call the bank').locator('.badge.due').textContent(), /Overdue/);
    assert.match(await row(page, 'Book dentist').getAttribute('class'), /\bdue-today\b/);
    assert.match(await row(page, 'Book dentist').locator('.badge.due').textContent(), /Due today/);
  });

  await step('a bad add is refused next to the field, nothing written', async () => {
    // An empty title is stopped by the browser (`required`); a blank one reaches the server.
    await fillAddForm(page, { title: '   ' });
    const n = posts.length;
    await page.click('#add-task-submit');
    await page.waitForLoadState('load');
    await page.waitForFunction(() => true);
    assert.equal(posts.length, n + 1);
    assert.ok(posts[n].status >= 400 && posts[n].status < 500, `blank title: expected 4xx, got ${posts[n].status}`);
    await page.locator('#new-title-error').waitFor();
    assert.equal(await page.getAttribute('#new-title', 'aria-invalid'), 'true');
    await page.goto('/tasks');
    assert.equal((await titles(page)).length, 3);
  });

  await step('edit', async () => {
    const id = ids['Buy stamps'];
    await Promise.all([page.waitForURL(new RegExp(`edit=${id}`)), page.click(`#edit-toggle-${id}`)]);
    await page.locator(`form#edit-form-${id}`).waitFor();
    assert.equal(await page.inputValue(`#edit-${id}-title`), 'Buy stamps');
    await page.fill(`#edit-${id}-title`, 'Buy 10 stamps');
    await page.selectOption(`#edit-${id}-priority`, 'medium');
    await page.fill(`#edit-${id}-due`, '');
    await submit(`#save-${id}`, `/tasks/${id}`, /notice=saved/);
    assert.match(await page.textContent('#status'), /Task saved\./);
    const r = row(page, 'Buy 10 stamps');
    assert.match(await r.locator('.badge.prio').textContent(), /Medium/);
    assert.equal(await r.locator('.badge.due').count(), 0, 'due date cleared');
    assert.equal(await page.locator(`form#edit-form-${id}`).count(), 0);
  });

  await step('complete hides the task; the notice\'s Undo brings it back', async () => {
    const id = ids['Call the bank'];
    await submit(`#toggle-${id}`, `/tasks/${id}/toggle`, new RegExp(`notice=completed&undo=complete-${id}`));
    assert.match(await page.textContent('#status'), /Task completed\./);
    await expectTitles(['Book dentist', 'Buy 10 stamps']);
    await submit('#undo', `/tasks/${id}/completed`, /notice=undone/);
    await expectTitles(['Book dentist', 'Buy 10 stamps', 'Call the bank']);
    assert.equal(await page.getAttribute(`#toggle-${id}`, 'aria-pressed'), 'false');
    await submit(`#toggle-${id}`, `/tasks/${id}/toggle`, /notice=completed/);
    await expectTitles(['Book dentist', 'Buy 10 stamps']);
  });

  await step('views, completed shown on request, search, priority, tag and sort with the GET form', async () => {
    await Promise.all([page.waitForURL(/status=completed/), page.click('#tab-completed')]);
    await expectTitles(['Call the bank']);
    assert.equal(await page.getAttribute('#tab-completed', 'aria-current'), 'page');
    assert.match(await row(page, 'Call the bank').getAttribute('class'), /\bdone\b/);
    assert.doesNotMatch(await row(page, 'Call the bank').getAttribute('class'), /overdue/);
    await Promise.all([page.waitForURL((u) => !u.search.includes('status=')), page.click('#view-all')]);
    await expectTitles(['Book dentist', 'Buy 10 stamps']);
    assert.equal(await page.getAttribute('#view-all', 'aria-current'), 'page');
    assert.equal(await page.getAttribute('#tab-completed', 'aria-current'), null);
    // the counts of the views: Today = overdue + due today (the bank is done)
    assert.match(await page.textContent('#view-today'), /Today\s*1/);
    assert.match(await page.textContent('#view-all'), /All\s*2/);
    assert.match(await page.textContent('#tab-completed'), /Completed\s*1/);
    await Promise.all([page.waitForURL(/view=today/), page.click('#view-today')]);
    await expectTitles(['Book dentist']);
    await page.locator('#group-today').waitFor();
    await Promise.all([page.waitForURL(/view=upcoming/), page.click('#view-upcoming')]);
    await expectTitles(['Book dentist']);
    await Promise.all([page.waitForURL((u) => !u.search.includes('view=')), page.click('#view-all')]);
    // completed tasks on request; the search keeps that
    await Promise.all([page.waitForURL(/status=all/), page.click('#show-completed')]);
    await expectTitles(['Book dentist', 'Buy 10 stamps', 'Call the bank']);
    await page.fill('#filter-q', 'morning');
    await Promise.all([page.waitForURL(/q=morning/), page.click('#apply-filters')]);
    assert.match(page.url(), /status=all/);
    await expectTitles(['Book dentist']);
    await Promise.all([page.waitForURL((u) => !u.search.includes('q=')), page.click('#clear-filters')]);
    await expectTitles(['Book dentist', 'Buy 10 stamps']);
    await page.selectOption('#filter-priority', 'urgent');
    await Promise.all([page.waitForURL(/priority=urgent/), page.click('#apply-filters')]);
    await expectTitles(['Book dentist']);
    await Promise.all([page.waitForURL((u) => !u.search.includes('priority=')), page.click('#clear-filters')]);
    await Promise.all([page.waitForURL(/tag=errands/), row(page, 'Buy 10 stamps').locator('a.tag').click()]);
    await expectTitles(['Buy 10 stamps']);
    await Promise.all([page.waitForURL((u) => !u.search.includes('tag=')), page.click('#clear-filters')]);
    await page.selectOption('#filter-sort', 'title');
    await Promise.all([page.waitForURL(/sort=title/), page.click('#apply-filters')]);
    await expectTitles(['Book dentist', 'Buy 10 stamps']);
    await page.selectOption('#filter-sort', 'priority');
    await Promise.all([page.waitForURL(/sort=priority/), page.click('#apply-filters')]);
    await expectTitles(['Book dentist', 'Buy 10 stamps']);
  });

  await step('actions keep the current filters (the back parameter), Undo too', async () => {
    await page.goto('/tasks?sort=title');
    const id = ids['Buy stamps'];
    await submit(`#toggle-${id}`, `/tasks/${id}/toggle`, /notice=completed/);
    assert.match(page.url(), /sort=title/);
    await expectTitles(['Book dentist']);
    await submit('#undo', `/tasks/${id}/completed`, /notice=undone/);
    assert.match(page.url(), /sort=title/);
    await expectTitles(['Book dentist', 'Buy 10 stamps']);
    await page.goto('/tasks');
  });

  await step('delete at once; the notice\'s Undo restores the task with its number and tags', async () => {
    const id = ids['Book dentist'];
    await submit(`#delete-${id}`, `/tasks/${id}/delete`, new RegExp(`notice=deleted&undo=delete-${id}`));
    assert.match(await page.textContent('#status'), /Task deleted\./);
    await expectTitles(['Buy 10 stamps']);
    await submit('#undo', `/tasks/${id}/restore`, /notice=restored/);
    assert.match(await page.textContent('#status'), /Task restored\./);
    await expectTitles(['Book dentist', 'Buy 10 stamps']);
    assert.equal(await taskId(page, 'Book dentist'), id);
    assert.deepEqual(await row(page, 'Book dentist').locator('a.tag').allTextContents(), ['#health']);
    assert.match(await row(page, 'Book dentist').locator('.badge.due').textContent(), /Due today/);
    await submit(`#delete-${id}`, `/tasks/${id}/delete`, /notice=deleted/);
    await expectTitles(['Buy 10 stamps']);
  });

  await step('the assistant works without script too (POST /chat, then the page)', async () => {
    await page.fill('#chat-message', 'add a task to buy bread');
    await submit('#chat-send', '/chat', /[?&]c=\d+/);
    await page.locator('#chat-log .msg.msg-user', { hasText: 'add a task to buy bread' }).waitFor();
    await page.locator('#chat-log .msg.msg-assistant ul.tools li', { hasText: "Added 'Buy bread'" }).waitFor();
    await row(page, 'Buy bread').waitFor();
  });

  await step('everything persisted', async () => {
    await page.goto('/tasks');
    // the bank is done: hidden by default, under Completed
    await expectTitles(['Buy bread', 'Buy 10 stamps']);
    await page.goto('/tasks?status=completed');
    await expectTitles(['Call the bank']);
  });

  await step('sign out with a plain form', async () => {
    await submit('#sign-out', '/sign-out', /\/sign-in/);
    await page.goto('/tasks');
    assert.match(page.url(), /\/sign-in/);
  });

  await step('no 5xx along the way', async () => {
    assert.deepEqual(s.problems(), []);
  });

  await s.context.close();
});

test('without JavaScript: a second user sees none of the first user\'s tasks', async (t) => {
  const s = await newPage(browser, { javaScriptEnabled: false });
  const { page } = s;
  const step = stepper(t, () => page);
  await step('sign up and see an empty list', async () => {
    await signUp(page, newUser('Dave'));
    await page.locator('#empty-state').waitFor();
    assert.equal(await page.locator('#task-list li.task').count(), 0);
    assert.doesNotMatch(await page.textContent('main'), /Buy bread|stamps|Call the bank/);
  });
  await s.context.close();
});
