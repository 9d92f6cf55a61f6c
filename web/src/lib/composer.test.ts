import { describe, expect, it } from 'vitest';
import { attachmentLoader, dataURL, filterCommands, fmtBytes, imageNote, insertPick, limitProblem, moveIndex, toBase64, triggerAt } from './composer';
import type { Command } from './api';

describe('triggerAt', () => {
  it('finds a slash command only at the start of the message', () => {
    expect(triggerAt('/com', 4)).toEqual({ kind: 'slash', start: 0, query: 'com' });
    expect(triggerAt('/', 1)).toEqual({ kind: 'slash', start: 0, query: '' });
    expect(triggerAt('say /com', 8)).toBeNull();
    expect(triggerAt('/compact now', 12)).toBeNull();
  });
  it('finds an @-mention after white space, up to the caret', () => {
    expect(triggerAt('look at @src/ma', 15)).toEqual({ kind: 'mention', start: 8, query: 'src/ma' });
    expect(triggerAt('@', 1)).toEqual({ kind: 'mention', start: 0, query: '' });
    expect(triggerAt('mail me@host', 12)).toBeNull();
    expect(triggerAt('@a.go and more', 14)).toBeNull();
    // the caret inside the word: only what precedes it counts
    expect(triggerAt('x @abc def', 5)).toEqual({ kind: 'mention', start: 2, query: 'ab' });
  });
});

describe('insertPick', () => {
  it('replaces the trigger and keeps the rest', () => {
    expect(insertPick('see @ma and', { kind: 'mention', start: 4, query: 'ma' }, 7, 'main.go')).toEqual({ text: 'see @main.go and', caret: 13 });
    expect(insertPick('/co', { kind: 'slash', start: 0, query: 'co' }, 3, 'compact')).toEqual({ text: '/compact ', caret: 9 });
  });
});

describe('limits', () => {
  it('says which file or the total is over', () => {
    expect(limitProblem([{ name: 'a', size: 10 }], 100, 1000)).toBeNull();
    expect(limitProblem([{ name: 'big.bin', size: 2048 }], 1024, 4096)).toBe('big.bin is 2 KB; the limit per file is 1 KB');
    expect(limitProblem([{ name: 'a', size: 800 }, { name: 'b', size: 800 }], 1024, 1500)).toMatch(/add up to 1.6 KB; the limit per message is 1.5 KB/);
    expect(limitProblem([{ name: 'e', size: 0 }], 1024, 1500)).toBe('e is empty');
    expect(limitProblem([{ name: 'a', size: 5 << 20 }], 0, 0)).toBeNull(); // limits not known yet: the server checks
  });
  it('formats sizes', () => {
    expect(fmtBytes(512)).toBe('512 B');
    expect(fmtBytes(1536)).toBe('1.5 KB');
    expect(fmtBytes(10 << 20)).toBe('10 MB');
  });
});

describe('menus', () => {
  const cmds: Command[] = [
    { name: 'compact', source: 'corral', supported: true },
    { name: 'clear', source: 'corral', supported: true },
    { name: 'model', source: 'corral', supported: false, note: 'no' },
    { name: 'security-review', source: 'agent', supported: true },
  ];
  it('filters by prefix, then by substring', () => {
    expect(filterCommands(cmds, 'c').map((c) => c.name)).toEqual(['compact', 'clear', 'security-review']);
    expect(filterCommands(cmds, 'rev').map((c) => c.name)).toEqual(['security-review']);
    expect(filterCommands(cmds, '').length).toBe(4);
  });
  it('moves with the arrows, wrapping', () => {
    expect(moveIndex(0, 3, 'ArrowDown')).toBe(1);
    expect(moveIndex(2, 3, 'ArrowDown')).toBe(0);
    expect(moveIndex(0, 3, 'ArrowUp')).toBe(2);
    expect(moveIndex(0, 0, 'ArrowUp')).toBe(0);
  });
  it('says how an agent gets images', () => {
    expect(imageNote('inline')).toBeNull();
    expect(imageNote('local-path')).toBeNull();
    expect(imageNote('path')).toMatch(/file path only/);
    expect(imageNote('if-declared')).toMatch(/only if it says/);
  });
});

describe('attachments', () => {
  it('encodes base64 in chunks', () => {
    const b = new Uint8Array(0x10000 + 3).map((_, i) => i & 0xff);
    expect(atob(toBase64(b)).length).toBe(b.length);
    expect(toBase64(new TextEncoder().encode('hi'))).toBe('aGk=');
  });
  it('makes data URLs for images only', () => {
    expect(dataURL('IMAGE/PNG', 'AAAA')).toBe('data:image/png;base64,AAAA');
    expect(dataURL('image/svg+xml', 'AAAA')).toBeUndefined();
    expect(dataURL('text/plain', 'AAAA')).toBeUndefined();
  });
  it('fetches each thumbnail once, and again after a failure', async () => {
    let calls = 0;
    let fail = true;
    const load = attachmentLoader(async () => {
      calls++;
      if (fail) throw new Error('boom');
      return { mimeType: 'image/png', data: 'AAAA' };
    }, () => 's-test');
    expect(await load('att-1')).toBeUndefined();
    fail = false;
    expect(await load('att-1')).toBe('data:image/png;base64,AAAA');
    expect(await load('att-1')).toBe('data:image/png;base64,AAAA');
    expect(calls).toBe(2);
  });
});
