// The dashboard in a real headless Chromium: sign in with a key, watch a case change live over graphql-ws (no
// reload), read its thread, timeline and webhook deliveries, and answer its input request from the form.
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CreateCaseDocument } from '../../schema/generated/graphql';
import { WebhookReceiver } from '../fakes/webhook-receiver';
import { caseInput, startTestApp, type TestApp } from '../helpers/offload';
import { reply } from '../helpers/reply.helper';

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

const rowStatus = (id: string, status: string) => `#cases tr[data-case-id="${id}"] .status-${status}`;

it('signs in with an API key and goes live over graphql-ws', async () => {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`${app.url}/`);
  await page.fill('#api-key', app.apiKey);
  await page.click('#key-form button[type=submit]');
  await page.waitForSelector('#live-status.live');
  expect(await page.isVisible('#empty-hint')).toBe(true);
  expect(errors).toEqual([]);
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
  await reply(app, id, 'Which tax year do you need? <img src=x onerror="window.pwned=1">');
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

it('resumes its feed after a reconnect with the last cursor instead of reloading, and shows the send window', async () => {
  const resumed = await browser.newPage();
  try {
    // Keeps the page's sockets reachable, so the test can cut the live connection as a network drop would.
    await resumed.addInitScript(() => {
      const Native = globalThis.WebSocket;
      const sockets: WebSocket[] = [];
      Object.assign(globalThis, { offloadSockets: sockets });
      globalThis.WebSocket = class extends Native {
        constructor(url: string | URL, protocols?: string | string[]) {
          super(url, protocols);
          sockets.push(this);
        }
      } as typeof WebSocket;
    });
    const listLoads: string[] = [];
    const subscribes: string[] = [];
    resumed.on('request', (r) => {
      if (r.postData()?.includes('DashboardCases')) listLoads.push(r.url());
    });
    resumed.on('websocket', (ws) =>
      ws.on('framesent', (frame) => {
        if (String(frame.payload).includes('"type":"subscribe"')) subscribes.push(String(frame.payload));
      }),
    );
    await resumed.goto(`${app.url}/#key=${app.apiKey}`);
    await resumed.waitForSelector('#live-status.live');
    const first = (await app.client.ok(CreateCaseDocument, { input: caseInput() })).createCase;
    await resumed.waitForSelector(rowStatus(first.id, 'RUNNING'));
    const loadsBefore = listLoads.length;

    await resumed.evaluate(() =>
      (globalThis as unknown as { offloadSockets: WebSocket[] }).offloadSockets.forEach((s) => s.close(4000, 'test')),
    );
    await resumed.waitForSelector('#live-status:not(.live)');
    // Created while the dashboard is offline: it can only arrive through the replay.
    const missed = (
      await app.client.ok(CreateCaseDocument, {
        input: caseInput({
          counterparty: { address: 'vendor@example.com', name: 'Vera Vendor', timezone: 'Europe/Paris' },
          sendWindow: { days: ['MON', 'TUE', 'WED', 'THU', 'FRI'], start: '09:00', end: '17:00' },
        }),
      })
    ).createCase;
    await resumed.waitForSelector('#live-status.live', { timeout: 30_000 });
    await resumed.waitForSelector(`#cases tr[data-case-id="${missed.id}"]`);
    expect(subscribes.at(-1)).toMatch(/"after":"[^"]+"/);
    expect(listLoads.length).toBe(loadsBefore);

    await resumed.click(`#cases tr[data-case-id="${missed.id}"]`);
    await resumed.waitForFunction(
      `document.querySelector('[data-field="Send window"]')?.textContent.includes('next open')`,
    );
    expect(await resumed.textContent('[data-field="Send window"]')).toMatch(
      /^MON TUE WED THU FRI 09:00-17:00 Europe\/Paris, next open /,
    );
  } finally {
    await resumed.close();
  }
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
