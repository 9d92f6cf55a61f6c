// The desktop smoke probe. corral-desktop runs this in its own window when
// CORRAL_DESKTOP_SMOKE names a report file (scripts/desktop-smoke.sh does).
// It drives the real page through the real bindings and reports every
// check with window.runtime.EventsEmit('corral:smoke', report).
(async (cfg) => {
  const rep = { checks: [], paintedAt: 0, listAt: 0, probeAt: Date.now(), bound: [], shell: [], events: 0 };
  const check = (name, ok, detail) =>
    rep.checks.push({ name, ok: !!ok, detail: detail === undefined || detail === null ? '' : String(detail) });
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const waitFor = async (fn, ms) => {
    const end = Date.now() + ms;
    for (;;) {
      try {
        const v = fn();
        if (v) return v;
      } catch (e) {
        // not there yet
      }
      if (Date.now() > end) return null;
      await sleep(20);
    }
  };
  const paint = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  try {
    const list = await waitFor(() => document.querySelector('[data-testid="session-list"]'), 20000);
    if (list) {
      rep.listAt = Date.now();
      await paint();
      rep.paintedAt = Date.now();
    }
    check('session list painted', list, list ? '' : 'no [data-testid=session-list] in the page');

    const App = window.go && window.go.api && window.go.api.App;
    check('facade bound as window.go.api.App', App && typeof App.ListAgents === 'function');
    rep.bound = App ? Object.keys(App).sort() : [];
    const Shell = window.go && window.go.main && window.go.main.Shell;
    rep.shell = Shell ? Object.keys(Shell).sort() : [];
    check('shell bound as window.go.main.Shell', Shell && typeof Shell.PickDirectory === 'function');

    const agents = await App.ListAgents({});
    const fake = (agents || []).find((a) => a.name === cfg.agent);
    check('ListAgents answers', Array.isArray(agents), JSON.stringify((agents || []).map((a) => a.name + ':' + a.status)));
    check('fake agent listed and ok', fake && fake.status === 'ok', fake ? fake.status + ' ' + (fake.message || '') : 'missing');

    const about = await Shell.About({});
    check('About lists versions and agents', about && about.versions && about.versions.corral && Array.isArray(about.agents),
      about ? JSON.stringify(about.versions) : '');

    // The folder browser's call, through the same binding.
    const dir = await App.ListDirectory({ path: cfg.cwd });
    check('ListDirectory lists a folder', dir && typeof dir.path === 'string' && Array.isArray(dir.entries) && typeof dir.truncated === 'boolean',
      dir ? dir.path + ': ' + dir.entries.length + ' folders' : '');
    try {
      await App.ListDirectory({ path: 'not/absolute' });
      check('ListDirectory refuses a relative path', false, 'it listed one');
    } catch (e) {
      let wire = null;
      try {
        wire = JSON.parse(e && e.message);
      } catch (_) {
        // not JSON
      }
      check('ListDirectory refuses a relative path', wire && wire.code === 'invalid_argument', e && e.message);
    }

    // Listen before creating, so no event can be missed.
    const seen = [];
    const off = window.runtime.EventsOn('corral:event', (ev) => seen.push(ev));
    const sess = await App.CreateSession({ agent: cfg.agent, cwd: cfg.cwd, prompt: cfg.prompt });
    check('CreateSession', sess && sess.id, sess && sess.id);
    const mine = () => seen.filter((e) => e.sessionId === sess.id);
    const text = () =>
      mine()
        .filter((e) => e.kind === 'assistant.text' && e.data && e.data.delta)
        .map((e) => e.data.text || '')
        .join('');
    const done = await waitFor(() => mine().some((e) => e.kind === 'turn.completed'), 30000);
    check('turn streamed as Wails events', done && text().includes(cfg.expect),
      `${mine().length} events: ${[...new Set(mine().map((e) => e.kind))].join(',')}; text ${JSON.stringify(text().slice(0, 80))}`);
    const cursors = mine().map((e) => e.cursor || 0);
    check('events in cursor order', cursors.every((c, i) => i === 0 || c > cursors[i - 1]), cursors.slice(0, 20).join(','));

    const row = await waitFor(() => document.querySelector(`[data-session-id="${sess.id}"]`), 15000);
    check('session appears in the session list', row);
    if (row) row.click();
    const shown = await waitFor(() => {
      const c = document.querySelector('[data-testid="conversation"]');
      return c && c.innerText.includes(cfg.expect) ? c : null;
    }, 15000);
    check('streamed reply rendered in the window', shown);

    // A permission request shown in the window and allowed there.
    const turns = () => mine().filter((e) => e.kind === 'turn.completed').length;
    const before = turns();
    await App.SendMessage({ sessionId: sess.id, text: 'tool:ls' });
    const prompt = await waitFor(() => document.querySelector('[data-testid="permission-prompt"]'), 15000);
    check('permission request shown in the window', prompt,
      mine().filter((e) => e.kind === 'permission.request').length + ' permission.request events');
    const allow = prompt && prompt.querySelector('[data-testid="allow"]');
    if (allow) allow.click();
    const ran = await waitFor(() => turns() > before && mine().some((e) => e.kind === 'tool.result'), 15000);
    const result = mine().find((e) => e.kind === 'tool.result');
    check('allowed from the window, the tool ran', ran && result && JSON.stringify(result.data).includes('ran: ls'),
      result ? JSON.stringify(result.data).slice(0, 120) : 'no tool.result');

    // Process control through the policy: a one-shot command and a
    // spawned one whose output arrives as events.
    if (cfg.capability) {
      const res = await App.Execute({ capability: cfg.capability, args: ['hello', 'window'] });
      check('Execute runs an allowed command', res && res.code === 0 && res.stdout === 'hello window\n', JSON.stringify(res));
      const sp = await App.Spawn({ capability: cfg.capability, args: ['hello', 'spawned'] });
      const procEvents = () => seen.filter((e) => e.processId === sp.processId);
      const exited = await waitFor(() => procEvents().some((e) => e.kind === 'run.exited'), 15000);
      const out = procEvents().filter((e) => e.kind === 'stdout').map((e) => JSON.stringify(e.data)).join('');
      check('Spawn output streams as events', exited && out.includes('hello spawned'),
        `${procEvents().length} events: ${[...new Set(procEvents().map((e) => e.kind))].join(',')}; ${out.slice(0, 120)}`);
      try {
        await App.Execute({ capability: cfg.capability, args: ['goodbye', 'window'] });
        check('policy refuses arguments outside the capability', false, 'accepted');
      } catch (e) {
        let wire = null;
        try {
          wire = JSON.parse(e && e.message);
        } catch (_) {
          // not JSON
        }
        check('policy refuses arguments outside the capability', wire && wire.code === 'policy_denied', e && e.message);
      }
    }

    try {
      await App.CreateSession({ agent: cfg.agent });
      check('invalid call rejected with a code', false, 'accepted');
    } catch (e) {
      // Wails rejects with an Error whose message is the facade's
      // {code, message} as JSON (what the frontend's adapter parses).
      let wire = null;
      try {
        wire = JSON.parse(e && e.message);
      } catch (_) {
        // not JSON
      }
      check('invalid call rejected with a code', wire && wire.code === 'invalid_argument', e && e.message);
    }
    // The native folder picker: the smoke script answers the dialog with
    // xdotool (types cfg.pick and presses Return).
    if (cfg.pick) {
      const picked = await Promise.race([
        Shell.PickDirectory({ title: 'corral smoke: choose a folder', start: cfg.cwd }),
        sleep(30000).then(() => ({ path: '(timed out)' })),
      ]);
      check('native folder picker returns the chosen folder', picked && picked.path === cfg.pick, picked && picked.path);
      // The About box: the script photographs it and closes it.
      const closed = await Promise.race([
        Shell.ShowAbout({}).then(() => 'closed'),
        sleep(30000).then(() => 'timed out'),
      ]);
      check('native About box opens and closes', closed === 'closed', closed);
    }

    if (typeof off === 'function') off();
    rep.events = seen.length;
    rep.sessionId = sess && sess.id;
  } catch (e) {
    check('probe ran without exceptions', false, e && (e.stack || e.message || JSON.stringify(e)));
  }
  window.runtime.EventsEmit('corral:smoke', rep);
})(__CFG__);
