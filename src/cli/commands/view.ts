/**
 * `pstore view IMAGE [layout flags] [--port N] [--no-open]`: serves the web
 * viewer (dist/viewer) and the image on 127.0.0.1 only, and prints the URL.
 * The page decodes in the browser with the same core; the server only hands
 * over bytes and the layout the flags describe.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Option, type Command } from 'commander';
import { openImage } from '../../api/openImage.js';
import type { RamoopsParams } from '../../backends/ramoops/layout.js';
import type { CompressorName } from '../../core/compress/types.js';
import { PstoreError, UsageError } from '../../errors.js';
import { openImageFile } from '../../node/fileRegion.js';
import { MemoryRegion } from '../../region/region.js';
import type { CliIo } from '../io.js';
import { addAutoOption, addLayoutOptions, autoLayout, imageOptions, type LayoutFlags } from '../layoutOptions.js';

/** The page reads the whole image into memory; larger files need --offset and --mem-size. */
export const MAX_SERVED_BYTES = 512 * 1024 * 1024;

export interface ViewFlags extends LayoutFlags {
  compress?: 'auto' | 'none' | CompressorName;
  port?: string;
  /** commander's `--no-open`: false when given. */
  open?: boolean;
}

/** The layout the page starts with (RamoopsImageOptions without symbols). */
export interface ServedChoice {
  params: Partial<RamoopsParams>;
  kernel?: string;
  arch?: string;
  ftraceCpus?: number;
  offset?: number;
  compress?: 'auto' | 'none' | CompressorName;
}

/** `GET api/options`: what the page needs besides the bytes. */
export interface ServedInfo {
  name: string;
  size: number;
  /** Null when no layout flag was given: the page detects the layout. */
  choice: ServedChoice | null;
  /** Set when only a window of the file is served (`--offset`/`--mem-size`). */
  window: { offset: number; size: number } | null;
}

export interface ViewOptions {
  /** Where the built page is (default: dist/viewer beside the CLI). */
  viewerDir?: string;
  /** Called with the URL unless --no-open (default: the platform's opener). */
  openBrowser?: (url: string) => void;
}

export interface ViewServer {
  url: string;
  port: number;
  server: Server;
  /** Resolves when the server has closed. */
  closed: Promise<void>;
  close(): Promise<void>;
}

const LAYOUT_KEYS: (keyof LayoutFlags)[] = ['memSize', 'recordSize', 'consoleSize', 'ftraceSize', 'pmsgSize', 'ecc', 'maxReason', 'ftraceCpus', 'kernel', 'arch', 'offset', 'params'];

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

const CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** dist/viewer from dist/cli/commands (built), dist/bin (the bundled CLI) or src/cli/commands (tsx). */
export function findViewerDir(): string | null {
  const here = dirname(fileURLToPath(import.meta.url));
  // From src/cli/commands, ../../viewer is the page's source: a built page has assets/.
  for (const dir of [resolve(here, '../../viewer'), resolve(here, '../viewer'), resolve(here, '../../../dist/viewer')]) {
    if (existsSync(join(dir, 'index.html')) && existsSync(join(dir, 'assets'))) return dir;
  }
  return null;
}

function defaultOpener(url: string): void {
  const [cmd, args] =
    process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '""', url]] : ['xdg-open', [url]];
  try {
    const child = spawn(cmd, args, { detached: true, stdio: 'ignore' });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // No opener: the printed URL is enough.
  }
}

/** Reads the bytes to serve and the page's starting layout. */
function prepareImage(imagePath: string, given: ViewFlags, io: CliIo): { bytes: Uint8Array; info: ServedInfo } {
  let flags = given;
  if (flags.auto) {
    // The page then starts on the inferred layout (a window of the file when it is large).
    const auto = autoLayout(imagePath, flags, { backends: ['ramoops'] });
    io.stderr(`pstore: ${auto.message}\n`);
    flags = auto.flags;
  }
  const opts = imageOptions(flags);
  const explicit = LAYOUT_KEYS.some((k) => flags[k] !== undefined);
  const file = openImageFile(imagePath);
  try {
    if (file.size === 0) throw new PstoreError(`'${imagePath}' is empty: not a ramoops image`);
    const offset = opts.offset ?? 0;
    const memSize = opts.params?.mem_size;
    let window: ServedInfo['window'] = null;
    let bytes: Uint8Array;
    if (file.size <= MAX_SERVED_BYTES) {
      bytes = file.read(0, file.size);
    } else {
      if (memSize === undefined) {
        throw new UsageError(`'${imagePath}' is ${file.size} bytes; the viewer reads at most ${MAX_SERVED_BYTES}: give --offset and --mem-size to view the region inside it`);
      }
      if (memSize > MAX_SERVED_BYTES) throw new UsageError(`--mem-size 0x${memSize.toString(16)} is larger than the viewer reads (${MAX_SERVED_BYTES} bytes)`);
      if (offset + memSize > file.size) throw new UsageError(`the region (0x${memSize.toString(16)} at 0x${offset.toString(16)}) runs past the end of '${imagePath}'`);
      bytes = file.read(offset, memSize);
      window = { offset, size: memSize };
    }
    const choice: ServedChoice | null = explicit
      ? { params: opts.params ?? {}, kernel: opts.kernel, arch: opts.arch, ftraceCpus: opts.ftraceCpus, offset: window ? 0 : offset, compress: opts.compress }
      : null;
    if (choice) {
      // A bad layout is shown on the page (where it can be fixed); say so here too.
      try {
        openImage(new MemoryRegion(bytes), { backend: 'ramoops', ...choice }, imagePath);
      } catch (e) {
        if (!(e instanceof PstoreError)) throw e;
        io.stderr(`pstore: warning: ${e.message} (the page shows this; fix the layout there)\n`);
      }
    }
    return { bytes, info: { name: basename(imagePath), size: file.size, choice, window } };
  } finally {
    file.close();
  }
}

function parsePort(text: string | undefined): number {
  if (text === undefined) return 0;
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isInteger(n) || n > 65535) throw new UsageError(`--port: '${text}' is not a port number (0..65535)`);
  return n;
}

function send(res: ServerResponse, status: number, type: string, body: string | Uint8Array, head = false, extra: Record<string, string> = {}): void {
  res.writeHead(status, {
    'Content-Type': type,
    'Content-Length': String(typeof body === 'string' ? Buffer.byteLength(body) : body.length),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Content-Security-Policy': CSP,
    ...extra,
  });
  res.end(head ? undefined : body);
}

/**
 * Starts the server and resolves once it listens. The caller prints nothing
 * more; this prints the URL on stdout.
 */
export async function viewCommand(imagePath: string, flags: ViewFlags, io: CliIo, options: ViewOptions = {}): Promise<ViewServer> {
  const port = parsePort(flags.port);
  const root = options.viewerDir ?? findViewerDir();
  if (!root || !existsSync(join(root, 'index.html'))) {
    throw new PstoreError(`the viewer is not built${root ? ` (no ${join(root, 'index.html')})` : ''}: run 'npm run build:viewer'`);
  }
  const rootDir = resolve(root);
  const { bytes, info } = prepareImage(imagePath, flags, io);
  const infoJson = JSON.stringify(info);
  let allowedHosts: Set<string> = new Set();

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const head = req.method === 'HEAD';
    if (req.method !== 'GET' && !head) return send(res, 405, 'text/plain', 'method not allowed\n', false, { Allow: 'GET, HEAD' });
    // DNS rebinding: only our own host names.
    if (!allowedHosts.has((req.headers.host ?? '').toLowerCase())) return send(res, 403, 'text/plain', 'forbidden host\n', head);
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      return send(res, 400, 'text/plain', 'bad request\n', head);
    }
    if (path === '/api/options') return send(res, 200, 'application/json; charset=utf-8', infoJson, head, { 'Cache-Control': 'no-store' });
    if (path === '/api/image') return send(res, 200, 'application/octet-stream', bytes, head, { 'Cache-Control': 'no-store' });
    if (path.includes('\0')) return send(res, 400, 'text/plain', 'bad request\n', head);
    const target = resolve(rootDir, '.' + (path.endsWith('/') ? path + 'index.html' : path));
    if (target !== rootDir && !target.startsWith(rootDir + sep)) return send(res, 403, 'text/plain', 'forbidden\n', head);
    let body: Uint8Array;
    try {
      if (!statSync(target).isFile()) throw new Error('not a file');
      body = readFileSync(target);
    } catch {
      return send(res, 404, 'text/plain', 'not found\n', head);
    }
    const immutable = target.includes(`${sep}assets${sep}`);
    send(res, 200, TYPES[extname(target)] ?? 'application/octet-stream', body, head, {
      'Cache-Control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
  };

  const server = createServer(handler);
  await new Promise<void>((ok, fail) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      fail(e.code === 'EADDRINUSE' ? new UsageError(`--port ${port}: already in use`) : e.code === 'EACCES' ? new UsageError(`--port ${port}: permission denied`) : e),
    );
    server.listen(port, '127.0.0.1', () => ok());
  });
  const actual = (server.address() as AddressInfo).port;
  allowedHosts = new Set([`127.0.0.1:${actual}`, `localhost:${actual}`]);
  const url = `http://127.0.0.1:${actual}/`;
  const closed = new Promise<void>((ok) => server.once('close', () => ok()));
  io.stdout(`pstore view: ${info.name} at ${url} (Ctrl-C to stop)\n`);
  if (flags.open !== false) (options.openBrowser ?? defaultOpener)(url);
  return {
    url,
    port: actual,
    server,
    closed,
    close: () =>
      new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      }),
  };
}

export function registerView(program: Command, io: CliIo, done: (code: number) => void): void {
  const cmd = program
    .command('view')
    .description('open the image in the web viewer (served on 127.0.0.1 only): zone map, ECC health, records')
    .argument('<image>', 'ramoops region, RAM dump (with --offset) or device')
    .option('--port <n>', 'TCP port on 127.0.0.1 (default: any free port)')
    .option('--no-open', 'print the URL without opening a browser');
  addLayoutOptions(cmd);
  addAutoOption(cmd);
  cmd.addOption(
    new Option('--compress <algorithm>', "the reading kernel's compressor ('none': compressed records stay .enc.z)").choices(['auto', 'none', 'deflate', 'lzo', 'lz4', 'lz4hc', '842', 'zstd']),
  );
  cmd.action(async (image: string, flags: ViewFlags) => {
    const view = await viewCommand(image, flags, io);
    const stop = (): void => void view.close();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    await view.closed;
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    done(0);
  });
}
