import { describe, expect, it } from 'vitest';
import { codeFromHash, guessDeviceName, normalizeCode, pairDevice, plausibleCode } from './pairing';

describe('pairing', () => {
  it('reads the code from the fragment', () => {
    expect(codeFromHash('#code=abcd-2345')).toBe('ABCD2345');
    expect(codeFromHash('')).toBe('');
  });
  it('normalises and checks codes', () => {
    expect(normalizeCode(' ab cd-ef gh ')).toBe('ABCDEFGH');
    expect(plausibleCode('ABCD2345')).toBe(true);
    expect(plausibleCode('ABCD0345')).toBe(false); // 0 is not in the alphabet
    expect(plausibleCode('ABC')).toBe(false);
  });
  it('guesses a device name', () => {
    expect(guessDeviceName('Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)')).toBe('iPhone');
    expect(guessDeviceName('Mozilla/5.0 (Linux; Android 14; Pixel) Mobile')).toBe('Android phone');
  });
  it('sends the code without a token and returns the device token', async () => {
    let sent: RequestInit | undefined;
    const f = (async (_u: string, init: RequestInit) => {
      sent = init;
      return new Response(JSON.stringify({ token: 't'.repeat(32), deviceId: 'dev_1' }), { status: 200 });
    }) as unknown as typeof fetch;
    const r = await pairDevice('abcd-2345', 'phone', f);
    expect(r.token).toBe('t'.repeat(32));
    expect(JSON.parse(String(sent!.body))).toEqual({ code: 'ABCD2345', deviceName: 'phone' });
    expect((sent!.headers as Record<string, string>).Authorization).toBeUndefined();
  });
  it('reports a refusal with its code', async () => {
    const f = (async () => new Response(JSON.stringify({ error: { code: 'unauthorized', message: 'wrong pairing code' } }), { status: 401 })) as unknown as typeof fetch;
    await expect(pairDevice('ABCD2345', 'phone', f)).rejects.toMatchObject({ code: 'unauthorized', message: 'wrong pairing code' });
  });
});
