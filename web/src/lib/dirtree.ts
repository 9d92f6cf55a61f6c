// An in-memory directory tree that answers ListDirectory the way the Go
// facade does, for the demo backend and the tests (kept apart from dirs.ts
// so the page's own bundle does not carry it).
import { BackendError, ErrorCodes, type ListDirectoryParams, type ListDirectoryResult } from './api';

/** Orders names as the facade does: case-insensitively, then exactly. */
export function byName(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  if (x !== y) return x < y ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * A ListDirectory over a fixed tree of Unix directories (every ancestor of
 * a listed path exists too), answering with the facade's results and error
 * codes.
 */
export function memoryTree(dirs: string[], home: string): (p: ListDirectoryParams) => ListDirectoryResult {
  const all = new Set<string>(['/']);
  for (const d of [...dirs, home]) {
    let acc = '';
    for (const part of d.split('/').filter(Boolean)) all.add((acc += '/' + part));
  }
  return (p) => {
    let path = p.path ?? '';
    if (path === '' || path === '~' || path.startsWith('~/')) path = home + path.slice(1);
    if (!path.startsWith('/')) throw new BackendError(ErrorCodes.InvalidArgument, `path "${path}" is relative; give an absolute path`);
    const clean: string[] = [];
    for (const part of path.split('/')) {
      if (part === '' || part === '.') continue;
      if (part === '..') clean.pop();
      else clean.push(part);
    }
    path = '/' + clean.join('/');
    if (!all.has(path)) throw new BackendError(ErrorCodes.NotFound, `directory ${path} does not exist`);
    const prefix = path === '/' ? '/' : path + '/';
    const entries = [...all]
      .filter((d) => d.startsWith(prefix) && d !== path && !d.slice(prefix.length).includes('/'))
      .map((d) => ({ name: d.slice(prefix.length), path: d }))
      .filter((e) => p.showHidden || !e.name.startsWith('.'))
      .sort((a, b) => byName(a.name, b.name));
    const parent = path === '/' ? '' : '/' + clean.slice(0, -1).join('/');
    return { path, parent, entries, truncated: false };
  };
}
