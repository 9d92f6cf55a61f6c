// The composer inside a conversation: the / and @ menus by keyboard,
// files with the message, the limits before sending, thumbnails in the
// history.
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen } from '@testing-library/svelte';
import { tick } from 'svelte';
import { Store } from '../lib/store/store.svelte';
import Conversation from '../components/Conversation.svelte';
import { FakeBackend, ev, sync, until } from './fake';

afterEach(() => cleanup());

const caps = (images: string) => ({ images, files: 'path', slashCommands: false, compact: false, clear: false, note: 'no commands here' });

async function setup(commands: any[], images = 'inline', extra: Record<string, (p: any) => any> = {}) {
  const fake = new FakeBackend({
    ListSessions: () => [{ id: 's1', agent: 'claude', cwd: '/src/s1', status: 'idle', createdAt: '', lastActivity: '', costUsd: 0 }],
    ListCommands: () => ({ commands, capabilities: caps(images), maxFileSize: 1000, maxMessageSize: 1500 }),
    ListFiles: (p: any) => ({ files: ['src/main.go', 'src/main_test.go'].filter((f) => f.includes(p.query)), source: 'git' }),
    SendMessage: () => ({ runId: 'r1' }),
    GetAttachment: () => ({ id: 'a1', name: 'dot.png', mimeType: 'image/png', size: 3, data: 'AAAA' }),
    ...extra,
  });
  const store = new Store(fake, { schedule: sync, notifier: { hidden: () => false, notify: () => {} } });
  await store.start();
  render(Conversation, { store, sessionId: 's1' });
  const box = screen.getByTestId('message-input') as HTMLTextAreaElement;
  return { fake, store, box };
}

async function type(box: HTMLTextAreaElement, value: string) {
  box.value = value;
  box.setSelectionRange(value.length, value.length);
  await fireEvent.input(box);
}

const options = () => screen.queryAllByTestId('menu-option');

describe('Composer', () => {
  it('picks a slash command with the keyboard; a greyed one is skipped', async () => {
    const { fake, box } = await setup([
      { name: 'compact', source: 'corral', supported: true, description: 'summarize' },
      { name: 'model', source: 'corral', supported: false, note: 'chosen at creation' },
      { name: 'review', source: 'agent', supported: true },
    ]);
    await type(box, '/');
    await until(() => expect(options()).toHaveLength(3));
    expect(options()[1].getAttribute('aria-disabled')).toBe('true');
    expect(options()[1].textContent).toContain('chosen at creation');
    expect(screen.getByTestId('composer-menu').textContent).toContain('no commands here');
    await fireEvent.keyDown(box, { key: 'ArrowDown' }); // skips /model
    expect(options()[2].getAttribute('aria-selected')).toBe('true');
    await fireEvent.keyDown(box, { key: 'Enter' });
    await until(() => expect(box.value).toBe('/review '));
    expect(options()).toHaveLength(0);
    expect(fake.callsOf('SendMessage')).toEqual([]); // Enter picked, it did not send
  });

  it('sends the text when every command is greyed, and Escape closes the menu without interrupting', async () => {
    const { fake, box } = await setup([{ name: 'model', source: 'corral', supported: false, note: 'no' }]);
    await type(box, '/');
    await until(() => expect(options()).toHaveLength(1));
    await fireEvent.keyDown(box, { key: 'Escape' });
    expect(options()).toHaveLength(0);
    expect(fake.callsOf('Interrupt')).toEqual([]);
    await type(box, '/m'); // the same "/": the menu stays closed
    await tick();
    expect(options()).toHaveLength(0);
    await type(box, ''); // a new "/" opens it again
    await type(box, '/m');
    await until(() => expect(options()).toHaveLength(1));
    await fireEvent.keyDown(box, { key: 'Enter' });
    await until(() => expect(fake.callsOf('SendMessage')).toEqual([{ sessionId: 's1', text: '/m' }]));
  });

  it('mentions a file with Tab', async () => {
    const { fake, box } = await setup([]);
    await type(box, 'read @main_');
    await until(() => expect(options().map((o) => o.textContent)).toEqual(['src/main_test.go']));
    expect(fake.callsOf('ListFiles').at(-1)).toEqual({ sessionId: 's1', query: 'main_', limit: 20 });
    await fireEvent.keyDown(box, { key: 'Tab' });
    await until(() => expect(box.value).toBe('read @src/main_test.go '));
  });

  it('sends files with the message, refuses them over the limit first, says when images go by path', async () => {
    const { fake, box } = await setup([], 'path');
    const input = screen.getByTestId('attach-input') as HTMLInputElement;
    const pick = async (files: File[]) => {
      Object.defineProperty(input, 'files', { value: files, configurable: true });
      await fireEvent.change(input);
    };
    await pick([new File([new Uint8Array(1200)], 'big.bin', { type: 'application/octet-stream' })]);
    await until(() => expect(screen.getByTestId('attach-problem').textContent).toContain('big.bin is 1.2 KB; the limit per file is 1000 B'));
    expect((screen.getByTestId('send') as HTMLButtonElement).disabled).toBe(true);
    await fireEvent.click(screen.getByRole('button', { name: 'Remove big.bin' }));
    await pick([new File([new Uint8Array([1, 2, 3])], 'dot.png', { type: 'image/png' })]);
    await until(() => expect(screen.getAllByTestId('pending-attachment')).toHaveLength(1));
    expect(screen.getByTestId('attach-note').textContent).toContain('file path only');
    await type(box, 'look');
    await fireEvent.keyDown(box, { key: 'Enter' });
    await until(() => expect(fake.callsOf('SendMessage')).toEqual([{ sessionId: 's1', text: 'look', attachments: [{ name: 'dot.png', mimeType: 'image/png', data: 'AQID' }] }]));
    await until(() => expect(screen.queryAllByTestId('pending-attachment')).toHaveLength(0));
  });

  it('shows a sent message with its thumbnail and file chip', async () => {
    const { fake } = await setup([]);
    fake.push(
      ev(1, 'run.started', {
        prompt: 'look',
        attachments: [
          { id: 'a1', name: 'dot.png', mimeType: 'image/png', size: 3 },
          { id: 'a2', name: 'notes.txt', mimeType: 'text/plain', size: 5 },
        ],
      }),
    );
    await tick();
    await until(() => expect(screen.getByTestId('attachment-thumb').querySelector('img')?.getAttribute('src')).toBe('data:image/png;base64,AAAA'));
    expect(screen.getByTestId('attachment-chip').textContent).toContain('notes.txt');
    expect(fake.callsOf('GetAttachment')).toEqual([{ sessionId: 's1', attachmentId: 'a1' }]);
  });
});
