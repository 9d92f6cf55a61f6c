// "Import…" in the new-session dialog: the chosen agent's own
// conversations of the chosen directory are listed and one is opened as a
// session; agents without import offer no button; an imported prompt does
// not make the session look busy.
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen } from '@testing-library/svelte';
import { BackendError } from '../lib/api';
import { Store } from '../lib/store/store.svelte';
import NewSessionDialog from '../components/NewSessionDialog.svelte';
import { FakeBackend, ev, sync, until } from './fake';

afterEach(() => cleanup());

const convo = (id: string, title: string) => ({
  externalId: id, agent: 'claude', cwd: '/home/me/src', title, startedAt: '2026-11-26T09:00:00Z', updatedAt: '2026-11-26T09:30:00Z', messages: 4,
});
const session = (id: string) => ({ id, agent: 'claude', cwd: '/home/me/src', status: 'active', title: 'fix the build', createdAt: '', lastActivity: '', costUsd: 0, inputTokens: 0, outputTokens: 0, messages: 2, eventCount: 4, pendingPermissions: 0 });

function dialog(handlers: Record<string, (p: any) => any> = {}) {
  const fake = new FakeBackend({
    ListAgents: () => [
      { name: 'claude', command: 'claude', protocol: 'claude', version: '2.1.4', status: 'ok' },
      { name: 'gemini', command: 'gemini', protocol: 'gemini', version: '0.61.0', status: 'ok' },
    ],
    ListExternalSessions: () => ({ sessions: [convo('c1', 'fix the build'), convo('c2', 'older one')] }),
    ImportSession: (p: any) => ({ session: session('s-imp-' + p.externalId) }),
    ...handlers,
  });
  const store = new Store(fake, { schedule: sync, notifier: { hidden: () => false, notify: () => {} } });
  render(NewSessionDialog, { store, open: true });
  return { fake, store };
}

describe('Import… in the new-session dialog', () => {
  it('lists the conversations of the directory and opens one', async () => {
    const { fake, store } = dialog();
    await until(() => expect(screen.getByText('2.1.4')).toBeTruthy());
    await fireEvent.input(screen.getByLabelText('Working directory'), { target: { value: '/home/me/src' } });
    await fireEvent.click(screen.getByTestId('import-open'));
    await until(() => expect(screen.getAllByTestId('import-item').map((b) => b.textContent)).toEqual([
      expect.stringContaining('fix the build'), expect.stringContaining('older one')]));
    expect(fake.callsOf('ListExternalSessions')).toEqual([{ agent: 'claude', cwd: '/home/me/src' }]);
    await fireEvent.click(screen.getAllByTestId('import-item')[0]);
    await until(() => expect(fake.callsOf('ImportSession')).toEqual([{ agent: 'claude', externalId: 'c1' }]));
    await until(() => expect(store.selected).toBe('s-imp-c1'));
    expect(store.state.sessions.get('s-imp-c1')?.title).toBe('fix the build');
    expect(screen.queryByTestId('import-panel')).toBeNull();
  });

  it('says when there is nothing to import and shows a refusal', async () => {
    const { fake } = dialog({
      ListExternalSessions: () => ({ sessions: [] }),
    });
    await until(() => expect(screen.getByText('2.1.4')).toBeTruthy());
    await fireEvent.input(screen.getByLabelText('Working directory'), { target: { value: '/home/me/src' } });
    await fireEvent.click(screen.getByTestId('import-open'));
    await until(() => expect(screen.getByTestId('import-empty')).toBeTruthy());
    fake.handlers.ListExternalSessions = () => new BackendError('invalid_argument', 'agent "claude": no import');
    await fireEvent.input(screen.getByLabelText('Working directory'), { target: { value: '/home/me' } });
    await until(() => expect(screen.getByTestId('import-error').textContent).toContain('no import'));
  });

  it('offers no import for an agent without one', async () => {
    dialog();
    await until(() => expect(screen.getByText('0.61.0')).toBeTruthy());
    expect(screen.getByTestId('import-open')).toBeTruthy();
    await fireEvent.click(screen.getByLabelText(/gemini/));
    await until(() => expect(screen.queryByTestId('import-open')).toBeNull());
  });
});

describe('an imported session in the store', () => {
  it('an imported prompt is history, not a turn in progress', async () => {
    const fake = new FakeBackend({ ListSessions: () => [session('s1')] });
    const store = new Store(fake, { schedule: sync, notifier: { hidden: () => false, notify: () => {} } });
    await store.start();
    fake.push(ev(1, 'run.started', { prompt: 'old prompt', imported: true }, { sessionId: 's1' }));
    expect(store.state.sessions.get('s1')?.status).toBe('active');
    fake.push(ev(2, 'run.started', { prompt: 'new prompt' }, { sessionId: 's1', runId: 'r1' }));
    expect(store.state.sessions.get('s1')?.status).toBe('processing');
  });
});
