// A Server-Sent Events parser for fetch-streamed bodies. EventSource cannot
// send an Authorization header, so the HTTP backend reads the stream itself.
// The parser follows the WHATWG event-stream rules that matter here: lines end
// in LF, CR or CRLF (also when a CRLF is split across chunks), `:` starts a
// comment, a field without a colon has an empty value, one leading space of
// the value is dropped, `data:` lines are joined with LF, and a blank line
// dispatches the event.

export interface SseMessage {
  id?: string;
  event: string;
  data: string;
  retry?: number;
}

export class SseParser {
  private buf = '';
  private lastWasCR = false;
  private data: string[] = [];
  private event = '';
  private id: string | undefined;
  private retry: number | undefined;
  private hasData = false;
  private hasId = false;

  constructor(private readonly onMessage: (m: SseMessage) => void) {}

  /** Feed decoded text; complete messages are dispatched synchronously. */
  push(chunk: string): void {
    let start = 0;
    let i = 0;
    let text = chunk;
    if (this.lastWasCR && text.startsWith('\n')) {
      text = text.slice(1);
    }
    this.lastWasCR = false;
    for (; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10 || c === 13) {
        this.line(this.buf + text.slice(start, i));
        this.buf = '';
        if (c === 13) {
          if (i + 1 < text.length) {
            if (text.charCodeAt(i + 1) === 10) i++;
          } else {
            this.lastWasCR = true;
          }
        }
        start = i + 1;
      }
    }
    this.buf += text.slice(start);
  }

  private line(l: string): void {
    if (l === '') {
      this.dispatch();
      return;
    }
    if (l.charCodeAt(0) === 58 /* : */) return;
    const colon = l.indexOf(':');
    let field = l;
    let value = '';
    if (colon >= 0) {
      field = l.slice(0, colon);
      value = l.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
    }
    switch (field) {
      case 'data':
        this.data.push(value);
        this.hasData = true;
        break;
      case 'event':
        this.event = value;
        break;
      case 'id':
        if (!value.includes('\0')) {
          this.id = value;
          this.hasId = true;
        }
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.retry = Number(value);
        break;
    }
  }

  private dispatch(): void {
    // A frame with an id and no data dispatches nothing per the spec, but
    // it moves the resume point (corral sends one when a stream starts at
    // "now"), so it is passed on with empty data.
    if (this.hasData || this.hasId) {
      this.onMessage({
        id: this.id,
        event: this.event || 'message',
        data: this.data.join('\n'),
        retry: this.retry,
      });
    }
    this.data = [];
    this.hasData = false;
    this.hasId = false;
    this.event = '';
    this.retry = undefined;
    // Per the spec the last event id persists across messages.
  }
}
