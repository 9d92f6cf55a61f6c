// The composer's pure helpers: attachments (reading, limits), the slash
// menu and @-mentions (what is being typed at the caret, and inserting the
// pick).

import type { AttachmentParam, Command } from './api';

/** A file waiting in the composer. */
export interface Pending {
  name: string;
  mimeType: string;
  size: number;
  /** the content in standard base64, as SendMessage takes it */
  data: string;
  /** a data: URL for a thumbnail (images only; the page's CSP allows data: images, not blob:) */
  url?: string;
}

/** The image types shown as thumbnails (and sent as image content where the agent can). */
export const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);

export function isImage(mimeType: string): boolean {
  return IMAGE_TYPES.has(mimeType.toLowerCase());
}

/** 1536 → "1.5 KB" */
export function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${+(n / 1024).toFixed(1)} KB`;
  return `${+(n / (1024 * 1024)).toFixed(1)} MB`;
}

/** base64 of bytes, in chunks (String.fromCharCode has an argument limit). */
export function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/** The bytes of a file (FileReader where Blob.arrayBuffer is missing: older webviews, jsdom). */
function bytesOf(f: Blob): Promise<ArrayBuffer> {
  if (typeof f.arrayBuffer === 'function') return f.arrayBuffer();
  return new Promise((res, rej) => {
    const r = new FileReader();
    r.onload = () => res(r.result as ArrayBuffer);
    r.onerror = () => rej(r.error);
    r.readAsArrayBuffer(f);
  });
}

/** Reads a picked, pasted or dropped file. */
export async function readFile(f: File): Promise<Pending> {
  const bytes = new Uint8Array(await bytesOf(f));
  const mimeType = f.type || 'application/octet-stream';
  const p: Pending = { name: f.name || 'pasted', mimeType, size: bytes.length, data: toBase64(bytes) };
  if (isImage(mimeType)) p.url = dataURL(mimeType, p.data);
  return p;
}

/**
 * Why these files cannot be sent (the server's limits, the same checks it
 * makes), or null. Checked before sending; the server checks again.
 */
export function limitProblem(files: Pick<Pending, 'name' | 'size'>[], maxFile: number, maxMessage: number): string | null {
  let total = 0;
  for (const f of files) {
    if (f.size === 0) return `${f.name} is empty`;
    if (maxFile > 0 && f.size > maxFile) return `${f.name} is ${fmtBytes(f.size)}; the limit per file is ${fmtBytes(maxFile)}`;
    total += f.size;
  }
  if (maxMessage > 0 && total > maxMessage) return `the attachments add up to ${fmtBytes(total)}; the limit per message is ${fmtBytes(maxMessage)}`;
  return null;
}

export function toParams(files: Pending[]): AttachmentParam[] {
  return files.map((f) => ({ name: f.name, mimeType: f.mimeType, data: f.data }));
}

/** What is being completed at the caret. */
export interface Trigger {
  kind: 'slash' | 'mention';
  /** where the "/" or "@" is */
  start: number;
  /** what follows it up to the caret */
  query: string;
}

/**
 * The completion the caret is in: a slash command is the message's first
 * word ("/com|"); a mention is "@" at the start or after white space,
 * followed by anything but white space up to the caret.
 */
export function triggerAt(text: string, caret: number): Trigger | null {
  const before = text.slice(0, caret);
  const slash = /^\/([\w:.-]*)$/.exec(before);
  if (slash) return { kind: 'slash', start: 0, query: slash[1] };
  const at = /(^|\s)@(\S*)$/.exec(before);
  if (at) return { kind: 'mention', start: before.length - at[2].length - 1, query: at[2] };
  return null;
}

/**
 * The text with the trigger replaced by the pick and a space after it, and
 * the caret after that space. What followed the caret stays.
 */
export function insertPick(text: string, t: Trigger, caret: number, pick: string): { text: string; caret: number } {
  const lead = t.kind === 'slash' ? '/' : '@';
  const ins = `${lead}${pick} `;
  const rest = text.slice(caret).replace(/^ /, '');
  return { text: text.slice(0, t.start) + ins + rest, caret: t.start + ins.length };
}

/** The commands whose name starts with (then contains) the query, supported first within each. */
export function filterCommands(cmds: Command[], query: string): Command[] {
  const q = query.toLowerCase();
  const starts = cmds.filter((c) => c.name.toLowerCase().startsWith(q));
  const contains = cmds.filter((c) => !c.name.toLowerCase().startsWith(q) && c.name.toLowerCase().includes(q));
  return [...starts, ...contains];
}

/** The index after a key press in a menu of n entries (wrapping). */
export function moveIndex(i: number, n: number, key: string): number {
  if (n === 0) return 0;
  if (key === 'ArrowDown') return (i + 1) % n;
  if (key === 'ArrowUp') return (i - 1 + n) % n;
  return i;
}

/** A sentence on how this agent gets images, for the composer; null when as image content. */
export function imageNote(images: string | undefined): string | null {
  switch (images) {
    case 'inline':
    case 'local-path':
      return null;
    case 'if-declared':
      return 'Images go to this agent as images only if it says it accepts them; otherwise by path.';
    default:
      return 'This agent gets images as a file path only; the model sees them only if it reads the file.';
  }
}

/** A data: URL of an image; null for a type not shown as an image. */
export function dataURL(mimeType: string, base64: string): string | undefined {
  return isImage(mimeType) ? `data:${mimeType.toLowerCase()};base64,${base64}` : undefined;
}

/** Loads a stored attachment's thumbnail URL (GetAttachment); undefined for a non-image or a failure. */
export type AttachmentLoader = (attachmentId: string) => Promise<string | undefined>;

/** The Svelte context key under which a conversation offers its AttachmentLoader. */
export const ATTACHMENTS = Symbol('attachments');

const thumbs = new Map<string, Promise<string | undefined>>();

/** A loader over GetAttachment that fetches each image once per page. */
export function attachmentLoader(get: (p: { sessionId: string; attachmentId: string }) => Promise<{ mimeType: string; data: string }>, sessionId: () => string): AttachmentLoader {
  return (attachmentId) => {
    const key = `${sessionId()}/${attachmentId}`;
    let p = thumbs.get(key);
    if (!p) {
      p = get({ sessionId: sessionId(), attachmentId }).then(
        (r) => dataURL(r.mimeType, r.data),
        () => {
          thumbs.delete(key); // try again next time
          return undefined;
        },
      );
      thumbs.set(key, p);
    }
    return p;
  };
}
