// The official OpenAI SDK against hexind: `node openai.mjs CASE`.
// HEXIND_URL (e.g. http://127.0.0.1:8777/v1) and HEXIND_KEY say where;
// the bats suite sets the fake upstream's switches before each case.
// Exit 0 and "ok CASE" when every assertion held.
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { runCase } from './cases.mjs';

const client = new OpenAI({
  baseURL: process.env.HEXIND_URL,
  apiKey: process.env.HEXIND_KEY,
  maxRetries: 0,
  timeout: 20000,
});

async function text(stream) {
  let s = '';
  const chunks = [];
  for await (const c of stream) {
    chunks.push(c);
    for (const ch of c.choices) s += ch.delta?.content ?? '';
  }
  return { s, chunks };
}

const cases = {
  async nonstream() {
    const r = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'hello sdk' }],
      max_tokens: 50,
    });
    assert.equal(r.object, 'chat.completion');
    assert.equal(r.choices[0].message.content, 'echo: hello sdk');
    assert.equal(r.choices[0].finish_reason, 'stop');
    assert.ok(r.usage.total_tokens > 0);
    // the SDK exposes the request id hexind sends
    assert.match(r._request_id ?? '', /^[0-9a-f]{32}$/);
  },

  async stream() {
    const stream = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'stream please' }],
      stream: true,
    });
    const { s, chunks } = await text(stream);
    assert.equal(s, 'echo: stream please');
    assert.ok(chunks.length >= 3);
    assert.ok(chunks.every((c) => !c.usage));
    assert.equal(chunks.at(-1).choices[0].finish_reason, 'stop');
  },

  async stream_usage() {
    const stream = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'count me' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const { s, chunks } = await text(stream);
    assert.equal(s, 'echo: count me');
    const last = chunks.at(-1);
    assert.deepEqual(last.choices, []);
    assert.ok(last.usage.total_tokens > 0);
  },

  async tools_stream() {
    const runner = client.chat.completions.stream({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'weather in Paris?' }],
      tools: [{
        type: 'function',
        function: {
          name: 'get_weather',
          parameters: { type: 'object', properties: { city: { type: 'string' } } },
        },
      }],
    });
    const final = await runner.finalChatCompletion();
    const call = final.choices[0].message.tool_calls[0];
    assert.equal(call.id, 'call_fake_1');
    assert.equal(call.function.name, 'get_weather');
    assert.deepEqual(JSON.parse(call.function.arguments), { city: 'Paris' });
    assert.equal(final.choices[0].finish_reason, 'tool_calls');
  },

  async tools_nonstream() {
    const r = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'weather in Paris?' }],
      tools: [{ type: 'function', function: { name: 'get_weather' } }],
    });
    const call = r.choices[0].message.tool_calls[0];
    assert.deepEqual(JSON.parse(call.function.arguments), { city: 'Paris' });
  },

  async n() {
    const r = await client.chat.completions.create({
      model: 'deepseek-reasoner',
      messages: [{ role: 'user', content: 'twice' }],
      n: 2,
    });
    assert.deepEqual(r.choices.map((c) => c.index), [0, 1]);
    assert.ok(r.choices.every((c) => c.message.content === 'echo: twice'));
  },

  async n_stream() {
    const stream = await client.chat.completions.create({
      model: 'deepseek-reasoner',
      messages: [{ role: 'user', content: 'twice' }],
      n: 2,
      stream: true,
    });
    const texts = ['', ''];
    const finished = [null, null];
    for await (const c of stream) {
      for (const ch of c.choices) {
        texts[ch.index] += ch.delta?.content ?? '';
        if (ch.finish_reason) finished[ch.index] = ch.finish_reason;
      }
    }
    assert.deepEqual(texts, ['echo: twice', 'echo: twice']);
    assert.deepEqual(finished, ['stop', 'stop']);
  },

  async reasoning() {
    const r = await client.chat.completions.create({
      model: 'deepseek-reasoner',
      messages: [{ role: 'user', content: 'think' }],
    });
    assert.equal(r.choices[0].message.reasoning_content, 'thinking about it');
    assert.equal(r.choices[0].message.content, 'echo: think');
  },

  // A whole Claude conversation: system prompt, an image, a streamed tool
  // call, the tool's result and the final answer (claude_tools on).
  async claude_conversation() {
    const tools = [{
      type: 'function',
      function: {
        name: 'get_weather',
        description: 'Weather of a city',
        parameters: { type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer' } } },
      },
    }];
    const messages = [
      { role: 'system', content: 'You answer briefly.' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Weather where this photo was taken?' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
        ],
      },
    ];
    const first = await client.chat.completions
      .stream({ model: 'claude-sonnet-4-5', messages, tools })
      .finalChatCompletion();
    const msg = first.choices[0].message;
    assert.equal(first.choices[0].finish_reason, 'tool_calls');
    assert.equal(msg.tool_calls[0].id, 'toolu_fake_1');
    assert.deepEqual(JSON.parse(msg.tool_calls[0].function.arguments), { city: 'Paris', days: 2 });

    messages.push(msg, { role: 'tool', tool_call_id: msg.tool_calls[0].id, content: 'sunny, 21 C' });
    const second = await client.chat.completions.create({ model: 'claude-sonnet-4-5', messages, tools });
    assert.equal(second.choices[0].message.content, 'echo: tool said: sunny, 21 C');
    assert.equal(second.choices[0].finish_reason, 'stop');

    // what Bedrock got: the system prompt folded, the image, the round trip
    const reqs = (await (await fetch(`${process.env.FAKE_URL}/_fake/requests`)).json()).requests
      .filter((r) => r.path.includes('/claude/model/'));
    assert.equal(reqs.length, 2);
    assert.match(reqs[0].path, /us\.anthropic\.claude-sonnet-4-5-20250929-v1:0\/invoke-with-response-stream$/);
    const b0 = JSON.parse(reqs[0].body);
    assert.equal(b0.anthropic_version, 'bedrock-2023-05-31');
    assert.ok(!('model' in b0) && !('stream' in b0));
    assert.match(b0.messages[0].content[0].text, /^\[System Instruction: You answer briefly\.\]\n\n/);
    assert.equal(b0.messages[0].content[1].source.media_type, 'image/png');
    const b1 = JSON.parse(reqs[1].body);
    assert.equal(b1.messages[1].content.at(-1).type, 'tool_use');
    assert.deepEqual(b1.messages[2].content[0], { type: 'tool_result', tool_use_id: 'toolu_fake_1', content: 'sunny, 21 C' });
  },

  // Responses: the session header reaches Hexin as arsenal-openai-hash,
  // and the session comes back in x-session-id.
  async responses() {
    const { data: r, response } = await client.responses
      .create({ model: 'o3', input: 'reason about this' }, { headers: { 'X-Session-ID': 'sess-sdk-1' } })
      .withResponse();
    assert.equal(r.object, 'response');
    assert.equal(r.output_text, 'echo: reason about this');
    assert.equal(response.headers.get('x-session-id'), 'sess-sdk-1');
    const reqs = (await (await fetch(`${process.env.FAKE_URL}/_fake/requests`)).json()).requests
      .filter((q) => q.path.endsWith('/responses'));
    assert.equal(reqs.at(-1).headers['arsenal-openai-hash'], 'sess-sdk-1');
    assert.equal(reqs.at(-1).headers['x-trace-id'], 'sess-sdk-1');
  },

  async responses_stream() {
    const stream = await client.responses.create(
      { model: 'o4-mini', input: 'stream it', stream: true },
      { headers: { 'X-Session-ID': 'sess-sdk-2' } },
    );
    let text = '';
    const types = [];
    for await (const ev of stream) {
      types.push(ev.type);
      if (ev.type === 'response.output_text.delta') text += ev.delta;
    }
    assert.equal(text, 'echo: stream it');
    assert.equal(types[0], 'response.created');
    assert.equal(types.at(-1), 'response.completed');
  },

  async responses_helper() {
    const runner = client.responses.stream({ model: 'o3', input: 'helper please' });
    let deltas = '';
    runner.on('response.output_text.delta', (e) => { deltas += e.delta; });
    const final = await runner.finalResponse();
    assert.equal(final.output_text, 'echo: helper please');
    assert.equal(deltas, 'echo: helper please');
  },

  async responses_error() {
    await assert.rejects(
      client.responses.create({ model: 'o3', input: 'x' }),
      (e) => e instanceof OpenAI.BadRequestError && /fake upstream refused/.test(e.message),
    );
  },

  async responses_stream_error() {
    const stream = await client.responses.create({ model: 'o3', input: 'break', stream: true });
    await assert.rejects(
      (async () => { for await (const ev of stream) void ev; })(),
      (e) => e instanceof OpenAI.APIError && /exploded|broke off/.test(e.message),
    );
  },

  // Responses on a family that hexind translates: MODEL names it.
  async tr_create() {
    const r = await client.responses.create({
      model: process.env.MODEL, instructions: 'Be brief.', input: 'hello sdk', max_output_tokens: 300,
    });
    assert.equal(r.object, 'response');
    assert.equal(r.status, 'completed');
    assert.equal(r.model, process.env.MODEL);
    assert.match(r.output_text, /hello sdk/);
    assert.ok(r.usage.input_tokens > 0 && r.usage.output_tokens > 0);
    assert.equal(r.usage.total_tokens, r.usage.input_tokens + r.usage.output_tokens);
  },

  async tr_stream() {
    const runner = client.responses.stream({ model: process.env.MODEL, input: 'stream sdk' });
    let deltas = '';
    const types = [];
    runner.on('event', (e) => types.push(e.type));
    runner.on('response.output_text.delta', (e) => { deltas += e.delta; });
    const final = await runner.finalResponse();
    assert.match(final.output_text, /stream sdk/);
    assert.equal(deltas, final.output_text);
    assert.equal(types[0], 'response.created');
    assert.equal(types.at(-1), 'response.completed');
    assert.ok(final.usage.output_tokens > 0);
  },

  // A function tool's call, its output sent back, and what the upstream
  // got for it: a tool message on a chat route, a tool_result on Claude.
  async tr_tools() {
    const tools = [{
      type: 'function', name: 'get_weather', description: 'Weather of a city.', strict: false,
      parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    }];
    const input = [{ role: 'user', content: 'weather in Paris?' }];
    const r1 = await client.responses.create({ model: process.env.MODEL, input, tools });
    const call = r1.output.find((o) => o.type === 'function_call');
    assert.ok(call, JSON.stringify(r1.output));
    assert.equal(call.name, 'get_weather');
    assert.equal(JSON.parse(call.arguments).city, 'Paris');
    const r2 = await client.responses.create({
      model: process.env.MODEL, tools,
      input: [...input, ...r1.output, { type: 'function_call_output', call_id: call.call_id, output: 'sunny, 21 C' }],
    });
    assert.equal(r2.object, 'response');
    const reqs = (await (await fetch(`${process.env.FAKE_URL}/_fake/requests`)).json()).requests;
    const up = JSON.parse(reqs.at(-1).body);
    if (reqs.at(-1).path.includes('/claude/model/')) {
      const last = up.messages.at(-1).content;
      assert.deepEqual(last, [{ type: 'tool_result', tool_use_id: call.call_id, content: 'sunny, 21 C' }]);
      assert.match(r2.output_text, /./);
    } else {
      assert.deepEqual(up.messages.at(-1), { role: 'tool', tool_call_id: call.call_id, content: 'sunny, 21 C' });
      assert.equal(up.messages.at(-2).tool_calls[0].id, call.call_id);
    }
  },

  async tr_tools_stream() {
    const runner = client.responses.stream({
      model: process.env.MODEL, input: 'weather in Paris?',
      tools: [{ type: 'function', name: 'get_weather', parameters: { type: 'object' }, strict: false }],
    });
    let args = '';
    runner.on('response.function_call_arguments.delta', (e) => { args += e.delta; });
    const final = await runner.finalResponse();
    const call = final.output.find((o) => o.type === 'function_call');
    assert.ok(call, JSON.stringify(final.output));
    assert.equal(call.arguments, args);
    assert.equal(JSON.parse(call.arguments).city, 'Paris');
  },

  async tr_stream_error() {
    const stream = await client.responses.create({ model: process.env.MODEL, input: 'break', stream: true });
    await assert.rejects(
      (async () => { for await (const ev of stream) void ev; })(),
      (e) => e instanceof OpenAI.APIError && /broke off|overloaded|exploded/i.test(e.message),
    );
  },

  // Embeddings: the Node SDK asks for base64 by default and decodes it.
  async embeddings_base64() {
    const r = await client.embeddings.create({ model: 'text-embedding-3-small', input: 'vector me' });
    const raw = await (await fetch(`${process.env.HEXIND_URL}/embeddings`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${process.env.HEXIND_KEY}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ model: 'text-embedding-3-small', input: 'vector me' }),
    })).json();
    const floats = raw.data[0].embedding;
    assert.equal(r.data[0].embedding.length, floats.length);
    // bit-exact: the SDK's float32 values are the upstream's numbers
    for (let k = 0; k < floats.length; k++) assert.equal(r.data[0].embedding[k], Math.fround(floats[k]));
  },

  async embeddings_float() {
    const r = await client.embeddings.create({
      model: 'text-embedding-3-small', input: 'vector me', encoding_format: 'float',
    });
    assert.ok(r.data[0].embedding.every((x) => typeof x === 'number'));
    assert.ok(r.usage.prompt_tokens > 0);
  },

  async embeddings_batch() {
    const inputs = ['one', 'two', 'three', 'four', 'five'];
    const r = await client.embeddings.create({ model: 'text-embedding-3-small', input: inputs, encoding_format: 'float' });
    assert.deepEqual(r.data.map((d) => d.index), [0, 1, 2, 3, 4]);
    for (let i = 0; i < inputs.length; i++) {
      const one = await client.embeddings.create({ model: 'text-embedding-3-small', input: inputs[i], encoding_format: 'float' });
      assert.deepEqual(r.data[i].embedding, one.data[0].embedding);
    }
  },

  async embeddings_tokens() {
    await assert.rejects(
      client.embeddings.create({ model: 'text-embedding-3-small', input: [[1, 2, 3]] }),
      (e) => e instanceof OpenAI.BadRequestError && e.param === 'input',
    );
  },

  async wrong_key() {
    const bad = new OpenAI({ baseURL: process.env.HEXIND_URL, apiKey: 'nope', maxRetries: 0 });
    await assert.rejects(
      bad.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }),
      (e) => e instanceof OpenAI.AuthenticationError && e.status === 401,
    );
  },

  async bad_request() {
    // the fake refuses with an OpenAI error object, status 400
    await assert.rejects(
      client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }),
      (e) => e instanceof OpenAI.BadRequestError && /fake upstream refused/.test(e.message),
    );
  },

  async missing_model() {
    await assert.rejects(
      client.chat.completions.create({ messages: [{ role: 'user', content: 'x' }] }),
      (e) => e instanceof OpenAI.BadRequestError && e.param === 'model',
    );
  },

  async rate_limited() {
    await assert.rejects(
      client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }),
      (e) => e instanceof OpenAI.RateLimitError && e.headers.get('retry-after') === '7',
    );
  },

  async upstream_down() {
    await assert.rejects(
      client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }),
      (e) => e instanceof OpenAI.InternalServerError && e.status === 502,
    );
  },

  async midstream_failure() {
    const stream = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'break' }],
      stream: true,
    });
    await assert.rejects(text(stream), (e) => e instanceof OpenAI.APIError && /exploded|broke off/.test(e.message));
  },
};

await runCase(cases);
