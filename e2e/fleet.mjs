// The fleet in the browser: a hub (corral serve --fleet) and a runner
// (corral runner) as separate processes with separate data directories.
// The runner shows online in the Machines view with its agents; the
// new-session dialog offers it with its status and, chosen, offers its
// agents (the runner has one the hub has not); after kill -9 it shows lost
// in both, disabled in the dialog. A session started on this machine names
// its machine in the list and the header.
import { spawn, execFileSync } from 'node:child_process';
import { openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export async function fleetTest({ startServe, stopServe, corral, configPath, serveEnv, started, exitOf, openPage, waitFor, check, tmp, artifacts }, page) {
  const hub = await startServe('fleet-hub', join(tmp, 'fleet-hub'), ['--fleet', '--fleet-addr', '127.0.0.1:0', '--fleet-timeout', '3s']);
  let runner = null;
  try {
    const nats = JSON.parse(readFileSync(join(hub.dataDir, 'fleet', 'hub.json'), 'utf8')).url;
    const creds = join(tmp, 'e2e-box.creds');
    execFileSync(corral, ['fleet', 'add', 'e2e-box', '--out', creds, '--data', hub.dataDir], { env: serveEnv });
    // the runner's configuration: the hub's, plus an agent only the runner has
    const hubConfig = readFileSync(configPath, 'utf8');
    const fakeCommand = /\[agents\.fake\]\ncommand = (.+)\n/.exec(hubConfig)[1];
    const runnerConfig = join(tmp, 'fleet-runner.toml');
    writeFileSync(runnerConfig, `${hubConfig}\n[agents.boxonly]\ncommand = ${fakeCommand}\nprotocol = "claude"\nenv = { CORRAL_FAKEAGENT = "1" }\n`);
    const fd = openSync(join(tmp, 'fleet-runner.log'), 'a');
    runner = spawn(corral, ['runner', '--hub', nats, '--creds', creds, '--data', join(tmp, 'fleet-runner'), '--config', runnerConfig, '--heartbeat', '500ms', '--label', 'role=e2e'], {
      stdio: ['ignore', fd, fd],
      env: serveEnv,
    });
    started.add(runner);

    await openPage(page, hub);
    await page.getByTestId('tab-machines').click();
    const row = page.getByTestId('machine-e2e-box');
    await row.getByTestId('machine-status').filter({ hasText: 'online' }).waitFor({ timeout: 30000 });
    const text = await row.textContent();
    check(text.includes('fake') && text.includes('boxonly') && text.includes('role=e2e'), `the runner's row lacks its agents or label: ${text}`);
    await page.screenshot({ path: join(artifacts, 'fleet-machines.png') });

    // the new-session dialog offers the machine
    await page.getByTestId('tab-sessions').click();
    await page.getByTestId('new-session').click();
    const chooser = page.getByTestId('machine-select');
    await chooser.waitFor({ timeout: 15000 });
    const options = () => chooser.locator('option').evaluateAll((os) => os.map((o) => ({ value: o.value, text: o.textContent, disabled: o.disabled })));
    const values = (await options()).map((o) => o.value);
    check(values.includes('e2e-box') && values.includes('*') && values.includes(''), `machine choices ${values}`);
    const box = (await options()).find((o) => o.value === 'e2e-box');
    check(!box.disabled && box.text.includes('online'), `the runner's choice: ${JSON.stringify(box)}`);
    const agentsOffered = () => page.locator('input[name="agent"]').evaluateAll((is) => is.map((i) => i.value));
    // this machine: the hub's agents; the runner: its own
    await page.locator('input[name="agent"][value="fake"]').waitFor({ timeout: 15000 });
    check(!(await agentsOffered()).includes('boxonly'), `this machine offers the runner's agent: ${await agentsOffered()}`);
    await chooser.selectOption('e2e-box');
    await page.locator('input[name="agent"][value="boxonly"]').waitFor({ timeout: 15000 });
    const onBox = await agentsOffered();
    check(onBox.includes('fake') && onBox.includes('boxonly'), `the runner's agents offered: ${onBox}`);
    check((await page.getByTestId('machine-help').textContent()).includes('role=e2e'), 'the chosen runner shows its labels');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: join(artifacts, 'fleet-dialog-phone.png') });
    const overflow = await page.getByTestId('new-session-dialog').evaluate((d) => d.scrollWidth - d.clientWidth);
    check(overflow <= 0, `the dialog overflows by ${overflow} px at 390 px`);
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.screenshot({ path: join(artifacts, 'fleet-dialog.png') });
    await page.keyboard.press('Escape');

    // kill -9: lost within the hub's timeout
    runner.kill('SIGKILL');
    await exitOf(runner);
    await page.getByTestId('tab-machines').click();
    await row.getByTestId('machine-status').filter({ hasText: 'lost' }).waitFor({ timeout: 30000 });
    // the dialog (loading the runners anew) offers it no more, and says why
    await page.getByTestId('tab-sessions').click();
    await page.getByTestId('new-session').click();
    await chooser.waitFor({ timeout: 15000 });
    await waitFor('the lost runner disabled in the dialog', async () => {
      const b = (await options()).find((o) => o.value === 'e2e-box');
      return b?.disabled && b.text.includes('lost');
    });
    check((await chooser.inputValue()) === '', 'the chooser is on this machine');
    await page.screenshot({ path: join(artifacts, 'fleet-dialog-lost.png') });

    // a session on this machine: the list and the header name the machine
    await page.locator('dialog input[type=radio][value=fake]').check();
    await page.getByTestId('cwd-input').fill(tmp);
    await page.getByTestId('create-session').click();
    await page.getByTestId('conversation').waitFor();
    await page.getByTestId('conversation').getByTestId('session-machine').filter({ hasText: 'this machine' }).waitFor({ timeout: 15000 });
    await page.getByTestId('session-row').getByTestId('session-machine').filter({ hasText: 'this machine' }).waitFor({ timeout: 15000 });
    await page.screenshot({ path: join(artifacts, 'fleet-session.png') });
    await waitFor('the runner gone', async () => runner.exitCode !== null || runner.signalCode !== null);
  } finally {
    if (runner && runner.exitCode === null && runner.signalCode === null) runner.kill('SIGTERM');
    await stopServe(hub);
  }
}
