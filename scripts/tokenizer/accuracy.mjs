// scripts/token-accuracy's worker: for each sample of the corpus, the
// count hexind's count_tokens gives a one-message request against the
// same request counted with the o200k tokenizer (the text's tokens and
// the framing hexind counts, 3 for the request and 3 for the message).
// Prints one line per kind and the whole; exit 1 when a kind's mean
// error is past the bound.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { encode } from 'gpt-tokenizer/encoding/o200k_base';

const [hexind, corpusPath, bound] = process.argv.slice(2);
const corpus = JSON.parse(readFileSync(corpusPath, 'utf8')).samples;
const FRAMING = 6;

function estimate(text) {
  const body = JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: text }] });
  const req = `POST /v1/messages/count_tokens HTTP/1.0\r\nx-api-key: acc-key\r\n`
    + `anthropic-version: 2023-06-01\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  const r = spawnSync(hexind, [], {
    input: req, env: { HEXIND_API_KEYS: 'acc-key', PATH: '/usr/bin:/bin' }, timeout: 10000,
  });
  const out = r.stdout.toString();
  const m = out.match(/"input_tokens":(\d+)/);
  if (!m) throw new Error(`no count from hexind: ${out.slice(0, 300)}`);
  return Number(m[1]);
}

const kinds = {};
for (const s of corpus) {
  const real = encode(s.text).length + FRAMING;
  const est = estimate(s.text);
  const err = (est - real) / real;
  (kinds[s.kind] ??= []).push(err);
  (kinds.all ??= []).push(err);
}
let ok = true;
console.log('kind  samples  mean error  mean |error|  worst');
for (const [k, errs] of Object.entries(kinds)) {
  const mean = errs.reduce((a, b) => a + b, 0) / errs.length;
  const abs = errs.reduce((a, b) => a + Math.abs(b), 0) / errs.length;
  const worst = errs.reduce((a, b) => (Math.abs(b) > Math.abs(a) ? b : a), 0);
  const pct = (x) => `${(x * 100).toFixed(1)}%`.padStart(8);
  console.log(`${k.padEnd(5)} ${String(errs.length).padStart(7)} ${pct(mean)}    ${pct(abs)}    ${pct(worst)}`);
  if (Math.abs(mean) > Number(bound)) ok = false;
}
process.exit(ok ? 0 : 1);
