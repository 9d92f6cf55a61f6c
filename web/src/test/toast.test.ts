// Failed calls: a short human toast that goes away by itself (paused while
// hovered or focused), the full detail in the Errors view.
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen } from '@testing-library/svelte';
import App from '../App.svelte';
import Toast from '../components/Toast.svelte';
import { Store } from '../lib/store/store.svelte';
import { BackendError } from '../lib/api';
import { CODE_SENTENCES, humanError } from '../lib/errors';
import { FakeBackend, sync, until } from './fake';

afterEach(() => cleanup());
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('humanError', () => {
  it('says every documented code in plain words, without the server text', () => {
    for (const code of ['not_found', 'invalid_argument', 'policy_denied', 'permission_denied', 'limit_reached', 'spawn_failed', 'conflict', 'unauthorized', 'storage_full', 'store_failed', 'internal', 'transport']) {
      const h = humanError(new BackendError(code, 'api: session s-1234abcd: store: write /data/x: no space left on device'), 'Could not start the session');
      expect(h.short.startsWith('Could not start the session: ')).toBe(true);
      expect(h.short).not.toMatch(/s-1234abcd|store:|\/data/);
      expect(h.detail).toContain('no space left on device');
      expect(CODE_SENTENCES[code]).toBeTruthy();
    }
    expect(humanError(new BackendError('storage_full', 'x')).short).toBe("The disk of corral's data directory is full.");
    expect(humanError(new Error('fetch failed')).short).toBe('Something went wrong.');
    expect(humanError(new BackendError('weird', 'x'), 'Could not stop').short).toBe('Could not stop: something went wrong.');
  });
});

describe('Toast', () => {
  it('dismisses itself, waits while hovered or focused, and can be dismissed', async () => {
    let gone = 0;
    const r = render(Toast, { toast: { id: 1, message: 'Could not stop: corral could not be reached.' }, ondismiss: () => gone++, timeout: 60 });
    const t = screen.getByTestId('toast');
    await fireEvent.mouseEnter(t);
    await sleep(200);
    expect(gone).toBe(0); // paused under the pointer
    await fireEvent.mouseLeave(t);
    await until(() => expect(gone).toBe(1));
    cleanup();
    gone = 0;
    render(Toast, { toast: { id: 2, message: 'x' }, ondismiss: () => gone++, timeout: 60 });
    const dismiss = screen.getByLabelText('Dismiss');
    dismiss.focus();
    await fireEvent.focusIn(dismiss);
    await sleep(200);
    expect(gone).toBe(0); // paused while focus is inside
    await fireEvent.click(dismiss);
    expect(gone).toBe(1);
    void r;
  });

  it('in the app: a failure shows in short, leads to its detail in Errors, and goes away', async () => {
    const fake = new FakeBackend({
      ListSessions: () => [{ id: 's1', agent: 'claude', cwd: '/x', status: 'idle', createdAt: '', lastActivity: '', costUsd: 0 }],
      SendMessage: () => new BackendError('conflict', 'session s-99: session: conflicts with the current state: a turn is running'),
    });
    const store = new Store(fake, { schedule: sync, notifier: { hidden: () => false, notify: () => {} } });
    await store.start();
    render(App, { store, toastMs: 80 });
    await store.send('s1', 'hi');
    const toast = await until(() => screen.getByTestId('toast'));
    expect(toast.textContent).toContain('Could not send the message: not possible right now');
    expect(toast.textContent).not.toContain('s-99');
    expect(screen.getByTestId('tab-errors').textContent).toContain('1');
    await fireEvent.click(screen.getByTestId('toast-details'));
    expect(screen.queryByTestId('toast')).toBeNull();
    const row = screen.getByTestId('error-row');
    expect(row.textContent).toContain('conflict');
    expect(row.textContent).toContain('a turn is running');
    expect(screen.getByText('Requests from this page')).toBeTruthy();
    // a later failure goes away by itself
    await store.send('s1', 'again');
    await until(() => expect(screen.getByTestId('toast')).toBeTruthy());
    await until(() => expect(screen.queryByTestId('toast')).toBeNull());
  });
});
