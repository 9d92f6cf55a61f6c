import { describe, expect, it } from 'vitest';
import { Terminal, collapseCR, parseAnsi } from './ansi';

describe('ANSI parsing', () => {
  it('turns SGR colours into spans', () => {
    const { spans } = parseAnsi('plain \x1b[31mred\x1b[0m \x1b[1;92mbold green\x1b[m end');
    expect(spans).toEqual([
      { text: 'plain ' },
      { fg: 'c1', text: 'red' },
      { text: ' ' },
      { fg: 'c10', bold: true, text: 'bold green' },
      { text: ' end' },
    ]);
  });
  it('handles 256-colour and truecolour', () => {
    expect(parseAnsi('\x1b[38;5;196mx').spans[0].fg).toBe('#ff0000');
    expect(parseAnsi('\x1b[48;2;1;2;3mx').spans[0].bg).toBe('#010203');
    expect(parseAnsi('\x1b[38;5;3mx').spans[0].fg).toBe('c3');
  });
  it('removes cursor, erase and OSC sequences', () => {
    const { spans } = parseAnsi('\x1b[2K\x1b[1Gab\x1b]0;title\x07c\x1b]8;;http://x\x1b\\d');
    expect(spans.map((s) => s.text).join('')).toBe('abcd');
  });
  it('keeps the style across lines', () => {
    const a = parseAnsi('\x1b[33mstart');
    const b = parseAnsi('continued', a.state);
    expect(b.spans[0]).toEqual({ fg: 'c3', text: 'continued' });
  });
  it('collapses carriage returns like a terminal', () => {
    expect(collapseCR('10%\r20%\r30%')).toBe('30%');
    expect(collapseCR('done\r')).toBe('done');
    expect(parseAnsi('\x1b[32m 50%\r\x1b[32m100%').spans).toEqual([{ fg: 'c2', text: '100%' }]);
  });
  it('drops control characters but keeps tabs; backspace erases', () => {
    expect(parseAnsi('a\tb\x07c\x08d').spans[0].text).toBe('a\tbd');
  });
});

describe('Terminal', () => {
  it('replaces the progress line in place', () => {
    const t = new Terminal();
    t.write('stdout', { text: 'start' });
    t.write('stdout', { text: '10%', progress: true });
    t.write('stdout', { text: '60%', progress: true });
    t.write('stderr', { text: 'warn' });
    t.write('stdout', { text: '100%', progress: true });
    t.write('stdout', { text: 'done' });
    t.write('stdout', { text: 'after' });
    expect(t.lines.map((l) => l.spans.map((s) => s.text).join(''))).toEqual(['start', 'done', 'warn', 'after']);
  });
  it('draws the plain line that ends a progress bar over the bar', () => {
    // sh -c "printf '50%%\r'; sleep 0.3; printf '100%%\n'" arrives as these two events
    const t = new Terminal();
    t.write('stdout', { text: '50%', progress: true });
    t.write('stdout', { text: '100%' });
    expect(t.lines.map((l) => l.spans.map((s) => s.text).join(''))).toEqual(['100%']);
    // the bar's line is closed: the next plain line is a line of its own
    t.write('stdout', { text: 'next' });
    expect(t.lines.map((l) => l.spans.map((s) => s.text).join(''))).toEqual(['100%', 'next']);
  });
  it('keeps the last update when only the newline follows it', () => {
    const t = new Terminal();
    t.write('stdout', { text: '50%', progress: true });
    t.write('stdout', { text: '' });
    t.write('stdout', { text: 'x' });
    expect(t.lines.map((l) => l.spans.map((s) => s.text).join(''))).toEqual(['50%', 'x']);
  });
  it('does not let another stream end a progress bar', () => {
    const t = new Terminal();
    t.write('stdout', { text: '50%', progress: true });
    t.write('stderr', { text: 'note' });
    t.write('stdout', { text: '100%' });
    expect(t.lines.map((l) => l.spans.map((s) => s.text).join(''))).toEqual(['100%', 'note']);
  });
  it('keeps a bounded number of lines and counts what it dropped', () => {
    const t = new Terminal(3);
    for (let i = 0; i < 10; i++) t.write('stdout', { text: `l${i}` });
    expect(t.lines.length).toBe(3);
    expect(t.dropped).toBe(7);
    expect(t.lines[0].spans[0].text).toBe('l7');
  });
  it('shows binary output as a size', () => {
    const t = new Terminal();
    t.write('stdout', { bytes: 'AAAA', binary: true });
    expect(t.lines[0].spans[0].text).toBe('[3 bytes of binary output]');
  });
});
