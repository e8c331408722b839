// The dashboard in a real headless Chromium, used as an operator would: sign in, create a case from the form, follow
// it live to its result (answering its input request on the way), copy its id, cancel another, open cases by deep
// link, filter, search and page the list, check the narrow layout, and sign out. Every view passes axe-core, and
// screenshots land in test/artifacts/dashboard/ for a human to look at.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import {
  CreateCaseDocument,
  GetCaseDetailDocument,
  GetCaseDocument,
  GetCaseStatsDocument,
  GetCaseWebhookDeliveriesDocument,
} from '../../schema/generated/graphql';
import { WebhookReceiver } from '../fakes/webhook-receiver';
import { caseInput, startTestApp, type TestApp } from '../helpers/offload';
import { pdf, reply } from '../helpers/reply.helper';
import { waitFor } from '../helpers/wait';

// The few browser globals the callbacks below use inside the page (this project compiles without the DOM library).
interface PageNode {
  id: string;
  tagName: string;
  textContent: string | null;
  getAttribute(name: string): string | null;
}
declare const document: {
  documentElement: { scrollWidth: number; clientWidth: number };
  activeElement: PageNode | null;
  querySelector(selector: string): PageNode | null;
  querySelectorAll(selector: string): { length: number };
};
declare const localStorage: { length: number };
declare const navigator: { clipboard: { readText(): Promise<string> } };
declare function getComputedStyle(node: unknown): { fontSize: string };

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = path.resolve(__dirname, '../artifacts/dashboard');
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

let app: TestApp;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let receiver: WebhookReceiver;
const pageErrors: string[] = [];
/** The browsers' graphql-ws sockets as the server sees them, to cut them as a flaky network would. */
const sockets = new Set<Socket>();

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `dashboard test: no Chromium at ${CHROMIUM}. Install Debian's package (apt-get install -y chromium) ` +
        'or point CHROMIUM_PATH at a Chromium binary.',
    );
  mkdirSync(ARTIFACTS, { recursive: true });
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
  context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: app.url });
  page = await context.newPage();
  page.setDefaultTimeout(20_000);
  page.on('pageerror', (error) => pageErrors.push(error.message));
  // The page runs under the dashboard's strict Content-Security-Policy: anything it refuses is an error here.
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) pageErrors.push(message.text());
  });
  app.offload.http!.server.on('upgrade', (_req, socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await app?.stop();
  await receiver?.close();
});
afterEach(() => expect(pageErrors).toEqual([]));

const createViaApi = async (overrides: Record<string, unknown> = {}) =>
  (await app.client.ok(CreateCaseDocument, { input: caseInput(overrides) as never })).createCase.id;

const rowStatus = (id: string, status: string) => `#cases tr[data-case-id="${id}"] .status-${status}`;
const shot = (name: string, target: Page = page) =>
  target.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });

/** Runs axe-core (WCAG 2 A and AA rules) on the page as it is and returns the violations, summarised. */
async function axeViolations(target: Page = page): Promise<string[]> {
  // Evaluated through the DevTools protocol, which the page's CSP (script-src 'self') does not govern.
  if (!(await target.evaluate(() => 'axe' in globalThis))) await target.evaluate(AXE);
  const violations = await target.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run: (ctx: unknown, options: unknown) => Promise<AxeResult> } }).axe;
    type AxeResult = { violations: Array<{ id: string; nodes: Array<{ target: string[] }> }> };
    const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa'] } });
    return result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
  return violations;
}

/** True when nothing sticks out sideways: the narrow layout neither clips nor needs a horizontal scroll. */
const fitsWidth = (target: Page = page) =>
  target.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth);

describe('signing in', () => {
  it('asks for a key, then shows the account signed in, live, with the form gone', async () => {
    // The Content-Security-Policy must not block anything the page does on the way.
    const violations: string[] = [];
    const onConsole = (message: { text(): string }) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
    };
    page.on('console', onConsole);
    await page.goto(`${app.url}/`);
    expect(await page.isVisible('#signin')).toBe(true);
    expect(await page.isVisible('#account')).toBe(false);
    expect(await axeViolations()).toEqual([]);
    await shot('signed-out');
    await page.fill('#api-key', app.apiKey);
    await page.click('#key-form button[type=submit]');
    await page.waitForSelector('#live-status.live');
    // The key form is gone and the header says who is signed in (the `hidden` attribute beats every display rule).
    expect(await page.isVisible('#key-form')).toBe(false);
    await page.waitForFunction(() => document.querySelector('#account-label')?.textContent?.includes('plan'));
    expect(await page.textContent('#account-label')).toBe(`Signed in · BASE_PRO plan · key …${app.apiKey.slice(-4)}`);
    expect(await page.isVisible('#sign-out')).toBe(true);
    await page.waitForSelector('#empty-hint:not([hidden])');
    expect(await page.textContent('#empty-hint')).not.toContain('npm run demo');
    await page.waitForSelector('#usage [data-usage="0/500"]');
    expect(await axeViolations()).toEqual([]);
    page.off('console', onConsole);
    expect(violations).toEqual([]);
  });

  it('serves the page with a strict Content-Security-Policy', async () => {
    const res = await fetch(`${app.url}/case/00000000-0000-4000-8000-000000000000`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(res.headers.get('content-security-policy')).toContain("style-src 'self'");
  });

  it('serves a favicon', async () => {
    const res = await fetch(`${app.url}/favicon.ico`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('image/svg+xml');
    expect(await res.text()).toContain('<svg');
  });
});

describe('one case from the form to its result', () => {
  let id = '';

  it('creates a case from the form (with a resultSchema) and opens it at its own URL', async () => {
    await page.click('#new-case-link');
    await page.waitForURL(`${app.url}/new`);
    expect(await axeViolations()).toEqual([]);
    await page.fill('#f-objective', 'Collect a signed W-9 from the vendor');
    await page.fill('#f-cp-address', 'vendor@example.com');
    await page.fill('#f-cp-name', 'Vera Vendor');
    await page.fill('#f-sp-name', 'Sam Sender');
    await page.fill('#f-sp-company', 'Acme');
    await page.fill('#f-ref', 'PO-7781');
    await page.fill('#f-webhook', receiver.url());
    // A typo in a JSON field is caught before anything is sent, naming the field.
    await page.fill('#f-result-schema', '{"type": "object",');
    await page.click('#create-form button[type=submit]');
    await page.waitForSelector('#create-errors li[data-path="resultSchema"]');
    expect(page.url()).toBe(`${app.url}/new`);
    await page.fill(
      '#f-result-schema',
      JSON.stringify({ type: 'object', properties: { received: { type: 'boolean' } }, required: ['received'] }),
    );
    await shot('new-case-form');
    await page.click('#create-form button[type=submit]');
    await page.waitForURL(/\/case\/[0-9a-f-]{36}$/);
    id = new URL(page.url()).pathname.split('/').at(-1)!;
    await page.waitForSelector('#detail-title .status-RUNNING');
    await page.waitForSelector('#thread li.message.outbound');
    expect(await page.textContent('[data-field="Reference"]')).toBe('PO-7781');
    expect(await page.textContent('#next-action')).toMatch(/Next: Follow-up at .* if no reply comes/);
  });

  it('copies the case id', async () => {
    await page.click('#copy-id');
    await page.waitForSelector('#notice:not([hidden])');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(id);
  });

  it('survives a reload at the case URL', async () => {
    await page.reload();
    await page.waitForSelector('#detail-title .status-RUNNING');
    expect(await page.textContent('#detail-title')).toContain('Collect a signed W-9');
    await page.waitForSelector('#live-status.live');
  });

  it('follows the case live: a reply with an attachment and a question, the answer from the form, the result', async () => {
    await page.evaluate(() => Object.assign(globalThis, { stayedOnPage: true }));
    const text = 'Which tax year do you need? <img src=x onerror="window.pwned=1">';
    await reply(app, id, text, { attachments: [pdf('%PDF-1.4 W9')] });
    await page.waitForSelector('#detail-title .status-INPUT_NEEDED');
    await page.waitForSelector('#input-form:not([hidden])');
    expect(await page.textContent('#input-question')).toContain('Which tax year do you need?');
    // Counterparty text is untrusted: it shows as text and never runs.
    expect(await page.textContent('#thread li.message.inbound .body')).toBe(text);
    expect(await page.evaluate(() => (globalThis as { pwned?: number }).pwned)).toBeUndefined();
    // The attachment is a working download link.
    const href = await page.getAttribute('#thread li.message.inbound .attachments a', 'href');
    const download = await fetch(href!);
    expect(download.status).toBe(200);
    expect(await download.text()).toBe('%PDF-1.4 W9');
    expect(await axeViolations()).toEqual([]);
    await shot('case-input-needed');

    await page.fill('#input-answer', 'received: yes');
    await page.click('#input-form button[type=submit]');
    await page.waitForSelector('#detail-title .status-COMPLETED');
    await page.waitForSelector('#result [data-property="received"][data-verdict="ok"]');
    expect(await page.textContent('#result pre')).toBe('{"received":true}');
    expect(await page.textContent('[data-field="Result status"]')).toBe('goal_achieved');
    expect(await page.textContent('#next-action')).toContain('goal was achieved');
    expect(await page.isVisible('#cancel-open')).toBe(false);
    await page.waitForSelector('#deliveries li[data-event-type="case.completed"][data-status="DELIVERED"]');
    expect(await page.locator('#deliveries li[data-event-type="case.input_needed"] .attempts li').count()).toBe(1);
    expect(await page.evaluate(() => (globalThis as { stayedOnPage?: boolean }).stayedOnPage)).toBe(true);
    await shot('case-completed');
  });

  it('offers redelivery of a webhook and says so when this server cannot do it yet', async () => {
    const button = '#deliveries li[data-event-type="case.completed"] button.redeliver';
    await page.click(button);
    await page.waitForSelector('#notice:not([hidden])');
    // This server has no redeliverWebhook (another change adds it): the dashboard says so and drops the buttons;
    // on a server that has it, the same click queues one new attempt and says that instead.
    expect(await page.textContent('#notice')).toMatch(/cannot redeliver webhooks yet|queued for redelivery/);
    if ((await page.textContent('#notice'))!.includes('cannot'))
      await page.waitForSelector(button, { state: 'detached' });
  });
});

describe('cancelling', () => {
  it('cancels a case opened by deep link, with a reason', async () => {
    const id = await createViaApi({ followUpDelayHours: 8760 });
    await page.goto(`${app.url}/case/${id}`);
    await page.waitForSelector('#detail-title .status-RUNNING');
    await page.click('#cancel-open');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('cancel-reason');
    await page.fill('#cancel-reason', 'Vendor already sent it by post');
    await page.click('#cancel-form button[type=submit]');
    await page.waitForSelector('#detail-title .status-FAILED');
    expect(await page.textContent('[data-field="Result status"]')).toBe('cancelled');
    expect(await page.isVisible('#cancel-open')).toBe(false);
  });

  it('answers a deep link to a case of no one with "No such case"', async () => {
    await page.goto(`${app.url}/case/00000000-0000-4000-8000-000000000000`);
    await page.waitForFunction(() => document.querySelector('#detail-title')?.textContent === 'No such case');
  });
});

describe('the list', () => {
  const refs: string[] = [];

  beforeAll(async () => {
    // 25 more cases: with the two above, more than one page of 20.
    for (let i = 0; i < 25; i++) {
      refs.push(`batch-${String(i).padStart(2, '0')}`);
      await createViaApi({ clientReferenceId: refs[i], followUpDelayHours: 8760 });
    }
  }, 60_000);

  const ids = () => page.$$eval('#cases tbody tr', (rows) => rows.map((r) => r.getAttribute('data-case-id')));

  it('pages with cursors, and a page URL survives a reload', async () => {
    await page.goto(`${app.url}/`);
    await page.waitForSelector('#cases tbody tr');
    const first = await ids();
    expect(first).toHaveLength(20);
    await page.click('#next-page');
    await page.waitForURL(/\?after=/);
    await page.waitForFunction(
      (before) => document.querySelector('#cases tbody tr')?.getAttribute('data-case-id') !== before,
      first[0],
    );
    const second = await ids();
    expect(second).toHaveLength(7);
    expect(second.filter((id) => first.includes(id))).toEqual([]);
    expect(await page.isVisible('#next-page')).toBe(false);
    await page.reload();
    await page.waitForSelector('#cases tbody tr');
    expect(await ids()).toEqual(second);
    await page.click('#prev-page');
    await page.waitForURL(`${app.url}/`);
    await page.waitForFunction(
      (id) => document.querySelector('#cases tbody tr')?.getAttribute('data-case-id') === id,
      first[0],
    );
    expect(await ids()).toEqual(first);
  });

  it('shows counts per status that match caseStats, and filters by status from them', async () => {
    const { caseStats } = await app.client.ok(GetCaseStatsDocument, {});
    const failed = caseStats.byStatus.find((s) => s.status === 'FAILED')!.count;
    await page.waitForSelector(`[data-status-filter="ALL"] .count >> text="${caseStats.total}"`);
    expect(await page.textContent('[data-status-filter="FAILED"] .count')).toBe(String(failed));
    await page.click('[data-status-filter="FAILED"]');
    await page.waitForURL(`${app.url}/?status=FAILED`);
    await page.waitForFunction((n) => document.querySelectorAll('#cases tbody tr').length === n, failed);
    expect(await page.locator('#cases tbody .status-FAILED').count()).toBe(failed);
    expect(await page.getAttribute('[data-status-filter="FAILED"]', 'aria-current')).toBe('page');
  });

  it('searches by clientReferenceId, and the search URL survives a reload', async () => {
    await page.goto(`${app.url}/`);
    await page.fill('#search', 'BATCH-07');
    await page.press('#search', 'Enter');
    await page.waitForURL(`${app.url}/?q=BATCH-07`);
    await page.waitForFunction(() => document.querySelectorAll('#cases tbody tr').length === 1);
    await page.reload();
    await page.waitForFunction(() => document.querySelectorAll('#cases tbody tr').length === 1);
    expect(await page.inputValue('#search')).toBe('BATCH-07');
    await page.fill('#search', 'nothing matches this');
    await page.press('#search', 'Enter');
    await page.waitForSelector('#empty-hint:not([hidden])');
    expect(await page.textContent('#empty-hint')).toContain('No case matches');
  });

  it('updates the list, the counts and the chart live when a case is created elsewhere', async () => {
    await page.goto(`${app.url}/`);
    await page.waitForSelector('#live-status.live');
    await page.waitForSelector('#cases tbody tr');
    const total = Number(await page.textContent('[data-status-filter="ALL"] .count'));
    const id = await createViaApi({ clientReferenceId: 'live-one', followUpDelayHours: 8760 });
    await page.waitForSelector(`#cases tr[data-case-id="${id}"]`);
    await page.waitForSelector(`[data-status-filter="ALL"] .count >> text="${total + 1}"`);
    await page.waitForSelector(rowStatus(id, 'RUNNING'));
    const today = new Date().toISOString().slice(0, 10);
    expect(await page.textContent(`#chart g[data-day="${today}"] title`)).toMatch(/open/);
    expect(await axeViolations()).toEqual([]);
    await shot('list-1400');
  });
});

describe('after a lost connection', () => {
  it('reconnects and shows what changed while it was offline', async () => {
    await page.goto(`${app.url}/`);
    await page.waitForSelector('#live-status.live');
    await page.waitForSelector('#cases tbody tr');
    const total = Number(await page.textContent('[data-status-filter="ALL"] .count'));
    expect(sockets.size).toBeGreaterThan(0);
    // Offline first, so the page cannot reconnect before everything below has happened.
    await context.setOffline(true);
    for (const socket of sockets) socket.destroy();
    await page.waitForSelector('#live-status.offline');
    // Made and run to RUNNING while the page has no subscription: only the reload after reconnecting can show it.
    const id = await createViaApi({ clientReferenceId: 'while-offline', followUpDelayHours: 8760 });
    await waitFor('RUNNING', async () => (await app.client.ok(GetCaseDocument, { id })).case?.status === 'RUNNING');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await page.$(`#cases tr[data-case-id="${id}"]`)).toBeNull();
    await context.setOffline(false);
    await page.waitForSelector('#live-status.live', { timeout: 30_000 });
    await page.waitForSelector(rowStatus(id, 'RUNNING'));
    await page.waitForSelector(`[data-status-filter="ALL"] .count >> text="${total + 1}"`);
  });
});

describe('resuming the live feed', () => {
  it('subscribes again with the last cursor and gets the missed updates replayed over the socket, in order', async () => {
    const received: string[] = [];
    const sent: string[] = [];
    const watch = (ws: import('playwright-core').WebSocket) => {
      ws.on('framereceived', (frame) => received.push(String(frame.payload)));
      ws.on('framesent', (frame) => sent.push(String(frame.payload)));
    };
    page.on('websocket', watch);
    const id = await createViaApi({ followUpDelayHours: 8760 });
    await page.goto(`${app.url}/case/${id}`);
    await page.waitForSelector('#detail-title .status-RUNNING');
    await page.waitForSelector('#live-status.live');
    try {
      // The page learns a cursor from the first update it receives; on a slow run the case may have reached RUNNING
      // before the page subscribed, so give it one more update of the account to hold before the connection drops.
      await createViaApi();
      await waitFor('an update with a cursor', () => received.some((frame) => frame.includes('"cursor"')));
      sent.length = 0;
      received.length = 0;
      await context.setOffline(true);
      for (const socket of sockets) socket.destroy();
      await page.waitForSelector('#live-status.offline');
      // The case moves on while the page has no subscription.
      await reply(app, id, 'Here is the document you asked for.');
      await waitFor(
        'COMPLETED',
        async () => (await app.client.ok(GetCaseDocument, { id })).case?.status === 'COMPLETED',
      );
      const { case: done } = await app.client.ok(GetCaseDetailDocument, { id });
      const missed = done!.timeline
        .map((e) => e.type)
        .slice(done!.timeline.findIndex((e) => e.type === 'outreach.sent') + 1);
      await context.setOffline(false);
      await page.waitForSelector('#live-status.live', { timeout: 30_000 });
      await page.waitForSelector('#detail-title .status-COMPLETED');
      expect(sent.find((frame) => frame.includes('"type":"subscribe"'))).toMatch(/"after":"[^"]+"/);
      await waitFor('the replay', () => replayedTypes(received, id).length >= missed.length);
      expect(replayedTypes(received, id)).toEqual(missed);
    } finally {
      page.off('websocket', watch);
    }
  });

  it("shows the case's send window with its next opening, and its follow-up budget", async () => {
    const id = await createViaApi({
      counterparty: { address: 'vendor@example.com', name: 'Vera Vendor', timezone: 'Europe/Paris' },
      sendWindow: { days: ['MON', 'TUE', 'WED', 'THU', 'FRI'], start: '09:00', end: '17:00' },
      followUpDelayHours: 8760,
    });
    await page.goto(`${app.url}/case/${id}`);
    await page.waitForSelector('[data-field="Send window"]');
    expect(await page.textContent('[data-field="Send window"]')).toMatch(
      /^MON TUE WED THU FRI 09:00–17:00 Europe\/Paris, next open /,
    );
    expect(await page.textContent('[data-field="Follow-ups"]')).toMatch(/^0 of 3 since their last message$/);
  });
});

/** The update types of one case in the graphql-ws `next` frames a page received. */
function replayedTypes(frames: string[], caseId: string): string[] {
  return frames
    .map(
      (frame) =>
        JSON.parse(frame) as {
          type: string;
          payload?: { data?: { caseUpdates?: { type: string; case: { id: string } } } };
        },
    )
    .filter((m) => m.type === 'next' && m.payload?.data?.caseUpdates?.case.id === caseId)
    .map((m) => m.payload!.data!.caseUpdates!.type);
}

describe('fields other changes are adding, shown when the server has them', () => {
  let other: Page;
  beforeEach(async () => {
    other = await context.newPage();
    other.setDefaultTimeout(20_000);
  });
  afterEach(async () => other.close());

  /** Answers the named dashboard operation with `data` instead of the server; everything else goes through. */
  const answer = async (target: Page, operations: Record<string, (variables: Record<string, unknown>) => unknown>) =>
    target.route('**/graphql', async (route) => {
      const body = route.request().postDataJSON() as { query: string; variables: Record<string, unknown> };
      const name = Object.keys(operations).find((op) => body.query.includes(op));
      if (!name) return route.continue();
      await route.fulfill({
        contentType: 'application/json',
        body: JSON.stringify({ data: operations[name]!(body.variables) }),
      });
    });

  it('marks unverified mail and shows the schedule of a case', async () => {
    const id = await createViaApi({ followUpDelayHours: 8760 });
    await reply(app, id, 'Sure, next week.');
    const { case: found } = await app.client.ok(GetCaseDetailDocument, { id });
    const inbound = found!.messages.find((m) => m.direction === 'inbound')!;
    await answer(other, {
      DashboardCaseExtras: () => ({
        case: {
          startAt: '2030-01-01T09:00:00.000Z',
          sendWindow: { days: ['MON', 'TUE'], start: '09:00', end: '17:00', timezone: 'Europe/Berlin' },
          messages: found!.messages.map((m) => ({ id: m.id, verified: m.id !== inbound.id })),
        },
      }),
    });
    await other.goto(`${app.url}/case/${id}`);
    await other.waitForSelector(`#thread li[data-message-id="${inbound.id}"] .unverified`);
    expect(await other.locator('#thread .unverified').count()).toBe(1);
    expect(await other.textContent('[data-field="Send window"]')).toBe('MON TUE 09:00–17:00 Europe/Berlin');
  });

  it('offers the scheduling fields on the form and sends them as startAt and sendWindow', async () => {
    const existing = await createViaApi({ followUpDelayHours: 8760 });
    let sent: Record<string, unknown> | null = null;
    await answer(other, {
      DashboardSchedulingProbe: () => ({ cases: { edges: [] } }),
      DashboardCreateCase: (variables) => {
        sent = variables.input as Record<string, unknown>;
        return { createCase: { id: existing, status: 'CREATED' } };
      },
    });
    await other.goto(`${app.url}/new`);
    await other.waitForSelector('#scheduling:not([hidden])');
    expect(await axeViolations(other)).toEqual([]);
    await other.fill('#f-objective', 'Book the venue');
    await other.fill('#f-cp-address', 'venue@example.com');
    await other.fill('#f-cp-name', 'Vic');
    await other.fill('#f-sp-name', 'Sam');
    await other.fill('#f-start-at', '2030-01-01T09:00');
    await other.fill('#f-window-start', '09:00');
    await other.fill('#f-window-end', '17:00');
    await other.click('#create-form button[type=submit]');
    await other.waitForURL(`${app.url}/case/${existing}`);
    expect(sent).toMatchObject({
      goal: { objective: 'Book the venue' },
      startAt: new Date(2030, 0, 1, 9, 0).toISOString(),
      sendWindow: { days: ['MON', 'TUE', 'WED', 'THU', 'FRI'], start: '09:00', end: '17:00' },
    });
  });

  it('redelivers a webhook when the server has redeliverWebhook', async () => {
    const id = await createViaApi({ clientWebhookUrl: receiver.url(), followUpDelayHours: 8760 });
    // The reply answers the outreach: wait until it has gone.
    await waitFor('RUNNING', async () => (await app.client.ok(GetCaseDocument, { id })).case?.status === 'RUNNING');
    await reply(app, id, 'Which tax year?');
    let seen: unknown = null;
    await waitFor('the case.input_needed webhook delivered', async () => {
      const { case: found } = await app.client.ok(GetCaseWebhookDeliveriesDocument, { id });
      seen = found;
      return found?.webhookDeliveries.some((d) => d.eventType === 'case.input_needed' && d.status === 'DELIVERED');
    }).catch((error: Error) => {
      throw new Error(`${error.message}; last seen ${JSON.stringify(seen)}`);
    });
    const redelivered: unknown[] = [];
    await answer(other, {
      DashboardRedeliver: (variables) => {
        redelivered.push(variables.id);
        return { redeliverWebhook: { id: variables.id, status: 'PENDING' } };
      },
    });
    await other.goto(`${app.url}/case/${id}`);
    const button = '#deliveries li[data-event-type="case.input_needed"][data-status="DELIVERED"] button.redeliver';
    await other.click(button);
    await other.waitForSelector('#notice:not([hidden])');
    expect(await other.textContent('#notice')).toContain('queued for redelivery');
    const deliveryId = await other.getAttribute(
      '#deliveries li[data-event-type="case.input_needed"]',
      'data-delivery-id',
    );
    expect(redelivered).toEqual([deliveryId]);
  });
});

describe('layouts', () => {
  for (const width of [360, 800, 1400])
    it(`fits ${width} px without sideways scrolling, list and case view`, async () => {
      await page.setViewportSize({ width, height: 900 });
      await page.goto(`${app.url}/`);
      await page.waitForSelector('#cases tbody tr');
      await page.waitForSelector('#chart svg');
      expect(await fitsWidth()).toBe(true);
      // The objective is one line (cut with an ellipsis), not four.
      const lineHeight = await page.$eval(
        '#cases td.objective a',
        (a) => 1.4 * parseFloat(getComputedStyle(a).fontSize),
      );
      const height = await page.$eval('#cases td.objective a', (a) => a.getBoundingClientRect().height);
      expect(height).toBeLessThan(lineHeight * 1.5);
      await shot(`list-${width}`);
      const firstCase = await page.getAttribute('#cases tbody tr', 'data-case-id');
      await page.click(`#cases tr[data-case-id="${firstCase}"] td.objective a`);
      await page.waitForSelector('#summary dd');
      expect(await fitsWidth()).toBe(true);
      if (width === 360) expect(await axeViolations()).toEqual([]);
      await shot(`case-${width}`);
    });

  it('reaches every control of the list by keyboard, in order', async () => {
    await page.setViewportSize({ width: 1400, height: 900 });
    await page.goto(`${app.url}/`);
    await page.waitForSelector('#cases tbody tr');
    const reached = new Set<string>();
    for (let i = 0; i < 40; i++) {
      await page.keyboard.press('Tab');
      reached.add(await page.evaluate(() => document.activeElement?.id || document.activeElement?.tagName || ''));
    }
    for (const id of ['sign-out', 'new-case-link', 'search', 'A']) expect(reached).toContain(id);
    // Enter on a focused case link opens the case.
    await page.focus('#cases tbody tr td.objective a');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/case\//);
  });
});

describe('an SMS case', () => {
  it('shows a text thread: the channel, phone numbers and no subjects; the form asks for a number', async () => {
    const number = '+14155550142';
    const id = await createViaApi({
      channel: 'SMS',
      counterparty: { address: number, name: 'Dana Driver' },
      followUpDelayHours: 8760,
    });
    await waitFor(
      'the outreach text',
      async () => (await app.client.ok(GetCaseDocument, { id })).case?.status === 'RUNNING',
    );
    const answer = await fetch(`${app.url}/webhooks/local`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': app.apiKey },
      body: JSON.stringify({ caseId: id, from: number, text: 'Which invoice?' }),
    });
    expect(answer.status).toBe(202);
    await page.goto(`${app.url}/case/${id}`);
    await page.waitForSelector('#thread li.message.inbound');
    expect(await page.textContent('[data-field="Channel"]')).toBe('SMS (text messages)');
    expect(await page.textContent('[data-field="Counterparty"]')).toContain(number);
    expect(await page.locator('#thread .subject').count()).toBe(0);
    expect(await page.textContent('#thread li.message.outbound .direction')).toBe('Sent text');
    expect(await page.textContent('#thread li.message.inbound .meta')).toContain(`Received text ${number}`);
    expect(await axeViolations()).toEqual([]);
    await shot('sms-case');

    await page.goto(`${app.url}/new`);
    await page.waitForSelector('#f-channel', { state: 'visible' });
    await page.selectOption('#f-channel', 'SMS');
    expect(await page.getAttribute('#f-cp-address', 'type')).toBe('tel');
    expect(await page.textContent('label[for="f-cp-address"]')).toContain('Phone number');
    await page.selectOption('#f-channel', 'EMAIL');
    expect(await page.getAttribute('#f-cp-address', 'type')).toBe('email');
  });
});

describe('signing out', () => {
  it('forgets the key and shows the sign-in form', async () => {
    await page.goto(`${app.url}/`);
    await page.waitForSelector('#live-status.live');
    await page.click('#sign-out');
    await page.waitForSelector('#signin:not([hidden])');
    expect(await page.isVisible('#account')).toBe(false);
    expect(await page.isVisible('#list-view')).toBe(false);
    expect(await page.textContent('#live-status')).toBe('offline');
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
    await page.reload();
    expect(await page.isVisible('#signin')).toBe(true);
  });

  it('reports a refused key instead of showing an empty account', async () => {
    const other = await context.newPage();
    try {
      await other.goto(`${app.url}/#key=ofk_not_a_real_key`);
      await other.waitForSelector('#error:not([hidden])');
      expect(await other.textContent('#error')).toMatch(/UNAUTHENTICATED|FORBIDDEN/);
      await other.waitForSelector('#key-form:not([hidden])');
      expect(await other.evaluate(() => localStorage.length)).toBe(0);
      // The key in the fragment is taken out of the address bar.
      expect(new URL(other.url()).hash).toBe('');
    } finally {
      await other.close();
    }
  });
});
