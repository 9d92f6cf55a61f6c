// Height bookkeeping for the virtual list: a Fenwick tree over row heights so
// that "where does row i start", "which row is at offset y" and "row i is
// now h pixels tall" are all O(log n) for lists of 100,000 rows and more.
// Rows not yet measured count with the estimated height.

export class HeightIndex {
  private n = 0;
  private cap = 0;
  private heights = new Float64Array(0);
  private tree = new Float64Array(1);

  constructor(public estimate: number) {}

  get count(): number {
    return this.n;
  }

  /** Grows or shrinks to n rows; new rows get the estimated height. */
  setCount(n: number): void {
    if (n === this.n) return;
    if (n < this.n) {
      this.n = n;
      this.rebuild(this.cap);
      return;
    }
    if (n > this.cap) {
      const cap = Math.max(n, this.cap * 2, 64);
      const h = new Float64Array(cap);
      h.set(this.heights.subarray(0, this.n));
      this.heights = h;
      for (let i = this.n; i < n; i++) this.heights[i] = this.estimate;
      this.n = n;
      this.rebuild(cap);
      return;
    }
    for (let i = this.n; i < n; i++) {
      this.heights[i] = this.estimate;
      this.add(i, this.estimate);
    }
    this.n = n;
  }

  private rebuild(cap: number): void {
    this.cap = cap;
    this.tree = new Float64Array(cap + 1);
    // Every node up to cap must pass its sum to its parent, also nodes past
    // n: indexAt walks them.
    for (let j = 1; j <= cap; j++) {
      if (j <= this.n) this.tree[j] += this.heights[j - 1];
      const p = j + (j & -j);
      if (p <= cap) this.tree[p] += this.tree[j];
    }
  }

  private add(i: number, delta: number): void {
    for (let j = i + 1; j <= this.cap; j += j & -j) this.tree[j] += delta;
  }

  /** Inserts k rows of the estimated height before row 0 (older rows paged in). */
  insertFront(k: number): void {
    if (k <= 0) return;
    const n = this.n + k;
    const cap = Math.max(n, this.cap);
    const h = new Float64Array(cap);
    h.fill(this.estimate, 0, k);
    h.set(this.heights.subarray(0, this.n), k);
    this.heights = h;
    this.n = n;
    this.rebuild(cap);
  }

  height(i: number): number {
    return this.heights[i];
  }

  /** Sets row i's measured height; returns the change in pixels. */
  set(i: number, h: number): number {
    if (i < 0 || i >= this.n) return 0;
    const d = h - this.heights[i];
    if (d === 0) return 0;
    this.heights[i] = h;
    this.add(i, d);
    return d;
  }

  /** Top offset of row i (sum of heights of rows before it). */
  offset(i: number): number {
    let s = 0;
    for (let j = Math.min(i, this.n); j > 0; j -= j & -j) s += this.tree[j];
    return s;
  }

  total(): number {
    return this.offset(this.n);
  }

  /** Index of the row that contains offset y (clamped to the rows present). */
  indexAt(y: number): number {
    if (this.n === 0) return 0;
    if (y <= 0) return 0;
    let pos = 0;
    let rem = y;
    let step = 1;
    while (step * 2 <= this.cap) step *= 2;
    for (; step > 0; step >>= 1) {
      const nx = pos + step;
      if (nx <= this.cap && this.tree[nx] <= rem) {
        pos = nx;
        rem -= this.tree[nx];
      }
    }
    return Math.min(pos, this.n - 1);
  }
}

/** The rows to render for a viewport, with overscan, as [start, end). */
export function visibleRange(idx: HeightIndex, scrollTop: number, viewport: number, overscan = 400): [number, number] {
  if (idx.count === 0) return [0, 0];
  const start = idx.indexAt(Math.max(0, scrollTop - overscan));
  const end = Math.min(idx.count, idx.indexAt(scrollTop + viewport + overscan) + 1);
  return [start, end];
}

/** How far from the bottom (px) still counts as "at the bottom". */
export const BOTTOM_SLACK = 40;

/**
 * What a list that follows its end does after a scroll event. Only the user
 * (wheel, keys, touch, the scrollbar) releases it: the browser also moves
 * scrollTop on its own, e.g. clamping it while rows are replaced and a
 * component reads layout in the middle of that, and rows above re-measure
 * after they rendered (Markdown, code). Reading such a scroll as "the user
 * left the bottom" left a freshly opened long session three turns above
 * its end. So: at the bottom, follow; away from it, stop following only when
 * the user caused the scroll, otherwise go back to the bottom.
 */
export function afterScroll(following: boolean, distanceFromBottom: number, byUser: boolean): { following: boolean; repin: boolean } {
  if (distanceFromBottom < BOTTOM_SLACK) return { following: true, repin: false };
  if (byUser) return { following: false, repin: false };
  return { following, repin: following };
}

/**
 * Where rows were inserted before the rows a list showed: `before` are the
 * keys of the rows from the first visible one on, `keyAt(i)` reads the new
 * list of `count` rows, `first` was the first visible index and `grew` how
 * many rows the list gained. Returns how many rows came in front of the
 * first visible row (0 when nothing moved or it cannot tell).
 */
export function rowsInserted(before: (string | number)[], first: number, grew: number, count: number, keyAt: (i: number) => string | number): number {
  if (grew <= 0 || !before.length) return 0;
  if (first < count && keyAt(first) === before[0]) return 0;
  // Paging older history in puts whole rows in front; the row that was
  // first on screen may itself have grown (a text whose start was in the
  // older page has a new key), so the next ones are tried too.
  for (let j = 0; j < before.length; j++) {
    const i = first + j + grew;
    if (i < count && keyAt(i) === before[j]) return grew;
  }
  return 0;
}
