#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { hostname, networkInterfaces } from 'node:os';
import { createSecureContext } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CaptureController } from './capture/capture-controller.js';
import { usesFfmpeg } from './capture/create.js';
import { resolveFfmpeg } from './capture/ffmpeg-path.js';
import { chooseConfigPath, loadConfig, readConfigFile } from './config/load.js';
import { LOG_LEVELS, type Config } from './config/schema.js';
import { helloFor } from './hello.js';
import { FrameHub } from './hub/frame-hub.js';
import { openAuthenticator } from './auth/open-authenticator.js';
import { WscamServer } from './http/server.js';
import { createRootLogger, moduleLogger, type Logger } from './log.js';

const EXIT_BAD_CONFIG = 2;
const EXIT_FATAL = 1;
/** The contract promises an exit within 5 s of SIGTERM. */
const SHUTDOWN_DEADLINE_MS = 4500;
const WEB_ROOT = fileURLToPath(new URL('../web/', import.meta.url));

const USAGE = `usage:
  wscam [--config FILE] [--host ADDR] [--port N] [--log-level LEVEL]
  wscam check-config FILE
  wscam hash-password            (password on stdin)`;

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string' },
        host: { type: 'string' },
        port: { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return EXIT_BAD_CONFIG;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const [command, ...rest] = positionals;
  if (command === 'check-config') return checkConfigCommand(rest);
  if (command === 'hash-password') {
    const { runHashPasswordCommand } = await import('./auth/hash-password-command.js');
    return runHashPasswordCommand(process.stdin, process.stdout, process.stderr);
  }
  if (command !== undefined) {
    process.stderr.write(`unknown command "${command}"\n${USAGE}\n`);
    return EXIT_BAD_CONFIG;
  }

  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535)) {
    process.stderr.write(`--port: must be an integer 0..65535\n`);
    return EXIT_BAD_CONFIG;
  }
  const logLevel = values['log-level'];
  if (logLevel !== undefined && !(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    process.stderr.write(`--log-level: must be one of ${LOG_LEVELS.join(', ')}\n`);
    return EXIT_BAD_CONFIG;
  }
  const configPath = chooseConfigPath(values.config, process.env);
  const loaded = loadConfig(configPath, {
    ...(values.host !== undefined ? { host: values.host } : {}),
    ...(port !== undefined ? { port } : {}),
    ...(logLevel !== undefined ? { logLevel } : {}),
  });
  if (!loaded.ok) {
    process.stderr.write(`wscam: bad config ${configPath}\n${loaded.errors.join('\n')}\n`);
    return EXIT_BAD_CONFIG;
  }
  const log = createRootLogger(loaded.config.log.level);
  // A bug must leave one clear fatal line in the journal; systemd then restarts the daemon.
  process.on('uncaughtException', (error) => {
    log.fatal({ err: error.stack }, 'uncaught exception');
    process.exit(EXIT_FATAL);
  });
  log.info({ config: configPath }, 'wscam starting');
  return runDaemon(loaded.config, log);
}

function checkConfigCommand(files: string[]): number {
  if (files.length !== 1) {
    process.stderr.write(`${USAGE}\n`);
    return EXIT_BAD_CONFIG;
  }
  const result = readConfigFile(files[0]!);
  if (result.ok) {
    process.stdout.write('ok\n');
    return 0;
  }
  process.stdout.write(`${result.errors.join('\n')}\n`);
  return EXIT_BAD_CONFIG;
}

function readTls(config: Config): { ok: true; tls: { cert: Buffer; key: Buffer } | null } | { ok: false; error: string } {
  const tls = config.server.tls;
  if (!tls) return { ok: true, tls: null };
  let pair: { cert: Buffer; key: Buffer };
  try {
    pair = { cert: readFileSync(tls.cert), key: readFileSync(tls.key) };
  } catch (error) {
    const failure = error as NodeJS.ErrnoException;
    return { ok: false, error: `server.tls: cannot read ${failure.path ?? 'file'}: ${failure.code ?? failure.message}` };
  }
  try {
    createSecureContext(pair);
  } catch (error) {
    const reason = (error as Error).message.includes('key values mismatch') ? 'the key does not belong to the certificate' : (error as Error).message;
    return { ok: false, error: `server.tls: ${tls.cert} / ${tls.key}: ${reason}` };
  }
  return { ok: true, tls: pair };
}

/** Starts hub → capture → server in order and stops them in reverse on SIGTERM/SIGINT. */
async function runDaemon(config: Config, log: Logger): Promise<number> {
  const tls = readTls(config);
  if (!tls.ok) {
    log.fatal(tls.error);
    return EXIT_BAD_CONFIG;
  }
  const opened = await openAuthenticator({
    auth: config.auth,
    secure: tls.tls !== null,
    allowedOrigins: config.server.allowedOrigins,
    env: process.env,
    warn: (message) => log.warn({ module: 'auth' }, message),
  });
  if (!opened.ok) {
    log.fatal({ module: 'auth' }, opened.error);
    return EXIT_FATAL;
  }
  const { authenticator, firstRunToken } = opened.value;
  const hub = new FrameHub();
  const capture = new CaptureController({ hub, config, log });
  const server = new WscamServer({
    config,
    hub,
    capture,
    authenticator,
    webRoot: WEB_ROOT,
    hello: () => helloFor(config),
    log: moduleLogger(log, 'http'),
    tls: tls.tls,
  });
  if (usesFfmpeg(config)) {
    // Sources look ffmpeg up again at every start, so installing it later heals them; say it loudly now.
    const ffmpeg = await resolveFfmpeg(config.ffmpeg.path);
    if (ffmpeg.ok) log.info({ module: 'capture', ffmpeg: ffmpeg.path, from: ffmpeg.from }, 'using ffmpeg');
    else log.error({ module: 'capture' }, ffmpeg.error);
  }
  let address;
  try {
    await capture.start();
    address = await server.listen();
  } catch (error) {
    log.fatal({ err: (error as Error).message }, 'cannot start');
    await capture.stop();
    return EXIT_FATAL;
  }
  const scheme = tls.tls ? 'https' : 'http';
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  log.info({ url: `${scheme}://${shownHost}:${address.port}/` }, 'listening');
  authenticator.onSessionEnded((sessionId) => server.closeSession(sessionId));
  if (config.auth.disabled) log.warn('auth.disabled is true: anyone who reaches this port can watch');
  if (firstRunToken) {
    // The one log line allowed to carry a token (CONTRACT.md, Auth); no redaction path matches viewerUrl.
    const viewerUrl = `${scheme}://${viewerHost(address.address, shownHost)}:${address.port}/?token=${firstRunToken.token}`;
    log.info({ viewerUrl }, 'open the viewer');
  }

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'stopping');
      const deadline = setTimeout(() => {
        log.warn('shutdown took too long, exiting anyway');
        resolve(0);
      }, SHUTDOWN_DEADLINE_MS);
      deadline.unref();
      void Promise.allSettled([server.close(), capture.stop()]).then(async () => {
        await authenticator.close();
        clearTimeout(deadline);
        log.info('stopped');
        resolve(0);
      });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}

/** The host to print in the viewer URL: for a wildcard listen address, this board's LAN address, which a phone can open. */
function viewerHost(address: string, shown: string): string {
  if (address !== '0.0.0.0' && address !== '::') return shown;
  const lan = Object.values(networkInterfaces())
    .flat()
    .find((entry) => entry !== undefined && entry.family === 'IPv4' && !entry.internal);
  return lan?.address ?? hostname();
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Flush pino's async stdout before leaving; timers and sockets are already closed.
    setImmediate(() => process.exit(code));
  },
  (error: unknown) => {
    process.stderr.write(`wscam: fatal: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(EXIT_FATAL);
  },
);
