/**
 * A time left as "1:05:09", "4:07" or "0:03"; from a day on as "2 d 21 h"
 * (a weekly window's reset is no count of seconds); "now" when none is
 * left.
 */
export function countdown(msLeft: number): string {
  if (!(msLeft > 0)) return 'now';
  const s = Math.ceil(msLeft / 1000);
  if (s >= 86400) return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}
