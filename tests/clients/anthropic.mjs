// The official Anthropic SDK against hexind: `node anthropic.mjs CASE`.
// HEXIND_BASE (e.g. http://127.0.0.1:8777, no /v1) and HEXIND_KEY say
// where; FAKE_URL is the fake upstream, whose switches the bats suite
// sets. Exit 0 and "ok CASE" when every assertion held.
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { runCase } from './cases.mjs';

const client = new Anthropic({
  baseURL: process.env.HEXIND_BASE,
  apiKey: process.env.HEXIND_KEY,
  maxRetries: 0,
  timeout: 20000,
});

async function bedrockBodies() {
  const r = await (await fetch(`${process.env.FAKE_URL}/_fake/requests`)).json();
  return r.requests.filter((q) => q.path.includes('/claude/model/')).map((q) => ({ path: q.path, body: JSON.parse(q.body) }));
}

const weather = {
  name: 'get_weather',
  description: 'Weather of a city',
  input_schema: { type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer' } } },
};

const cases = {
  async create() {
    const m = await client.messages.create({
      model: 'claude-sonnet-4-5',
      max_tokens: 256,
      system: 'Be brief.',
      messages: [{ role: 'user', content: 'hello sdk' }],
    });
    assert.equal(m.type, 'message');
    assert.equal(m.role, 'assistant');
    assert.equal(m.content[0].text, 'echo: [System Instruction: Be brief.]\n\nhello sdk');
    assert.equal(m.stop_reason, 'end_turn');
    assert.ok(m.usage.input_tokens > 0);
    const [b] = await bedrockBodies();
    assert.match(b.path, /us\.anthropic\.claude-sonnet-4-5-20250929-v1:0\/invoke$/);
    assert.equal(b.body.anthropic_version, 'bedrock-2023-05-31');
    assert.ok(!('model' in b.body) && !('stream' in b.body) && !('system' in b.body));
  },

  async stream() {
    const stream = client.messages.stream({
      model: 'claude-3-7-sonnet-latest',
      max_tokens: 256,
      messages: [{ role: 'user', content: 'stream please' }],
    });
    let text = '';
    stream.on('text', (t) => { text += t; });
    const final = await stream.finalMessage();
    assert.equal(text, 'echo: stream please');
    assert.equal(final.content[0].text, 'echo: stream please');
    assert.equal(final.stop_reason, 'end_turn');
    const [b] = await bedrockBodies();
    assert.match(b.path, /claude-3-7-sonnet-20250219-v1:0\/invoke-with-response-stream$/);
  },

  async tools() {
    const messages = [{ role: 'user', content: 'Weather in Paris?' }];
    const first = await client.messages.stream({ model: 'claude-sonnet-4-5', max_tokens: 512, tools: [weather], messages }).finalMessage();
    assert.equal(first.stop_reason, 'tool_use');
    const use = first.content.find((b) => b.type === 'tool_use');
    assert.equal(use.id, 'toolu_fake_1');
    assert.deepEqual(use.input, { city: 'Paris', days: 2 });
    messages.push({ role: 'assistant', content: first.content });
    messages.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: 'sunny' }] });
    const second = await client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 512, tools: [weather], messages });
    assert.equal(second.content[0].text, 'echo: tool said: sunny');
    const bodies = await bedrockBodies();
    assert.equal(bodies.length, 2);
    assert.deepEqual(bodies[1].body.messages[2].content[0], { type: 'tool_result', tool_use_id: 'toolu_fake_1', content: 'sunny' });
  },

  async thinking() {
    const m = await client.messages.create({
      model: 'claude-sonnet-4-5',
      max_tokens: 4096,
      thinking: { type: 'enabled', budget_tokens: 1024 },
      messages: [{ role: 'user', content: 'think' }],
    });
    const t = m.content.find((b) => b.type === 'thinking');
    assert.equal(t.thinking, 'hmm, thinking');
    assert.equal(t.signature, 'sig_fake');
    const [b] = await bedrockBodies();
    assert.deepEqual(b.body.thinking, { type: 'enabled', budget_tokens: 1024 });
  },

  async wrong_key() {
    const bad = new Anthropic({ baseURL: process.env.HEXIND_BASE, apiKey: 'nope', maxRetries: 0 });
    await assert.rejects(
      bad.messages.create({ model: 'claude', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }),
      (e) => e instanceof Anthropic.AuthenticationError && e.status === 401,
    );
  },

  async bad_request() {
    await assert.rejects(
      client.messages.create({ model: 'claude', max_tokens: 10, messages: [{ role: 'assistant', content: 'first' }] }),
      (e) => e instanceof Anthropic.BadRequestError && /user role/.test(e.message),
    );
  },

  async stream_error() {
    const stream = client.messages.stream({ model: 'claude', max_tokens: 64, messages: [{ role: 'user', content: 'x' }] });
    await assert.rejects(stream.finalMessage(), (e) => e instanceof Anthropic.APIError && /Overloaded/.test(e.message));
  },

  // Messages on a family that is not Claude (MODEL names it), translated
  // to its chat route.
  async tr_create() {
    const m = await client.messages.create({
      model: process.env.MODEL, max_tokens: 256, system: 'Be brief.',
      messages: [{ role: 'user', content: 'hello sdk' }],
    });
    assert.equal(m.type, 'message');
    assert.equal(m.model, process.env.MODEL);
    assert.equal(m.content[0].text, 'echo: hello sdk');
    assert.equal(m.stop_reason, 'end_turn');
    assert.ok(m.usage.input_tokens > 0 && m.usage.output_tokens > 0);
  },

  async tr_stream() {
    const stream = client.messages.stream({
      model: process.env.MODEL, max_tokens: 256, messages: [{ role: 'user', content: 'stream sdk' }],
    });
    let text = '';
    stream.on('text', (t) => { text += t; });
    const m = await stream.finalMessage();
    assert.equal(text, 'echo: stream sdk');
    assert.equal(m.content[0].text, 'echo: stream sdk');
    assert.equal(m.stop_reason, 'end_turn');
    assert.ok(m.usage.output_tokens > 0);
  },

  // A tool_use, its tool_result sent back, and the tool message the chat
  // route got for it.
  async tr_tools() {
    const messages = [{ role: 'user', content: 'weather in Paris?' }];
    const stream = client.messages.stream({ model: process.env.MODEL, max_tokens: 256, tools: [weather], messages });
    const m1 = await stream.finalMessage();
    const use = m1.content.find((b) => b.type === 'tool_use');
    assert.ok(use, JSON.stringify(m1.content));
    assert.equal(m1.stop_reason, 'tool_use');
    assert.equal(use.input.city, 'Paris');
    const m2 = await client.messages.create({
      model: process.env.MODEL, max_tokens: 256, tools: [weather],
      messages: [...messages, { role: 'assistant', content: m1.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: 'sunny, 21 C' }] }],
    });
    assert.equal(m2.content[0].text, 'echo: sunny, 21 C');
    const reqs = (await (await fetch(`${process.env.FAKE_URL}/_fake/requests`)).json()).requests;
    const up = JSON.parse(reqs.at(-1).body);
    assert.deepEqual(up.messages.at(-1), { role: 'tool', tool_call_id: use.id, content: 'sunny, 21 C' });
    assert.equal(up.messages.at(-2).tool_calls[0].id, use.id);
  },

  // count_tokens, answered by hexind for any model with no upstream call.
  async count_tokens() {
    const before = (await (await fetch(`${process.env.FAKE_URL}/_fake/requests`)).json()).requests.length;
    const small = await client.messages.countTokens({
      model: process.env.MODEL, messages: [{ role: 'user', content: 'hello, world' }],
    });
    const big = await client.messages.countTokens({
      model: process.env.MODEL, system: 'Be brief.', tools: [weather],
      messages: [{ role: 'user', content: 'hello, world' }],
    });
    assert.ok(small.input_tokens > 0, JSON.stringify(small));
    assert.ok(big.input_tokens > small.input_tokens, JSON.stringify(big));
    const after = (await (await fetch(`${process.env.FAKE_URL}/_fake/requests`)).json()).requests.length;
    assert.equal(after, before);
  },
};

await runCase(cases);
