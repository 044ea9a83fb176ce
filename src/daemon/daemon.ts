import { openAuthenticator } from '../auth/open-authenticator.js';
import { CaptureController } from '../capture/capture-controller.js';
import { usesFfmpeg } from '../capture/create.js';
import { resolveFfmpeg } from '../capture/process/ffmpeg-path.js';
import { loadConfig, type ConfigOverrides } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { EXIT_BAD_CONFIG, EXIT_FATAL, EXIT_OK } from '../exit-codes.js';
import { helloFor } from '../hello.js';
import { WEB_ROOT } from '../package-root.js';
import { WscamServer } from '../http/server.js';
import { FrameHub } from '../hub/frame-hub.js';
import { createRootLogger, moduleLogger, VIEWER_URL_FIELD, type Logger } from '../log.js';
import { readTls } from '../tls.js';
import { listeningUrl, viewerUrl } from '../viewer-url.js';
import { NOTIFY_VARIABLES, openServiceNotifier } from './service-notifier.js';
import { startMemoryTrim } from './memory-trim.js';
import { reportReadyAndStatus } from './service-status.js';
import { createReloader } from './reload.js';
import { handleSignals, type StopSignal } from './signals.js';
import { StopStack } from './stop-stack.js';
import { describeError } from '../describe-error.js';

/** The contract promises an exit within 5 s of SIGTERM; the rest is pino's flush and process exit. */
const SHUTDOWN_DEADLINE_MS = 4500;

/** Where the daemon's config comes from: the file (re-read on reload) and the command-line overrides. */
export interface DaemonSource {
  configPath: string;
  overrides: ConfigOverrides;
}

/** Loads the config and runs the daemon until a stop signal; resolves with the exit code. */
export async function runDaemon(source: DaemonSource, env: NodeJS.ProcessEnv): Promise<number> {
  const loaded = loadConfig(source.configPath, source.overrides);
  if (!loaded.ok) {
    process.stderr.write(`wscam: bad config ${source.configPath}\n${loaded.errors.join('\n')}\n`);
    return EXIT_BAD_CONFIG;
  }
  const log = createRootLogger(loaded.config.log.level);
  // A bug must leave one clear fatal line in the journal; systemd then restarts the daemon.
  process.on('uncaughtException', (error) => {
    log.fatal({ err: error.stack }, 'uncaught exception');
    process.exit(EXIT_FATAL);
  });
  log.info({ config: source.configPath }, 'wscam starting');
  const notifyEnv = { ...env };
  // like sd_notify's unset_environment: ffmpeg and other children must not talk to systemd as us
  for (const name of NOTIFY_VARIABLES) delete process.env[name];
  return serve(source, loaded.config, log, notifyEnv);
}

/** Starts notifier → auth → hub → capture → server in order and stops them in reverse on SIGTERM/SIGINT. */
async function serve(source: DaemonSource, config: Config, log: Logger, env: NodeJS.ProcessEnv): Promise<number> {
  // what runs now: the startup config, then whatever reloads could apply
  let running = config;
  // Signals are answered from the first moment; a stop asked for while starting runs once started.
  let stopRequest: StopSignal | undefined;
  let stop = (signal: StopSignal) => {
    stopRequest ??= signal;
  };
  let reload = () => log.info('SIGHUP while starting: the config just read is the one used');
  handleSignals({ stop: (signal) => stop(signal), reload: () => reload() }, log);
  const tls = readTls(config.server.tls);
  if (!tls.ok) {
    log.fatal(tls.error);
    return EXIT_BAD_CONFIG;
  }
  const started = new StopStack();
  const notifier = openServiceNotifier(env, moduleLogger(log, 'systemd'));
  started.push('systemd notifier', () => notifier.close());
  const opened = await openAuthenticator({
    auth: config.auth,
    secure: tls.tls !== null,
    allowedOrigins: config.server.allowedOrigins,
    env,
    warn: (message) => log.warn({ module: 'auth' }, message),
  });
  if (!opened.ok) {
    log.fatal({ module: 'auth' }, opened.error);
    await started.unwind(SHUTDOWN_DEADLINE_MS, log);
    return EXIT_FATAL;
  }
  const { authenticator, firstRunToken, stateDir } = opened.value;
  started.push('auth', () => authenticator.stop());
  const hub = new FrameHub();
  const capture = new CaptureController({ hub, config, log });
  const server = new WscamServer({
    config,
    hub,
    capture,
    authenticator,
    webRoot: WEB_ROOT,
    hello: () => helloFor(running),
    log: moduleLogger(log, 'http'),
    tls: tls.tls,
  });
  await reportFfmpeg(config, log);
  try {
    started.push('capture', () => capture.stop());
    await capture.start();
    await server.start();
    started.push('server', () => server.stop());
  } catch (error) {
    log.fatal({ err: describeError(error) }, 'cannot start');
    await started.unwind(SHUTDOWN_DEADLINE_MS, log);
    return EXIT_FATAL;
  }
  const { address } = server;
  const scheme = tls.tls ? 'https' : 'http';
  log.info({ url: listeningUrl(scheme, address) }, 'listening');
  authenticator.onSessionEnded((sessionId) => server.closeSession(sessionId));
  if (config.auth.disabled) log.warn('auth.disabled is true: anyone who reaches this port can watch');
  const showViewerUrl = (token: string) => {
    const shown = viewerUrl(scheme, address, token);
    if (shown.problem) log.warn(shown.problem);
    // The one log line allowed to carry a token (docs/http-api.md, Credentials); the redaction skips this field.
    log.info({ [VIEWER_URL_FIELD]: shown.url }, 'open the viewer');
  };
  if (firstRunToken) showViewerUrl(firstRunToken.token);
  const reloader = createReloader({
    source,
    capture,
    authenticator,
    server,
    stateDir,
    log: moduleLogger(log, 'reload'),
    running: () => running,
    setRunning: (applied) => {
      running = applied;
    },
    showViewerUrl,
  });
  started.push('config reload', () => reloader.settled());
  started.push('status updates', reportReadyAndStatus(notifier, hub, capture));
  started.push('memory trim', startMemoryTrim(hub, log));

  return new Promise<number>((resolve) => {
    let stopping = false;
    stop = (signal) => {
      if (stopping) {
        log.info({ signal }, 'already stopping');
        return;
      }
      stopping = true;
      log.info({ signal }, 'stopping');
      notifier.stopping();
      void started.unwind(SHUTDOWN_DEADLINE_MS, log).then((finished) => {
        if (finished) log.info('stopped');
        else log.warn('shutdown took too long, exiting anyway');
        resolve(EXIT_OK);
      });
    };
    reload = () => {
      if (stopping) log.info('stopping: SIGHUP ignored');
      else reloader.reload();
    };
    if (stopRequest) stop(stopRequest);
  });
}

// Sources look ffmpeg up again at every start, so installing it later heals them; say it loudly now.
async function reportFfmpeg(config: Config, log: Logger): Promise<void> {
  if (!usesFfmpeg(config)) return;
  const ffmpeg = await resolveFfmpeg(config.ffmpeg.path);
  if (ffmpeg.ok) log.info({ module: 'capture', ffmpeg: ffmpeg.path, from: ffmpeg.from }, 'using ffmpeg');
  else log.error({ module: 'capture' }, ffmpeg.error);
}
