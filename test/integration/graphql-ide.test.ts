// GET /graphql in a browser opens an IDE that needs no internet: the page and every asset it loads come from this
// server (ruru's bundle in node_modules). Production serves no IDE, as it allows no introspection.
import { startTestApp, type TestApp } from '../helpers/offload';

let dev: TestApp;
let production: TestApp;
beforeAll(async () => {
  dev = await startTestApp('ide');
  production = await startTestApp('ide_prod', { env: { NODE_ENV: 'production' } });
});
afterAll(async () => {
  await dev?.stop();
  await production?.stop();
});

const browser = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };

it('serves an IDE page whose scripts and styles all come from this server', async () => {
  const res = await fetch(`${dev.url}/graphql`, { headers: browser });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/html/);
  const html = await res.text();
  const assets = [...html.matchAll(/(?:src|href)="([^"]+)"|from "([^"]+)"/g)].map((m) => m[1] ?? m[2]!);
  expect(assets).toContain('/vendor/ruru/ruru.js');
  // Nothing from another host: the page must work offline.
  expect(assets.filter((a) => /^(https?:)?\/\//.test(a))).toEqual([]);
  expect(html).not.toMatch(/https?:\/\/(unpkg|cdn|embeddable-sandbox|apollo)/);
  for (const asset of new Set(assets.filter((a) => a.startsWith('/vendor/ruru/')))) {
    const file = await fetch(`${dev.url}${asset}`);
    expect({ asset, status: file.status }).toEqual({ asset, status: 200 });
    expect((await file.arrayBuffer()).byteLength).toBeGreaterThan(100);
  }
});

it('leaves GraphQL GET and POST requests to the API', async () => {
  const get = await fetch(`${dev.url}/graphql?query=${encodeURIComponent('{ __typename }')}`, {
    headers: { 'x-api-key': dev.apiKey, 'apollo-require-preflight': 'true' },
  });
  expect(await get.json()).toEqual({ data: { __typename: 'Query' } });
  const post = await fetch(`${dev.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', 'x-api-key': dev.apiKey },
    body: JSON.stringify({ query: '{ usage { plan } }' }),
  });
  expect(await post.json()).toEqual({ data: { usage: { plan: 'BASE_PRO' } } });
});

it('is off in production', async () => {
  const res = await fetch(`${production.url}/graphql`, { headers: browser });
  expect(res.headers.get('content-type') ?? '').not.toMatch(/^text\/html/);
  expect((await fetch(`${production.url}/vendor/ruru/ruru.js`)).status).toBe(404);
});
