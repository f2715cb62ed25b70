// The signaling connection: a WebSocket to the box's /signal that reconnects with exponential
// backoff (0.5 s doubling to 30 s, jittered), validates every message and sends stats reports.
import { parseMessage } from './signal-msg.js';

const MIN_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 30000;

/** Keeps a signaling connection to `url`; `onMessage(msg)` gets each valid message. */
export class SignalClient {
  constructor(url, { onMessage, onState }) {
    this.url = url;
    this.onMessage = onMessage;
    this.onState = onState || (() => {});
    this.backoff = MIN_BACKOFF_MS;
    this.ws = null;
    this.everOpened = false;
    this.failures = 0;
    this.closed = false;
    this.connect();
  }

  connect() {
    if (this.closed) return;
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch {
      return this.retry();
    }
    this.ws = ws;
    ws.onopen = () => {
      this.everOpened = true;
      this.failures = 0;
      this.backoff = MIN_BACKOFF_MS;
      this.onState('open');
    };
    ws.onmessage = (ev) => this.handle(ev.data);
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.failures++;
      this.onState('closed');
      this.retry();
    };
  }

  handle(data) {
    try {
      this.onMessage(parseMessage(data));
    } catch (e) {
      console.warn('signaling message dropped:', e.message);
    }
  }

  retry() {
    const delay = this.backoff * (0.75 + Math.random() * 0.5);
    this.backoff = Math.min(this.backoff * 2, MAX_BACKOFF_MS);
    setTimeout(() => this.connect(), delay);
  }

  /** Sends `text` when connected; returns whether it was sent. */
  send(text) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(text);
    return true;
  }

  get open() {
    return !!this.ws && this.ws.readyState === WebSocket.OPEN;
  }
}
