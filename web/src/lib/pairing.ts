// Pairing a device with corral (docs/remote.md): the device's page takes the
// code (from the QR code's URL fragment `#code=…`, or typed), sends it to
// `POST /api/pair` and keeps the token it gets in localStorage; from then on
// the token travels only in the Authorization header, never in a URL.

export { DEVICE_TOKEN_KEY } from './api';

export const PAIRING_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';

/** The code in a pairing URL's fragment (`#code=ABCD2345`), normalised. */
export function codeFromHash(hash: string): string {
  const h = hash.startsWith('#') ? hash.slice(1) : hash;
  return normalizeCode(new URLSearchParams(h).get('code') ?? '');
}

/** Upper case, without spaces and dashes (as corral compares it). */
export function normalizeCode(c: string): string {
  return c.toUpperCase().replace(/[\s-]/g, '');
}

/** Whether c can be a pairing code: 8 characters of the alphabet. */
export function plausibleCode(c: string): boolean {
  const n = normalizeCode(c);
  return n.length === 8 && [...n].every((ch) => PAIRING_ALPHABET.includes(ch));
}

/** A default name for this device, from its user agent. */
export function guessDeviceName(ua: string): string {
  if (/iPhone/.test(ua)) return 'iPhone';
  if (/iPad/.test(ua)) return 'iPad';
  if (/Android/.test(ua)) return /Mobile/.test(ua) ? 'Android phone' : 'Android tablet';
  if (/Macintosh/.test(ua)) return 'Mac';
  if (/Windows/.test(ua)) return 'Windows PC';
  if (/Linux/.test(ua)) return 'Linux PC';
  return 'device';
}

export class PairError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Exchanges a code for a device token: POST /api/pair. */
export async function pairDevice(code: string, deviceName: string, f: typeof fetch = fetch): Promise<{ token: string; deviceId: string }> {
  let res: Response;
  try {
    res = await f('/api/pair', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ code: normalizeCode(code), deviceName }),
    });
  } catch (e) {
    throw new PairError('transport', `corral is not reachable: ${(e as Error).message}`);
  }
  let body: any = null;
  try {
    body = await res.json();
  } catch {
    throw new PairError('transport', `bad reply from corral (HTTP ${res.status})`);
  }
  if (!res.ok || !body?.token) {
    throw new PairError(String(body?.error?.code ?? 'error'), String(body?.error?.message ?? `HTTP ${res.status}`));
  }
  return { token: String(body.token), deviceId: String(body.deviceId ?? '') };
}
