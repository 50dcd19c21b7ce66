// A task's live log: the SSE endpoint read with fetch and a ReadableStream, because EventSource
// cannot send the Authorization header. A dropped stream resumes with Last-Event-ID.
import { api } from '../api.js';
import { h } from '../dom.js';

interface LogLine {
  seq: number;
  stream: string;
  text: string;
}

export function liveLog(taskGuid: string, onEnd: (state: string) => void): { el: HTMLElement; stop: () => void } {
  const pre = h('pre', { class: 'log', tabindex: 0, 'aria-label': 'Task log' });
  const status = h('p', { class: 'muted', 'aria-live': 'polite' }, 'Connecting…');
  const controller = new AbortController();
  let lastSeq = 0;
  let ended = false;

  const handle = (event: string, data: string, id: string | undefined) => {
    if (event === 'end') {
      ended = true;
      const end = JSON.parse(data) as { state: string; failure_reason: string | null };
      status.textContent = `Task ended: ${end.state}${end.failure_reason ? ` (${end.failure_reason})` : ''}`;
      onEnd(end.state);
      return;
    }
    const line = JSON.parse(data) as LogLine;
    lastSeq = Number(id ?? line.seq);
    const atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
    pre.append(h('span', { class: line.stream === 'stderr' ? 'stderr' : '' }, `${line.text}\n`));
    if (atBottom) pre.scrollTop = pre.scrollHeight;
  };

  const connect = async () => {
    while (!ended && !controller.signal.aborted) {
      try {
        const headers: Record<string, string> = { accept: 'text/event-stream' };
        if (lastSeq > 0) headers['last-event-id'] = String(lastSeq);
        const res = await api(`/v3/tasks/${taskGuid}/log`, { headers, signal: controller.signal });
        status.textContent = 'Live';
        await readEvents(res.body!, handle);
      } catch (err) {
        if (controller.signal.aborted) return;
        status.textContent = `Log stream interrupted (${err instanceof Error ? err.message : err}); retrying…`;
      }
      if (!ended) await new Promise((r) => setTimeout(r, 2000));
    }
  };
  void connect();
  return {
    el: h('section', { 'aria-labelledby': 'log-title' }, h('h2', { id: 'log-title' }, 'Log'), status, pre),
    stop: () => controller.abort(),
  };
}

/** Parses a text/event-stream body, one call per event; comments (heartbeats) are skipped. */
async function readEvents(body: ReadableStream<Uint8Array>, onEvent: (event: string, data: string, id: string | undefined) => void) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let cut: number;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let event = 'message';
      let id: string | undefined;
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const text = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') event = text;
        else if (field === 'data') data.push(text);
        else if (field === 'id') id = text;
      }
      if (data.length) onEvent(event, data.join('\n'), id);
    }
  }
}
