// The breadcrumb segments of an absolute path, for the directory browser.

export interface Crumb {
  /** what the segment shows */
  name: string;
  /** the absolute path up to and including the segment */
  path: string;
}

/**
 * The segments of an absolute path, the root first: "/home/me" gives "/",
 * "home", "me"; "C:\Users\me" gives "C:\", "Users", "me"; a UNC path starts
 * with its "\\server\share\".
 */
export function crumbs(path: string): Crumb[] {
  const win = /^[A-Za-z]:[\\/]/.test(path) || path.startsWith('\\\\');
  const sep = win ? '\\' : '/';
  const parts = path.split(win ? /[\\/]+/ : /\/+/);
  let root: string;
  let rest: string[];
  if (!win) {
    root = '/';
    rest = parts.filter(Boolean);
  } else if (path.startsWith('\\\\')) {
    const [server = '', share = '', ...more] = parts.filter(Boolean);
    root = `\\\\${server}\\${share}\\`;
    rest = more;
  } else {
    root = parts[0] + '\\';
    rest = parts.slice(1).filter(Boolean);
  }
  const out: Crumb[] = [{ name: root, path: root }];
  let acc = root;
  for (const p of rest) {
    acc = acc.endsWith(sep) ? acc + p : acc + sep + p;
    out.push({ name: p, path: acc });
  }
  return out;
}
