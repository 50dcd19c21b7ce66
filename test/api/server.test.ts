// Behaviour of the HTTP layer itself: CF envelopes for everything that is not a happy path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cfError, describeEachStore } from '../support/harness.js';

describeEachStore('http layer', (h) => {
  test('unknown routes answer CF-NotFound, with or without a token', async () => {
    cfError(await h.request('GET', '/v3/nope'), 404, 'CF-NotFound', 10000, 'Unknown request');
    cfError(await h.get('/v3/nope/deeper?x=1'), 404, 'CF-NotFound', 10000, 'Unknown request');
    cfError(await h.request('DELETE', '/v3'), 404, 'CF-NotFound', 10000, 'Unknown request');
  });

  test('malformed JSON is a 400 CF-MessageParseError', async () => {
    const res = await h.request('POST', '/v3/organizations', {
      token: h.admin.token,
      payload: '{"name": ',
      headers: { 'content-type': 'application/json' },
    });
    cfError(res, 400, 'CF-MessageParseError', 1001, 'Request invalid due to parse error: invalid request body');
  });

  test('a JSON body that is not an object is a 400 CF-MessageParseError', async () => {
    const res = await h.request('POST', '/v3/organizations', {
      token: h.admin.token,
      payload: '["a"]',
      headers: { 'content-type': 'application/json' },
    });
    cfError(res, 400, 'CF-MessageParseError', 1001);
  });

  test('an oversized body is a 413 in the CF envelope and writes nothing', async () => {
    const name = 'x'.repeat(h.config.maxBodyBytes + 10);
    const res = await h.post('/v3/organizations', { name });
    cfError(res, 413, 'CF-RequestEntityTooLarge', 10014);
    const orgs = await h.get('/v3/organizations?per_page=5000');
    assert.ok(!orgs.body.resources.some((o: any) => o.name === name));
  });

  test('a wrong content type is a 415 in the CF envelope', async () => {
    const res = await h.request('POST', '/v3/organizations', {
      token: h.admin.token,
      payload: 'name=x',
      headers: { 'content-type': 'text/plain' },
    });
    cfError(res, 415, 'CF-UnsupportedMediaType', 10013);
  });

  test('__proto__ keys in a body are ordinary unknown fields', async () => {
    const res = await h.request('POST', '/v3/organizations', {
      token: h.admin.token,
      payload: '{"name":"proto-test","__proto__":{"admin":true}}',
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(res.status, 400);
    assert.equal(res.body.errors[0].title, 'CF-MessageParseError');
  });

  test('errors never carry a stack trace', async () => {
    const res = await h.request('POST', '/v3/organizations', {
      token: h.admin.token,
      payload: '{',
      headers: { 'content-type': 'application/json' },
    });
    assert.doesNotMatch(res.text, /at .*\.(ts|js):\d+/);
  });

  test('a hostile Host header does not reach links', async () => {
    // externalUrl is set in the harness; this checks the fallback used when it is not.
    const { baseUrl } = await import('../../src/api/cf/request.js');
    const ctx = { ...h.taskd.ctx, config: { ...h.config, externalUrl: undefined } };
    assert.equal(baseUrl(ctx, { host: 'evil.example"><script>', protocol: 'http' } as any), `http://${h.config.host}:${h.config.port}`);
    assert.equal(baseUrl(ctx, { host: 'api.local:8080', protocol: 'http' } as any), 'http://api.local:8080');
  });

  test('server timeouts are set so stalled clients cannot pin connections', async () => {
    const server = h.taskd.app.server;
    assert.ok(server.headersTimeout > 0 && server.headersTimeout <= 60_000);
    assert.ok(server.requestTimeout > 0);
    assert.ok(server.keepAliveTimeout > 0 && server.keepAliveTimeout <= 65_000);
  });
});
