// The settings page's account actions: change the password (another
// browser's session ends, this one stays), download the export, import it
// into another account, sign out everywhere, delete the account with
// confirmation.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { fillAddForm, launch, newPage, newUser, row, signIn, signUp, stepper, titles } from './lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function addTask(page, title) {
  await fillAddForm(page, { title });
  await page.click('#add-task-submit');
  await row(page, title).waitFor();
}

test('settings: password change, export and import, deletion', async (t) => {
  const s = await newPage(browser, { acceptDownloads: true });
  const other = await newPage(browser);
  const { page } = s;
  const step = stepper(t, () => page);
  const user = newUser('settings');
  const newPassword = `${user.password}-new`;
  let exported;

  await step('sign up, add tasks; a second browser signs in too', async () => {
    await signUp(page, user);
    await addTask(page, 'Export me one');
    await addTask(page, 'Export me two');
    await signIn(other.page, user);
  });

  await step('a wrong current password is a form error', async () => {
    await page.goto('/settings');
    await page.fill('#current-password', 'not the password');
    await page.fill('#new-password', newPassword);
    await page.click('#change-password');
    await page.locator('#current-password-error').waitFor();
    assert.equal(await page.getAttribute('#current-password', 'aria-invalid'), 'true');
  });

  await step('the password changes; the other browser is signed out, this one is not', async () => {
    await page.fill('#current-password', user.password);
    await page.fill('#new-password', newPassword);
    await Promise.all([page.waitForURL(/notice=password/), page.click('#change-password')]);
    assert.match(await page.textContent('#settings-notice'), /Password changed/);
    await other.page.goto('/tasks');
    await other.page.waitForURL(/\/sign-in/);
    await page.goto('/tasks');
    assert.ok((await titles(page)).includes('Export me one'));
  });

  await step('the export downloads as a JSON attachment with the tasks', async () => {
    await page.goto('/settings');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-link')]);
    assert.match(download.suggestedFilename(), /^todo-export-\d{4}-\d{2}-\d{2}\.json$/);
    const file = await download.path();
    exported = file;
    const doc = JSON.parse(await readFile(file, 'utf8'));
    assert.equal(doc.version, 1);
    assert.equal(doc.account.email, user.email);
    assert.deepEqual(doc.tasks.map((x) => x.title), ['Export me one', 'Export me two']);
  });

  await step('the file imports into another account', async () => {
    const second = newUser('settings-import');
    await other.page.context().clearCookies();
    await signUp(other.page, second);
    await other.page.goto('/settings');
    await other.page.setInputFiles('#import-file', exported);
    await Promise.all([other.page.waitForURL(/notice=imported/), other.page.click('#import-submit')]);
    await other.page.goto('/tasks');
    const imported = await titles(other.page);
    assert.ok(imported.includes('Export me one') && imported.includes('Export me two'), imported.join(', '));
  });

  await step('deletion needs the confirmation and the password', async () => {
    await page.goto('/settings');
    await page.fill('#delete-password', 'not the password');
    await page.check('#delete-confirm');
    await page.click('#delete-account');
    await page.locator('#delete-password-error').waitFor();
    await page.fill('#delete-password', newPassword);
    await page.check('#delete-confirm');
    await Promise.all([page.waitForURL(/signed_out=deleted/), page.click('#delete-account')]);
    assert.match(await page.textContent('main'), /deleted/);
  });

  await step('the deleted account cannot sign in', async () => {
    await page.goto('/sign-in');
    await page.fill('#email', user.email);
    await page.fill('#password', newPassword);
    await page.click('#sign-in-submit');
    await page.waitForURL(/\/sign-in/);
    assert.match(await page.textContent('main'), /invalid|wrong|incorrect/i);
  });

  assert.deepEqual(s.problems(), []);
  await s.context.close();
  await other.context.close();
});
