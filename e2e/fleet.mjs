// The fleet in the browser: a hub (corral serve --fleet) and a runner
// (corral runner) as separate processes with separate data directories.
// The runner shows online in the Machines view with its agents, the
// new-session dialog offers it, and after kill -9 it shows lost.
import { spawn, execFileSync } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export async function fleetTest({ startServe, stopServe, corral, configPath, serveEnv, started, exitOf, openPage, waitFor, check, tmp, artifacts }, page) {
  const hub = await startServe('fleet-hub', join(tmp, 'fleet-hub'), ['--fleet', '--fleet-addr', '127.0.0.1:0', '--fleet-timeout', '3s']);
  let runner = null;
  try {
    const nats = JSON.parse(readFileSync(join(hub.dataDir, 'fleet', 'hub.json'), 'utf8')).url;
    const creds = join(tmp, 'e2e-box.creds');
    execFileSync(corral, ['fleet', 'add', 'e2e-box', '--out', creds, '--data', hub.dataDir], { env: serveEnv });
    const fd = openSync(join(tmp, 'fleet-runner.log'), 'a');
    runner = spawn(corral, ['runner', '--hub', nats, '--creds', creds, '--data', join(tmp, 'fleet-runner'), '--config', configPath, '--heartbeat', '500ms', '--label', 'role=e2e'], {
      stdio: ['ignore', fd, fd],
      env: serveEnv,
    });
    started.add(runner);

    await openPage(page, hub);
    await page.getByTestId('tab-machines').click();
    const row = page.getByTestId('machine-e2e-box');
    await row.getByTestId('machine-status').filter({ hasText: 'online' }).waitFor({ timeout: 30000 });
    const text = await row.textContent();
    check(text.includes('fake') && text.includes('role=e2e'), `the runner's row lacks its agent or label: ${text}`);
    await page.screenshot({ path: join(artifacts, 'fleet-machines.png') });

    // the new-session dialog offers the machine
    await page.getByTestId('tab-sessions').click();
    await page.getByTestId('new-session').click();
    const chooser = page.getByTestId('machine-select');
    await chooser.waitFor({ timeout: 15000 });
    const values = await chooser.locator('option').evaluateAll((os) => os.map((o) => o.value));
    check(values.includes('e2e-box') && values.includes('*') && values.includes(''), `machine choices ${values}`);
    await page.keyboard.press('Escape');

    // kill -9: lost within the hub's timeout
    runner.kill('SIGKILL');
    await exitOf(runner);
    await page.getByTestId('tab-machines').click();
    await row.getByTestId('machine-status').filter({ hasText: 'lost' }).waitFor({ timeout: 30000 });
    await waitFor('the runner gone', async () => runner.exitCode !== null || runner.signalCode !== null);
  } finally {
    if (runner && runner.exitCode === null && runner.signalCode === null) runner.kill('SIGTERM');
    await stopServe(hub);
  }
}
