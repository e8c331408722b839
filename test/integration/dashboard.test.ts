// The dashboard in a real headless Chromium: sign in with a key, watch a case change live over graphql-ws (no
// reload), read its thread, timeline and webhook deliveries, and answer its input request from the form.
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CreateCaseDocument } from '../../schema/generated/graphql';
import { WebhookReceiver } from '../fakes/webhook-receiver';
import { caseInput, startTestApp, type TestApp } from '../helpers/offload';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

let app: TestApp;
let browser: Browser;
let page: Page;
let receiver: WebhookReceiver;

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `dashboard test: no Chromium at ${CHROMIUM}. Install Debian's package (apt-get install -y chromium) ` +
        'or point CHROMIUM_PATH at a Chromium binary.',
    );
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  receiver = await WebhookReceiver.start();
  app = await startTestApp('dashboard', { env: { OFFLOAD_TIME_SCALE: '1' } });
  page = await browser.newPage();
  page.setDefaultTimeout(20_000);
});
afterAll(async () => {
  await browser?.close();
  await app?.stop();
  await receiver?.close();
});

const reply = (caseId: string, text: string) =>
  fetch(`${app.url}/webhooks/local`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': app.apiKey },
    body: JSON.stringify({ caseId, from: 'vendor@example.com', text }),
  });

const rowStatus = (id: string, status: string) => `#cases tr[data-case-id="${id}"] .status-${status}`;

it('signs in with an API key and goes live over graphql-ws', async () => {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  // The Content-Security-Policy every response carries must not block anything the dashboard does.
  const violations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
  });
  const response = await page.goto(`${app.url}/`);
  expect(response?.headers()['content-security-policy']).toMatch(/default-src 'none'/);
  await page.fill('#api-key', app.apiKey);
  await page.click('#key-form button[type=submit]');
  await page.waitForSelector('#live-status.live');
  expect(await page.isVisible('#empty-hint')).toBe(true);
  expect(errors).toEqual([]);
  expect(violations).toEqual([]);
});

it('shows a new case and its status changes live, then its thread, timeline, input form and deliveries', async () => {
  // A page reload would drop this marker: every change below must arrive over the subscription.
  await page.evaluate(() => Object.assign(globalThis, { stayedOnPage: true }));
  const { createCase } = await app.client.ok(CreateCaseDocument, {
    input: caseInput({
      clientWebhookUrl: receiver.url(),
      resultSchema: { type: 'object', properties: { received: { type: 'boolean' } }, required: ['received'] },
    }),
  });
  const id = createCase.id;
  await page.waitForSelector(rowStatus(id, 'RUNNING'));
  await page.click(`#cases tr[data-case-id="${id}"]`);
  await page.waitForSelector('#thread li.message.outbound');
  expect(await page.textContent('#thread')).toContain('W-9');
  expect(await page.locator('#timeline li').count()).toBeGreaterThan(0);

  // Counterparty text is untrusted: it must show as text, never run as HTML.
  expect((await reply(id, 'Which tax year do you need? <img src=x onerror="window.pwned=1">')).status).toBe(202);
  await page.waitForSelector(rowStatus(id, 'INPUT_NEEDED'));
  await page.waitForSelector('#input-form:not([hidden])');
  expect(await page.textContent('#input-question')).toContain('Which tax year do you need?');
  expect(await page.textContent('#thread')).toContain('<img src=x onerror="window.pwned=1">');
  expect(await page.evaluate(() => (globalThis as { pwned?: number }).pwned)).toBeUndefined();

  await page.fill('#input-answer', 'received: yes');
  await page.click('#input-form button[type=submit]');
  await page.waitForSelector(rowStatus(id, 'COMPLETED'));
  await page.waitForFunction(`document.querySelector('[data-field="Result"]')?.textContent.includes('true')`);
  expect(await page.textContent('[data-field="Result"]')).toBe('{"received":true}');
  expect(await page.textContent('[data-field="Result status"]')).toBe('goal_achieved');
  await page.waitForSelector('#deliveries li[data-event-type="case.completed"][data-status="DELIVERED"]');
  expect(await page.locator('#deliveries li[data-event-type="case.input_needed"]').count()).toBe(1);
  expect(await page.evaluate(() => (globalThis as { stayedOnPage?: boolean }).stayedOnPage)).toBe(true);
});

it('reports a refused key instead of showing an empty account', async () => {
  const other = await browser.newPage();
  try {
    await other.goto(`${app.url}/#key=ofk_not_a_real_key`);
    await other.waitForSelector('#error:not([hidden])');
    expect(await other.textContent('#error')).toMatch(/UNAUTHENTICATED|FORBIDDEN/);
    // Signed out again: the key form is back for another key.
    await other.waitForSelector('#key-form:not([hidden])');
    expect(await other.evaluate(() => (globalThis as { localStorage: Storage }).localStorage.length)).toBe(0);
    // The key in the fragment is taken out of the address bar.
    expect(new URL(other.url()).hash).toBe('');
  } finally {
    await other.close();
  }
});
