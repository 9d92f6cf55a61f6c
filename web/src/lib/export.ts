// Session export (ExportSession): the file is read part by part, each part
// one page of the session's log on the server, and saved as a download.
import type { Api } from './api';

export type ExportFormat = 'markdown' | 'jsonl';

export interface ExportFile {
  fileName: string;
  mediaType: string;
  /** the parts in order; the file is their concatenation */
  parts: string[];
}

/** Reads the whole export of a session, asking with since = next while more is set. */
export async function collectExport(api: Api, sessionId: string, format: ExportFormat): Promise<ExportFile> {
  const parts: string[] = [];
  let since = 0;
  for (;;) {
    const r = await api.exportSession(since ? { sessionId, format, since } : { sessionId, format });
    parts.push(r.content);
    if (!r.more) return { fileName: r.fileName, mediaType: r.mediaType, parts };
    if (r.next <= since) throw new Error('the export does not advance');
    since = r.next;
  }
}

/** Offers the file as a download (a Blob, never one big string). */
export function saveFile(f: ExportFile, doc: Document = document): void {
  const url = URL.createObjectURL(new Blob(f.parts, { type: f.mediaType }));
  const a = doc.createElement('a');
  a.href = url;
  a.download = f.fileName;
  a.style.display = 'none';
  doc.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
