// Formatting helpers shared by the views.

/**
 * Milliseconds of an RFC 3339 time, 0 when absent or unreadable. Times are
 * compared through this, never as strings: Go trims trailing zeros of the
 * fraction, so "…:49.8Z" is earlier than "…:49.833Z" but sorts after it.
 */
export function ms(t: string | undefined): number {
  if (!t) return 0;
  const v = Date.parse(t);
  return Number.isFinite(v) ? v : 0;
}

export function fmtCost(usd: number | undefined): string {
  if (!usd) return '$0.00';
  return usd < 0.01 ? `$${usd.toFixed(4)}` : `$${usd.toFixed(2)}`;
}

export function fmtBytes(n: number | undefined): string {
  if (!n || n < 0) return '0 B';
  const u = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < u.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 100 || i === 0 ? Math.round(v) : v.toFixed(1)} ${u[i]}`;
}

export function fmtDuration(ms: number | undefined): string {
  if (!ms || ms < 0) return '0s';
  const s = Math.floor(ms / 1000);
  if (s < 60) return ms < 10_000 ? `${(ms / 1000).toFixed(1)}s` : `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

export function fmtAgo(iso: string | undefined, now = Date.now()): string {
  if (!iso) return '';
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return '';
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 10) return 'just now';
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return new Date(t).toLocaleDateString();
}

export function fmtTokens(n: number | undefined): string {
  if (!n) return '0';
  return n >= 10_000 ? `${(n / 1000).toFixed(1)}k` : String(n);
}

export const STATUS_LABEL: Record<string, string> = {
  active: 'active',
  idle: 'idle',
  processing: 'processing',
  waiting_permission: 'waiting for permission',
  error: 'error',
  interrupted: 'interrupted',
  rate_limited: 'rate-limited',
  terminated: 'ended',
  // the hub lost the runner that owns the session (fleet)
  disconnected: 'machine unreachable',
};

export function shortPath(p: string): string {
  if (!p) return '';
  const parts = p.split(/[\\/]/).filter(Boolean);
  return parts.length <= 2 ? p : '…/' + parts.slice(-2).join('/');
}

/** Pretty JSON for display; strings are shown as they are. */
export function pretty(v: unknown): string {
  if (typeof v === 'string') return v;
  try {
    return JSON.stringify(v, null, 2) ?? '';
  } catch {
    return String(v);
  }
}
