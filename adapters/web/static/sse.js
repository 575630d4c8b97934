// A Server-Sent Events parser (the WHATWG "event stream" format) for a
// stream read with fetch: EventSource cannot send an Authorization header.
//
// feed() takes decoded text in chunks of any size (a line, a field, even a
// CR LF pair may be split between chunks) and returns the events completed
// by it. Comments (": ping") are counted, not returned: the caller only
// needs to know the connection is alive.

export class SSEParser {
  constructor() {
    this.buffer = "";          // text of the line not yet ended
    this.skipLF = false;       // the last chunk ended in CR: a leading LF belongs to it
    this.data = [];            // data lines of the event being read
    this.event = "";           // its event type
    this.idBuffer = "";        // the last id: read, kept across events as the spec says
    this.lastEventId = "";     // the id of the last completed event: what a reconnect sends
    this.retry = null;         // the last valid retry: in milliseconds
    this.comments = 0;
  }

  // feed parses a chunk of text and returns the events it completed, each
  // {type, data, id}: type "message" when the frame named none.
  feed(chunk) {
    const events = [];
    if (!chunk) return events; // (and keep skipLF for the next one)
    let text = chunk;
    if (this.skipLF && text.startsWith("\n")) text = text.slice(1);
    this.skipLF = false;
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== 10 && c !== 13) continue; // LF, CR
      const line = this.buffer + text.slice(start, i);
      this.buffer = "";
      if (c === 13) {
        if (i + 1 < text.length) {
          if (text.charCodeAt(i + 1) === 10) i++;
        } else {
          this.skipLF = true;
        }
      }
      start = i + 1;
      const ev = this.line(line);
      if (ev) events.push(ev);
    }
    this.buffer += text.slice(start);
    return events;
  }

  // line interprets one line; a blank line ends the event.
  line(line) {
    if (line === "") return this.dispatch();
    if (line.startsWith(":")) {
      this.comments++;
      return null;
    }
    const colon = line.indexOf(":");
    let field = line;
    let value = "";
    if (colon >= 0) {
      field = line.slice(0, colon);
      value = line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
    }
    switch (field) {
      case "event":
        this.event = value;
        break;
      case "data":
        this.data.push(value);
        break;
      case "id":
        if (!value.includes("\u0000")) this.idBuffer = value;
        break;
      case "retry":
        if (/^[0-9]+$/.test(value)) this.retry = Number(value);
        break;
      default: // unknown fields are ignored
    }
    return null;
  }

  // dispatch completes an event. Its id counts only now: a connection cut
  // between "id:" and the blank line must resume before that event.
  dispatch() {
    this.lastEventId = this.idBuffer;
    const type = this.event || "message";
    const hasData = this.data.length > 0;
    const data = this.data.join("\n");
    this.data = [];
    this.event = "";
    if (!hasData) return null;
    return { type, data, id: this.lastEventId };
  }
}
