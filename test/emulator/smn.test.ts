/** Local SMN publish: the documented limits and SMN's error codes. */
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { LocalCloud } from '../../lib/emulator/index.js';
import { apigFetch, startCloud } from './helpers.js';

let cloud: LocalCloud;
let topicUrn: string;

beforeEach(async () => {
  cloud = await startCloud();
  topicUrn = cloud.createTopic('vpcep-alerts');
});
afterEach(() => cloud.stop());

function publish(body: unknown, urn = topicUrn, opts: { sentPath?: string; projectId?: string } = {}) {
  return apigFetch(cloud.endpoints.smn, {
    method: 'POST',
    path: `/v2/${opts.projectId ?? cloud.projectId}/notifications/topics/${urn}/publish`,
    body,
    ...(opts.sentPath === undefined ? {} : { sentPath: opts.sentPath }),
  });
}

async function expectRejected(body: unknown, status: number, code: string): Promise<void> {
  const res = await publish(body);
  expect(res.status).toBe(status);
  expect(res.json).toEqual({ request_id: expect.any(String), code, message: expect.any(String) });
  expect(cloud.published).toHaveLength(0);
}

describe('publish', () => {
  test('accepts subject and message, and records them', async () => {
    expect(topicUrn).toBe(`urn:smn:${cloud.region}:${cloud.projectId}:vpcep-alerts`);
    const res = await publish({ subject: 'New connection', message: 'hello', time_to_live: '3600' });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ request_id: expect.any(String), message_id: expect.stringMatching(/^[0-9a-f]{32}$/) });
    expect(cloud.published).toEqual([
      {
        topicUrn,
        subject: 'New connection',
        message: 'hello',
        raw: { subject: 'New connection', message: 'hello', time_to_live: '3600' },
        at: expect.any(Date),
        messageId: res.json.message_id,
      },
    ]);
    expect(cloud.calls.at(-1)).toMatchObject({ service: 'smn', api: 'smn:topic:publish', status: 200 });
  });

  test('accepts the URN with its colons percent-encoded', async () => {
    const sentPath = `/v2/${cloud.projectId}/notifications/topics/${encodeURIComponent(topicUrn)}/publish`;
    expect(sentPath).toContain('%3A');
    const res = await publish({ message: 'hi' }, topicUrn, { sentPath });
    expect(res.status).toBe(200);
  });

  test('rejects a malformed URN with 400 SMN.0005 and an unknown topic with 404 SMN.0006', async () => {
    for (const urn of ['not-a-urn', `urn:smn:eu-west-0:${cloud.projectId}:vpcep-alerts`, `urn:smn:${cloud.region}:${'1'.repeat(32)}:vpcep-alerts`]) {
      const res = await publish({ message: 'x' }, urn);
      expect([res.status, res.json.code, res.json.message]).toEqual([400, 'SMN.0005', 'Invalid topic URN.']);
    }
    const missing = await publish({ message: 'x' }, `urn:smn:${cloud.region}:${cloud.projectId}:nope`);
    expect([missing.status, missing.json.code, missing.json.message]).toEqual([404, 'SMN.0006', 'Topic not found.']);
  });

  test('limits the subject to 512 bytes of UTF-8 (403 SMN.0008, subject invalid)', async () => {
    expect((await publish({ subject: '€'.repeat(170) + 'ab', message: 'x' })).status).toBe(200); // 512 bytes
    cloud.published.length = 0;
    await expectRejected({ subject: '€'.repeat(171), message: 'x' }, 403, 'SMN.0008'); // 513 bytes, 171 chars
  });

  test('limits the whole request body to 256 KiB, counted in bytes as sent (403 SMN.0009, message invalid)', async () => {
    const overhead = JSON.stringify({ message: '' }).length;
    expect((await publish({ message: 'a'.repeat(262_144 - overhead) })).status).toBe(200); // a body of exactly 262,144 bytes
    cloud.published.length = 0;
    await expectRejected({ message: 'a'.repeat(262_144 - overhead - 1) + 'é' }, 403, 'SMN.0009'); // 262,145 bytes
    const res = await publish({ message: 'a'.repeat(262_144) });
    expect(res.json.message).toBe('Parameter: Message is invalid: the request body is 262158 bytes, larger than 256 KB.');
  });

  test('counts a message_structure as sent, escaped inside the body, not as parsed', async () => {
    // About 220 KB of structure; every quote and newline in it is escaped once more in the body (~320 KB).
    const structure = JSON.stringify({ default: 'say "x"\n'.repeat(20_000) });
    expect(Buffer.byteLength(structure)).toBeLessThan(256 * 1024);
    expect(Buffer.byteLength(JSON.stringify({ message_structure: structure }))).toBeGreaterThan(256 * 1024);
    await expectRejected({ message_structure: structure }, 403, 'SMN.0009');
  });

  test('measures the subject inside the body too', async () => {
    const overhead = JSON.stringify({ subject: 'x'.repeat(500), message: '' }).length;
    await expectRejected({ subject: 'x'.repeat(500), message: 'a'.repeat(262_144 - overhead + 1) }, 403, 'SMN.0009');
  });

  test('requires one of message_structure, message_template_name or message', async () => {
    await expectRejected({ subject: 'only a subject' }, 403, 'SMN.0009');
    await expectRejected({ message: '' }, 403, 'SMN.0009');
  });

  test('has no message templates', async () => {
    await expectRejected({ message_template_name: 'alert', tags: {} }, 404, 'SMN.0027');
  });

  test('rejects a time_to_live that is not a string of digits', async () => {
    await expectRejected({ message: 'x', time_to_live: 3600 }, 403, 'SMN.0009');
  });

  test('rejects a body that is not a JSON object', async () => {
    await expectRejected(['message'], 403, 'SMN.0009');
  });

  test('is 403 for another project in the path', async () => {
    const res = await publish({ message: 'x' }, topicUrn, { projectId: 'f'.repeat(32) });
    expect([res.status, res.json.code]).toEqual([403, 'SMN.0001']);
  });
});

describe('message_structure', () => {
  const structure = (value: Record<string, unknown>) => ({ message_structure: JSON.stringify(value) });

  test('wins over message and is recorded parsed', async () => {
    const res = await publish({ ...structure({ default: 'd', email: 'e', sms: 'short text' }), message: 'plain' });
    expect(res.status).toBe(200);
    expect(cloud.published[0]?.messageStructure).toEqual({ default: 'd', email: 'e', sms: 'short text' });
  });

  test('accepts every documented protocol key', async () => {
    const keys = ['email', 'sms', 'http', 'https', 'functionstage', 'functiongraph', 'dingding', 'wechat', 'feishu', 'welink', 'application'];
    const res = await publish(structure(Object.fromEntries([['default', 'd'], ...keys.map((k) => [k, k])])));
    expect(res.status).toBe(200);
  });

  test.each([
    ['a missing default', structure({ email: 'e' })],
    ['an unknown protocol key', structure({ default: 'd', slack: 's' })],
    ['a non-string value', structure({ default: 'd', email: { html: true } })],
    ['an object instead of a JSON string', { message_structure: { default: 'd' } }],
    ['invalid JSON', { message_structure: '{"default":' }],
    ['an sms longer than 490 characters', structure({ default: 'd', sms: 'x'.repeat(491) })],
    ['an sms with [', structure({ default: 'd', sms: 'see [1]' })],
    ['an sms with 【', structure({ default: 'd', sms: '【VPCEP】 alert' })],
  ])('rejects %s with 400 SMN.0021', async (_what, body) => {
    await expectRejected(body, 400, 'SMN.0021');
  });

  test('counts sms length in characters, not bytes', async () => {
    expect((await publish(structure({ default: 'd', sms: '连'.repeat(490) }))).status).toBe(200);
  });
});
