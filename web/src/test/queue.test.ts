// The message queue above the message box: queued messages with their
// place, edit in place, cancel, send now only where it can go now, a paused
// queue with its actions; queue.* events make every client read it again.
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, within } from '@testing-library/svelte';
import QueuePanel from '../components/QueuePanel.svelte';
import { Store } from '../lib/store/store.svelte';
import type { QueueInfo } from '../lib/contract.gen';
import { FakeBackend, ev, sync, until } from './fake';

afterEach(cleanup);

const msg = (id: string, position: number, text: string) => ({ id, position, text, createdAt: '', updatedAt: '' });

async function setup(q: QueueInfo, running = true) {
  let queue = q;
  const fake = new FakeBackend({
    ListSessions: () => [],
    ListQueued: () => queue,
    EditQueued: (p: { messageId: string; text: string }) => {
      queue = { ...queue, messages: queue.messages.map((m) => (m.id === p.messageId ? { ...m, text: p.text } : m)) };
      return queue.messages.find((m) => m.id === p.messageId);
    },
    CancelQueued: (p: { messageId: string }) => {
      queue = { ...queue, messages: queue.messages.filter((m) => m.id !== p.messageId).map((m, i) => ({ ...m, position: i + 1 })) };
      return {};
    },
  });
  const store = new Store(fake, { schedule: sync, notifier: { hidden: () => false, notify: () => {} } });
  await store.start();
  render(QueuePanel, { store, sessionId: 's1', running });
  return { fake, store, set: (n: QueueInfo) => (queue = n) };
}

describe('The message queue', () => {
  it('lists, edits and cancels queued messages; send now waits for the turn where the agent cannot steer', async () => {
    const { fake } = await setup({ messages: [msg('q1', 1, 'one'), msg('q2', 2, 'two')], paused: false, canSteer: false });
    const rows = await screen.findAllByTestId('queued-message');
    expect(rows.map((r) => within(r).getByTestId('queued-text').textContent)).toEqual(['one', 'two']);
    expect(rows.map((r) => within(r).getByLabelText('Position').textContent)).toEqual(['1', '2']);
    expect((within(rows[0]).getByTestId('queued-send-now') as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByTestId('queue-head').textContent).toContain('cannot take a message during its turn');

    await fireEvent.click(within(rows[1]).getByTestId('queued-edit'));
    const input = screen.getByTestId('queued-edit-input') as HTMLTextAreaElement;
    expect(input.value).toBe('two');
    await fireEvent.input(input, { target: { value: 'two, better ' } });
    await fireEvent.keyDown(input, { key: 'Enter' });
    await until(() => expect(screen.queryByTestId('queued-edit-input')).toBeNull());
    expect(fake.callsOf('EditQueued')).toEqual([{ sessionId: 's1', messageId: 'q2', text: 'two, better' }]);
    await until(() => expect(screen.getAllByTestId('queued-text').map((e) => e.textContent)).toEqual(['one', 'two, better']));

    await fireEvent.click(within(screen.getAllByTestId('queued-message')[0]).getByTestId('queued-cancel'));
    expect(fake.callsOf('CancelQueued')).toEqual([{ sessionId: 's1', messageId: 'q1' }]);
    await until(() => expect(screen.getAllByTestId('queued-text').map((e) => e.textContent)).toEqual(['two, better']));
  });

  it('shows the files of a queued message as chips; cancelling it drops the row with them', async () => {
    const files = [
      { id: 'a1', name: 'shot.png', mimeType: 'image/png', size: 2048 },
      { id: 'a2', name: 'notes.txt', mimeType: 'text/plain', size: 5 },
    ];
    const { fake } = await setup({ messages: [{ ...msg('q1', 1, 'look'), attachments: files }, msg('q2', 2, 'plain')], paused: false, canSteer: false });
    const rows = await screen.findAllByTestId('queued-message');
    const chips = within(rows[0]).getAllByTestId('queued-attachment');
    expect(chips.map((c) => c.textContent?.replace(/\s+/g, ' ').trim())).toEqual(['image: shot.png 2 KB', 'file: notes.txt 5 B']);
    expect(chips[1].getAttribute('title')).toContain('text/plain');
    expect(within(rows[1]).queryByTestId('queued-attachment')).toBeNull();
    await fireEvent.click(within(rows[0]).getByTestId('queued-cancel'));
    expect(fake.callsOf('CancelQueued')).toEqual([{ sessionId: 's1', messageId: 'q1' }]);
    await until(() => expect(screen.queryAllByTestId('queued-attachment')).toEqual([]));
  });

  it('offers send now into a running turn when the agent steers', async () => {
    const { fake } = await setup({ messages: [msg('q1', 1, 'one')], paused: false, canSteer: true });
    const now = (await screen.findByTestId('queued-send-now')) as HTMLButtonElement;
    expect(now.disabled).toBe(false);
    await fireEvent.click(now);
    expect(fake.callsOf('SendQueuedNow')).toEqual([{ sessionId: 's1', messageId: 'q1' }]);
  });

  it('shows a paused queue with send next now and resume', async () => {
    const { fake } = await setup({ messages: [msg('q1', 1, 'one')], paused: true, pausedReason: 'the turn did not end successfully (error)', canSteer: false }, false);
    const bar = await screen.findByTestId('queue-paused');
    expect(bar.textContent).toContain('Queue paused');
    expect(bar.textContent).toContain('(error)');
    await fireEvent.click(screen.getByTestId('queue-send-next'));
    await fireEvent.click(screen.getByTestId('queue-resume'));
    expect(fake.callsOf('SendQueuedNow')).toEqual([{ sessionId: 's1', messageId: 'q1' }]);
    expect(fake.callsOf('ResumeQueue')).toEqual([{ sessionId: 's1' }]);
  });

  it('reads the queue again on a queue event from another client', async () => {
    const { fake, set } = await setup({ messages: [], paused: false, canSteer: false });
    await until(() => expect(fake.callsOf('ListQueued').length).toBe(1));
    expect(screen.queryByTestId('queue')).toBeNull();
    set({ messages: [msg('q9', 1, 'from elsewhere')], paused: false, canSteer: false });
    fake.push(ev(1, 'queue.added', { messageId: 'q9', text: 'from elsewhere', position: 1 }));
    await until(() => expect(screen.getByTestId('queued-text').textContent).toBe('from elsewhere'));
  });
});

describe('Queued messages in the transcript', () => {
  it('shows a message taken into the running turn as a user message of that turn, and one sent as a turn once', async () => {
    const { Transcript } = await import('../lib/store/transcript');
    const t = new Transcript();
    t.add(ev(1, 'run.started', { prompt: 'first' }));
    t.add(ev(2, 'queue.sent', { messageId: 'q1', text: 'steer it', runId: 'r1', steered: true }));
    t.add(ev(3, 'run.started', { prompt: 'queued' }, { runId: 'r2' }));
    t.add(ev(4, 'queue.sent', { messageId: 'q2', text: 'queued', runId: 'r2' }, { runId: '' }));
    const users = t.items.filter((i) => i.type === 'user').map((i: any) => [i.text, i.runId]);
    expect(users).toEqual([
      ['first', 'r1'],
      ['steer it', 'r1'],
      ['queued', 'r2'],
    ]);
  });
});
