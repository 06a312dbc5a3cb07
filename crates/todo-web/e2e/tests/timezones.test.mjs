// Time zones in the browser: the same flow with the browser in Los Angeles,
// Tokyo and UTC. The zone is detected at sign-up; tasks added through the form
// and through the assistant with "today", "tomorrow" and "friday 5pm" land on
// the user's local days; the list's badges, its Today/overdue markers and the
// assistant's replies agree with each other and with the local calendar.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launch, newPage, newUser, row, stepper } from './lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** The calendar date it is now in `zone`, as a UTC-midnight Date used only for calendar arithmetic. */
function localToday(zone) {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' })
    .format(new Date());
  return new Date(`${parts}T00:00:00Z`);
}

function plusDays(day, n) {
  return new Date(day.getTime() + n * 86_400_000);
}

const iso = (d) => d.toISOString().slice(0, 10);
/** How the list's badges write a day ("Wed 2 Dec"; the year only when not this one). */
const badgeDay = (d, today) => `${WEEKDAYS[d.getUTCDay()]} ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]}`
  + (d.getUTCFullYear() === today.getUTCFullYear() ? '' : ` ${d.getUTCFullYear()}`);
/** How the assistant's replies write a day ("Wed, Dec 2"). */
const replyDay = (d) => `${WEEKDAYS[d.getUTCDay()]}, ${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}`;

/** The assistant's "friday": the next Friday after today, 1 to 7 days ahead. */
function nextFriday(today) {
  const ahead = ((5 - today.getUTCDay() + 7) % 7) || 7;
  return plusDays(today, ahead);
}

async function ask(page, message, expectedReply) {
  const before = await page.locator('#chat-log .msg.msg-assistant[aria-busy="false"]').count();
  await page.fill('#chat-message', message);
  await page.press('#chat-message', 'Enter');
  const reply = page.locator('#chat-log .msg.msg-assistant[aria-busy="false"]').nth(before);
  await reply.waitFor({ timeout: 60_000 });
  const text = (await reply.locator('.msg-text').textContent()).trim();
  assert.ok(text.includes(expectedReply), `reply to "${message}" should say "${expectedReply}": ${text}`);
  assert.doesNotMatch(text, /UTC/, 'the assistant speaks local time');
  return text;
}

async function badge(page, title) {
  return (await row(page, title).locator('.badge.due').textContent()).replace(/\s+/g, ' ').trim();
}

async function markers(page, title) {
  const cls = await row(page, title).getAttribute('class');
  return { today: /\bdue-today\b/.test(cls), overdue: /\boverdue\b/.test(cls) };
}

for (const zone of ['America/Los_Angeles', 'Asia/Tokyo', 'UTC']) {
  test(`in ${zone}: sign up, form and assistant dates agree`, async (t) => {
    const s = await newPage(browser, { timezoneId: zone });
    const { page } = s;
    const step = stepper(t, () => page);
    const user = newUser(`tz-${zone.replace(/\W+/g, '-')}`);
    // Read once; a run that crosses the local midnight would fail loudly, not flake silently.
    const today = localToday(zone);
    const tomorrow = plusDays(today, 1);
    const yesterday = plusDays(today, -1);
    const friday = nextFriday(today);

    await step('sign-up detects the browser zone; settings show it', async () => {
      await page.goto('/sign-up');
      assert.equal(await page.inputValue('#sign-up-time-zone'), zone, 'app.js fills the detected zone');
      await page.fill('#name', user.name);
      await page.fill('#email', user.email);
      await page.fill('#password', user.password);
      await Promise.all([page.waitForURL(/\/tasks/), page.click('#sign-up-submit')]);
      await Promise.all([page.waitForURL(/\/settings/), page.click('#settings-link')]);
      assert.equal(await page.inputValue('#settings-time-zone'), zone);
      assert.equal((await page.textContent('#settings-email')).trim(), user.email);
      await Promise.all([page.waitForURL(/\/tasks/), page.click('#settings-back')]);
    });

    await step('the form: a day alone is all day, a day and a time is local', async () => {
      const add = async (title, due, time = '') => {
        await page.fill('#new-title', title);
        await page.fill('#new-due', due);
        await page.fill('#new-due-time', time);
        await page.click('#add-task-submit');
        await row(page, title).waitFor();
      };
      await add('Form yesterday', iso(yesterday));
      await add('Form today', iso(today));
      await add('Form tomorrow', iso(tomorrow));
      await add('Form friday 5pm', iso(friday), '17:00');
      assert.equal(await badge(page, 'Form yesterday'), `Overdue · ${badgeDay(yesterday, today)}`);
      assert.deepEqual(await markers(page, 'Form yesterday'), { today: false, overdue: true });
      assert.equal(await badge(page, 'Form today'), `Due today · ${badgeDay(today, today)}`);
      assert.deepEqual(await markers(page, 'Form today'), { today: true, overdue: false });
      assert.equal(await badge(page, 'Form tomorrow'), `Due ${badgeDay(tomorrow, today)}`);
      assert.deepEqual(await markers(page, 'Form tomorrow'), { today: false, overdue: false });
      assert.equal(await badge(page, 'Form friday 5pm'), `Due ${badgeDay(friday, today)}, 17:00`);
      assert.equal(await row(page, 'Form today').locator('.badge.due time').getAttribute('datetime'), iso(today));
    });

    await step('the assistant: today, tomorrow, friday 5pm', async () => {
      const todayWords = `today (${replyDay(today)})`;
      await ask(page, 'add a task to pay rent today', `due ${todayWords}`);
      await ask(page, 'add a task to call mom tomorrow', `due tomorrow (${replyDay(tomorrow)})`);
      const fridayWords = iso(friday) === iso(tomorrow) ? `tomorrow (${replyDay(friday)})` : replyDay(friday);
      await ask(page, 'add a task to submit the report friday 5pm', `due ${fridayWords} at 17:00`);
      await page.reload();
      assert.equal(await badge(page, 'Pay rent'), `Due today · ${badgeDay(today, today)}`);
      assert.deepEqual(await markers(page, 'Pay rent'), { today: true, overdue: false });
      assert.equal(await badge(page, 'Call mom'), `Due ${badgeDay(tomorrow, today)}`);
      assert.equal(await badge(page, 'Submit the report'), `Due ${badgeDay(friday, today)}, 17:00`);
      // The friday 5pm of the form and of the assistant are the same instant.
      const at = (title) => row(page, title).locator('.badge.due time').getAttribute('datetime');
      assert.equal(await at('Submit the report'), await at('Form friday 5pm'));
    });

    await step("the assistant's lists agree with the list's markers", async () => {
      const todays = await ask(page, "what's due today?", 'due today');
      assert.ok(todays.includes('Pay rent') && todays.includes('Form today'), todays);
      assert.ok(!todays.includes('Form yesterday') && !todays.includes('Call mom'), todays);
      const overdue = await ask(page, 'show overdue tasks', 'overdue');
      assert.ok(overdue.includes('Form yesterday'), overdue);
      assert.ok(!overdue.includes('Pay rent') && !overdue.includes('Form today'), overdue);
    });

    assert.deepEqual(s.problems(), []);
    await s.context.close();
  });
}
