// The processes view's sparklines fed by the server's resource series
// (GetProcessStats): the history at once, then what is new.
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render, screen } from '@testing-library/svelte';
import ProcessMonitor from '../components/ProcessMonitor.svelte';
import { Store } from '../lib/store/store.svelte';
import { CorralState } from '../lib/store/state';
import { BackendError } from '../lib/api';
import { FakeBackend, sync, until } from './fake';

afterEach(() => cleanup());

const proc = { processId: 'p1', pid: 42, name: 'claude', state: 'running', startedAt: new Date(Date.now() - 600_000).toISOString(), uptimeMs: 600_000, cpu: 3, rss: 5e7, restarts: 0 };
const points = (label: string) => (screen.getByRole('img', { name: label }).querySelector('polyline')?.getAttribute('points') ?? '').split(' ').filter(Boolean);

describe('process sparklines', () => {
  it('show the CPU and memory history read with GetProcessStats, then what is new', async () => {
    const t0 = Date.now() - 240_000;
    // two minutes of history every 2 s, then one new sample per poll
    let samples = Array.from({ length: 60 }, (_, i) => ({ t: t0 + i * 2000, cpu: i % 10, rss: 4e7 + i * 1e5 }));
    const fake = new FakeBackend({
      ListProcesses: () => [proc],
      GetProcessStats: (p: any) => ({ series: [{ processId: 'p1', samples: samples.filter((x) => !p.sinceMs || x.t > p.sinceMs) }, { processId: 'gone', ended: true, samples: [{ t: t0, cpu: 1, rss: 1 }] }] }),
    });
    const store = new Store(fake, { schedule: sync, notifier: { hidden: () => false, notify: () => {} } });
    await store.start();
    render(ProcessMonitor, { store, pollMs: 30 });
    await until(() => expect(points('CPU of claude, last 5 minutes').length).toBe(60));
    expect(points('Memory of claude, last 5 minutes').length).toBe(60);
    expect(fake.callsOf('GetProcessStats')[0]).toEqual({});
    samples = [...samples, { t: t0 + 120_000, cpu: 50, rss: 9e7 }];
    await until(() => expect(points('CPU of claude, last 5 minutes').length).toBe(61));
    // later polls ask only for what is new (with some overlap), and nothing is doubled
    const later = fake.callsOf('GetProcessStats').at(-1);
    expect(later.sinceMs).toBeGreaterThanOrEqual(t0 + 118_000 - 5000);
    expect(store.state.processes.get('p1')!.samples.map((s) => s.t)).toEqual(samples.map((s) => s.t));
    expect(store.state.processes.has('gone')).toBe(false);
  });

  it('fall back to one sample per poll on a server without GetProcessStats, without a toast', async () => {
    // (a failure of another kind is listed in the Errors view once)
    {
      const fake = new FakeBackend({ ListProcesses: () => [proc], GetProcessStats: () => new BackendError('internal', 'boom') });
      const store = new Store(fake, { schedule: sync, notifier: { hidden: () => false, notify: () => {} } });
      await store.start();
      render(ProcessMonitor, { store, pollMs: 30 });
      await until(() => expect(fake.callsOf('GetProcessStats').length).toBeGreaterThanOrEqual(3));
      expect(store.state.errors.get('calls')?.length).toBe(1);
      expect(store.toast).toBeNull();
      cleanup();
    }
    const fake = new FakeBackend({ ListProcesses: () => [proc], GetProcessStats: () => new BackendError('not_found', 'unknown method GetProcessStats') });
    const store = new Store(fake, { schedule: sync, notifier: { hidden: () => false, notify: () => {} } });
    await store.start();
    render(ProcessMonitor, { store, pollMs: 30 });
    await until(() => expect(points('CPU of claude, last 5 minutes').length).toBeGreaterThanOrEqual(2));
    expect(store.toast).toBeNull();
    expect(store.state.errors.get('calls')).toBeUndefined(); // an older server: nothing went wrong
  });

  it('merge series in time order, each instant once, five minutes kept', () => {
    const st = new CorralState();
    st.setProcesses([proc as any]);
    expect(st.processes.get('p1')!.samples).toEqual([]); // no local sample while the source is unknown
    const n = st.mergeSeries([{ processId: 'p1', samples: [{ t: 400_000, cpu: 1, rss: 1 }, { t: 10_000, cpu: 2, rss: 2 }] }]);
    expect(n).toBe(10_000); // (the last of the series, which is oldest first)
    st.mergeSeries([{ processId: 'p1', samples: [{ t: 400_000, cpu: 3, rss: 3 }, { t: 402_000, cpu: 4, rss: 4 }] }]);
    expect(st.processes.get('p1')!.samples).toEqual([
      { t: 400_000, cpu: 3, rss: 3 },
      { t: 402_000, cpu: 4, rss: 4 },
    ]);
  });
});
