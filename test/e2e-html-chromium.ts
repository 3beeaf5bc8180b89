/**
 * Drives headless Chromium over the DevTools protocol with Node built-ins
 * only: `--remote-debugging-pipe` makes Chromium read commands on fd 3 and
 * write replies and events on fd 4, as NUL-terminated JSON messages (no
 * WebSocket needed; Node 20 has none without a flag).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { tempDir } from './helpers/tmp.js';

/** The Chromium binary: $CHROMIUM, else the first of chromium / chromium-browser on PATH. */
export function findChromium(): string | undefined {
  const candidates = [process.env['CHROMIUM'], 'chromium', 'chromium-browser', 'google-chrome'].filter((x): x is string => Boolean(x));
  for (const c of candidates) {
    const r = spawnSync(c, ['--version'], { encoding: 'utf8', timeout: 20000 });
    if (r.status === 0 && /chrom/i.test(r.stdout)) return c;
  }
  return undefined;
}

export interface PageProblems {
  /** console.error / console.assert messages, uncaught exceptions, and error-level log entries (CSP violations). */
  errors: string[];
  /** Every URL the page requested. */
  requests: string[];
}

export interface Browser {
  problems: PageProblems;
  navigate(url: string): Promise<void>;
  /** Forget the problems seen so far (before loading another page). */
  reset(): void;
  /** Evaluate an expression in the page; returns its value (JSON-serializable). */
  evaluate<T>(expression: string): Promise<T>;
  /** PNG of the whole page at the given CSS width (or of `height` CSS pixels from `top`). */
  screenshot(width: number, top?: number, height?: number): Promise<Buffer>;
  close(): Promise<void>;
}

interface Message {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
  sessionId?: string;
}

export async function launch(binary: string, timeoutMs = 60000): Promise<Browser> {
  const profile = tempDir('blkaudit-chromium-');
  const child: ChildProcess = spawn(binary, [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage', '--hide-scrollbars', '--mute-audio',
    `--user-data-dir=${profile}`, '--remote-debugging-pipe', 'about:blank',
  ], { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'], detached: true });
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => { stderr = (stderr + b.toString()).slice(-4000); });
  const toBrowser = child.stdio[3] as Writable;
  const fromBrowser = child.stdio[4] as Readable;
  let nextId = 1;
  const pending = new Map<number, { resolve: (m: Message) => void; reject: (e: Error) => void }>();
  const listeners: Array<(m: Message) => void> = [];
  let buffer = Buffer.alloc(0);
  let exited: Error | undefined;
  fromBrowser.on('data', (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    for (let nul = buffer.indexOf(0); nul >= 0; nul = buffer.indexOf(0)) {
      const msg = JSON.parse(buffer.subarray(0, nul).toString('utf8')) as Message;
      buffer = buffer.subarray(nul + 1);
      if (msg.id !== undefined && pending.has(msg.id)) {
        const p = pending.get(msg.id)!;
        pending.delete(msg.id);
        if (msg.error) p.reject(new Error(`CDP error: ${msg.error.message}`));
        else p.resolve(msg);
      } else for (const l of listeners) l(msg);
    }
  });
  child.on('exit', (code) => {
    exited = new Error(`chromium exited (${code}): ${stderr}`);
    for (const p of pending.values()) p.reject(exited);
    pending.clear();
  });
  toBrowser.on('error', () => {});
  // Chromium's helpers (zygote, renderer) share its process group: end them all, by that group's id.
  const killGroup = () => {
    try {
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  const killer = setTimeout(killGroup, timeoutMs);

  function send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Message> {
    if (exited) return Promise.reject(exited);
    const id = nextId++;
    const msg: Message & { params: Record<string, unknown> } = { id, method, params };
    if (sessionId) msg.sessionId = sessionId;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      toBrowser.write(JSON.stringify(msg) + '\0');
    });
  }

  const { result: created } = await send('Target.createTarget', { url: 'about:blank' });
  const { result: attached } = await send('Target.attachToTarget', { targetId: created!['targetId'], flatten: true });
  const session = attached!['sessionId'] as string;
  const problems: PageProblems = { errors: [], requests: [] };
  let loaded: (() => void) | undefined;
  listeners.push((m) => {
    if (m.sessionId !== session || !m.method) return;
    const p = m.params ?? {};
    switch (m.method) {
      case 'Runtime.consoleAPICalled':
        if (p['type'] === 'error' || p['type'] === 'assert') {
          problems.errors.push(`console.${String(p['type'])}: ${JSON.stringify((p['args'] as Array<{ value?: unknown }>).map((a) => a.value))}`);
        }
        break;
      case 'Runtime.exceptionThrown':
        problems.errors.push(`exception: ${JSON.stringify((p['exceptionDetails'] as Record<string, unknown>)?.['exception'] ?? p['exceptionDetails'])}`);
        break;
      case 'Log.entryAdded': {
        const e = p['entry'] as { level: string; source: string; text: string; url?: string };
        if (e.level === 'error') problems.errors.push(`log (${e.source}): ${e.text}`);
        break;
      }
      case 'Network.requestWillBeSent':
        problems.requests.push(String((p['request'] as { url: string }).url));
        break;
      case 'Page.javascriptDialogOpening':
        problems.errors.push(`dialog: ${String(p['type'])} ${String(p['message'])}`);
        void send('Page.handleJavaScriptDialog', { accept: false }, session).catch(() => {});
        break;
      case 'Page.loadEventFired':
        loaded?.();
        break;
      default:
    }
  });
  for (const d of ['Runtime.enable', 'Log.enable', 'Network.enable', 'Page.enable']) await send(d, {}, session);

  const browser: Browser = {
    problems,
    reset() {
      problems.errors.length = 0;
      problems.requests.length = 0;
    },
    async navigate(url: string) {
      const done = new Promise<void>((resolve) => { loaded = resolve; });
      await send('Page.navigate', { url }, session);
      await done;
    },
    async evaluate<T>(expression: string): Promise<T> {
      const { result } = await send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true }, session);
      const r = result as { result: { value: T }; exceptionDetails?: unknown };
      if (r.exceptionDetails) throw new Error(`evaluation failed: ${JSON.stringify(r.exceptionDetails)}`);
      return r.result.value;
    },
    async screenshot(width: number, top = 0, part?: number): Promise<Buffer> {
      await send('Emulation.setDeviceMetricsOverride', { width, height: 900, deviceScaleFactor: 1, mobile: false }, session);
      const full = await browser.evaluate<number>('Math.ceil(document.documentElement.scrollHeight)');
      const height = Math.max(1, Math.min(part ?? full - top, full - top, 16000));
      await send('Emulation.setDeviceMetricsOverride', { width, height: Math.min(full, 16000), deviceScaleFactor: 1, mobile: false }, session);
      const clip = { x: 0, y: top, width, height, scale: 1 };
      const { result } = await send('Page.captureScreenshot', { format: 'png', captureBeyondViewport: true, clip }, session);
      return Buffer.from(result!['data'] as string, 'base64');
    },
    async close() {
      clearTimeout(killer);
      try {
        if (!exited) await Promise.race([send('Browser.close'), new Promise((r) => setTimeout(r, 3000))]);
      } catch {
        // already gone
      }
      await Promise.race([
        new Promise<void>((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', () => r()))),
        new Promise((r) => setTimeout(r, 5000)),
      ]);
      killGroup();
      try {
        rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
      } catch {
        // a helper still writing into the profile: leave the temp directory behind
      }
    },
  };
  return browser;
}
