// Baseline for corral's stream benchmark: the JSONL reading design common in
// TypeScript agent hosts (a `JsonLineParser` class): decode stdout chunks to
// a string, append them to a string buffer, split the buffer on "\n", keep
// the unterminated rest for the next chunk, and JSON.parse every complete
// line (a line that fails to parse is reported and skipped).
//
// Usage: node bench/node/jsonl-baseline.mjs FILE
// Spawns `cat FILE`, parses its stdout and prints one JSON object:
// {"lines":N,"bytes":B,"errors":E,"seconds":S,"linesPerSec":R}
// The clock starts before the spawn and stops when the child has closed,
// as corral's Go measurement does.
import { spawn } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';

class JsonLineParser {
  constructor(onMessage, onError) {
    this.buffer = '';
    this.onMessage = onMessage;
    this.onError = onError;
  }

  feed(chunk) {
    this.buffer += chunk;
    const lines = this.buffer.split('\n');
    this.buffer = lines.pop() ?? '';
    for (const line of lines) this.parseLine(line);
  }

  flush() {
    if (this.buffer.length > 0) this.parseLine(this.buffer);
    this.buffer = '';
  }

  parseLine(line) {
    const trimmed = line.trim();
    if (trimmed.length === 0) return;
    try {
      this.onMessage(JSON.parse(trimmed));
    } catch (err) {
      this.onError(trimmed, err);
    }
  }
}

const file = process.argv[2];
if (!file) {
  console.error('usage: node jsonl-baseline.mjs FILE');
  process.exit(2);
}

let lines = 0;
let errors = 0;
let bytes = 0;
const types = new Map();
const parser = new JsonLineParser(
  (msg) => {
    lines++;
    // Route on the type, as an adapter would.
    types.set(msg.type, (types.get(msg.type) ?? 0) + 1);
  },
  () => {
    errors++;
  },
);

const start = process.hrtime.bigint();
const child = spawn('cat', [file], { stdio: ['ignore', 'pipe', 'inherit'] });
// A StringDecoder (what readable.setEncoding('utf8') uses) keeps a UTF-8
// sequence split across two chunks intact.
const decoder = new StringDecoder('utf8');
child.stdout.on('data', (buf) => {
  bytes += buf.length;
  parser.feed(decoder.write(buf));
});
child.on('close', (code) => {
  parser.feed(decoder.end());
  parser.flush();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (code !== 0) {
    console.error(`cat exited with ${code}`);
    process.exit(1);
  }
  console.log(JSON.stringify({ lines, bytes, errors, seconds, linesPerSec: lines / seconds }));
});
