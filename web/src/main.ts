import { ChunkKind, type ChunkHeader } from '../../src/protocol/header.js';
import type { AudioCodecName, HelloMessage, SubscribeMessage } from '../../src/protocol/messages.js';
import { AudioPlayer } from './audio-player.js';
import { checkSession, login, logout, takeUrlToken } from './auth-api.js';
import { StreamConnection, streamUrl } from './connection.js';
import { ControlBar } from './control-bar.js';
import type { VideoStats } from './debug-handle.js';
import { byId } from './dom.js';
import { fullscreenSupported, isFullscreen, onFullscreenChange, toggleFullscreen } from './fullscreen.js';
import { H264Video } from './h264-video.js';
import { LoginForm } from './login-form.js';
import { canDecodeOpus } from './opus-decoder.js';
import { downloadPicture, downloadSnapshot } from './snapshot.js';
import { StatsCollector, wallClockMs } from './stats.js';
import { StatusOverlay } from './status-overlay.js';
import { VideoRenderer } from './video-renderer.js';
import { forcedPath, type VideoPath } from './video-path.js';
import { stateMessage, type ViewerState } from './viewer-state.js';

const noSignalAfterMs = 3000;
const refreshEveryMs = 500;

const app = byId('app', HTMLElement);
const message = byId('message', HTMLElement);
const canvas = byId('video', HTMLCanvasElement);
const videoElement = byId('video-mse', HTMLVideoElement);
const stats = new StatsCollector();
const audio = new AudioPlayer();
const renderer = new VideoRenderer(canvas, {
  onDrawn: (frame) => recordDisplayed(frame.captureTimeMs, wallClockMs()),
  onDropped: () => stats.recordDecodeDrop(),
});
const h264 = new H264Video(canvas, videoElement, {
  onDisplayed: recordDisplayed,
  onDropped: () => stats.recordDecodeDrop(),
});
const forced = forcedPath(window.location.search);

let state: ViewerState = 'connecting';
let countdown = 0;
let hello: HelloMessage | null = null;
// Which audio codec this browser asked for; null until sound is on.
let audioCodec: AudioCodecName | null = null;
// How this hello's video is shown; null while the browser is asked what it can decode.
let videoPath: VideoPath | null = null;
let videoReady: Promise<void> = Promise.resolve();
let helloAt = 0;
let firstPictureMs: number | null = null;
let lastDisplayedCaptureMs = 0;

const connection = new StreamConnection(streamUrl(), {
  onConnecting: () => setState('connecting'),
  onHello: (received) => {
    hello = received;
    helloAt = wallClockMs();
    firstPictureMs = null;
    stats.resetConnection();
    renderer.setSize(received.video.width, received.video.height);
    videoReady = setUpVideo(received);
    audio.clear();
    controls.setAudioAvailable(received.audio !== null);
    setState('live');
    void subscribe();
  },
  onChunk: receiveChunk,
  onClosed: ({ beforeHello }) => {
    if (beforeHello) void afterRefusal();
    else connection.retryLater();
  },
  onCountdown: (seconds) => {
    countdown = seconds;
    setState('reconnecting');
  },
});

const loginForm = new LoginForm(() => {
  connection.connect();
  void refreshLogoutButton();
});

const controls: ControlBar = new ControlBar(app, {
  soundOn: () => void soundOn(),
  toggleMute: () => {
    if (!audio.started) return void soundOn();
    audio.setMuted(!audio.isMuted);
    controls.setSound(true, audio.isMuted);
  },
  setVolume: (volume) => {
    audio.setVolume(volume);
    if (volume > 0 && audio.isMuted) audio.setMuted(false);
    controls.setSound(true, audio.isMuted);
  },
  snapshot: () => {
    const frame = renderer.currentFrame;
    if (videoPath === 'jpeg' && frame) downloadSnapshot(frame);
    else if (videoPath === 'webcodecs') downloadPicture(canvas, lastDisplayedCaptureMs);
    else if (videoPath === 'mse') downloadPicture(videoElement, lastDisplayedCaptureMs);
  },
  toggleFullscreen: () => toggleFullscreen(app),
  toggleOverlay: () => overlay.toggle(),
  logout: () => void logOut(),
});

const overlay = new StatusOverlay((visible) => controls.setOverlayVisible(visible));

function setState(next: ViewerState): void {
  state = next;
  app.dataset.state = next;
  controls.setAutoHide(next === 'live');
  const text = stateMessage(next, countdown);
  message.hidden = text === null;
  message.textContent = text ?? '';
  showStats();
}

/** Picks the video path for a hello: JPEG as offered, or for H.264 whatever this browser decodes best. */
async function setUpVideo(received: HelloMessage): Promise<void> {
  videoPath = null;
  h264.stop();
  let path: VideoPath = 'jpeg';
  if (received.video.codec === 'h264') {
    path = await h264.start(received.video, forced);
    if (hello !== received) return;
    if (path === 'jpeg') h264.stop();
  }
  videoPath = path;
  videoElement.hidden = path !== 'mse';
  canvas.hidden = path === 'mse';
}

function recordDisplayed(captureTimeMs: number, displayedAt: number): void {
  stats.recordDrawn(captureTimeMs, displayedAt);
  lastDisplayedCaptureMs = captureTimeMs;
  firstPictureMs ??= displayedAt - helloAt;
  controls.setSnapshotEnabled(true);
}

function receiveChunk(header: ChunkHeader, payload: Uint8Array<ArrayBuffer>, byteLength: number, receivedAt: number): void {
  stats.recordMessage(byteLength, receivedAt);
  const captureTimeMs = header.captureTimeUs / 1000;
  // Kind 1 and kind 4 count their sequences apart; only the kind this page shows goes into the stats.
  const shown = videoPath === 'jpeg' ? ChunkKind.Jpeg : hello?.video.codec === 'h264' ? ChunkKind.H264 : null;
  if (header.kind === shown) {
    stats.recordVideoFrame(header.sequence, captureTimeMs, receivedAt);
    if (state === 'no-signal') setState('live');
  }
  if (header.kind === ChunkKind.Jpeg && shown === ChunkKind.Jpeg) {
    // A hidden tab draws nothing; decoding there would only burn the battery.
    if (!document.hidden) renderer.push({ jpeg: payload, captureTimeMs });
  } else if (header.kind === ChunkKind.H264 && shown === ChunkKind.H264) {
    h264.receive(header, payload);
  } else if (header.kind === ChunkKind.Pcm) {
    audio.pushPcm(payload);
  } else if (header.kind === ChunkKind.Opus && hello?.audio) {
    audio.pushOpus(payload, header.captureTimeUs, hello.audio);
  }
}

/** Tells the daemon what to send: audio only once the person has asked for sound. */
async function subscribe(): Promise<void> {
  await videoReady;
  const format = hello?.audio ?? null;
  const wantAudio = audio.started && format !== null;
  const request: SubscribeMessage = { type: 'subscribe', video: true, audio: wantAudio };
  if (hello?.video.codec === 'h264') request.videoCodec = videoPath === 'jpeg' ? 'jpeg' : 'h264';
  if (wantAudio && format) {
    // Browsers without WebCodecs (or outside a secure context) ask the daemon for PCM instead.
    audioCodec = format.codec === 'opus' && !(await canDecodeOpus(format)) ? 'pcm_s16le' : format.codec;
    if (audioCodec !== format.codec) request.audioCodec = audioCodec;
    await audio.setFormat(format);
  }
  connection.send(request);
}

async function soundOn(): Promise<void> {
  if (!hello?.audio) return;
  audio.start(hello.audio.sampleRate);
  controls.setSound(true, audio.isMuted);
  await subscribe();
}

/** The socket closed before hello: find out whether the daemon wants a login or is just away. */
async function afterRefusal(): Promise<void> {
  const session = await checkSession();
  if (session.kind === 'login-required') {
    showLogin();
    return;
  }
  connection.retryLater();
}

function showLogin(text = ''): void {
  connection.disconnect();
  audio.clear();
  h264.stop();
  videoPath = null;
  renderer.clear();
  controls.setSnapshotEnabled(false);
  controls.setLogout(false, null);
  setState('login');
  loginForm.show(text);
}

async function logOut(): Promise<void> {
  connection.disconnect();
  await logout();
  showLogin();
}

async function refreshLogoutButton(): Promise<void> {
  const session = await checkSession();
  if (session.kind === 'authenticated') controls.setLogout(session.canLogOut, session.username);
  else controls.setLogout(false, null);
}

function videoStats(): VideoStats {
  return { path: videoPath, firstPictureMs, ...h264.stats() };
}

function showStats(): void {
  overlay.update({ state, hello, stream: stats.snapshot(), video: videoStats(), audio: audio.stats(), audioCodec });
}

function refresh(): void {
  const lastFrameAge = stats.snapshot().lastFrameAgeMs ?? Infinity;
  if (state === 'live' && lastFrameAge > noSignalAfterMs && connection.open) setState('no-signal');
  else showStats();
}

window.wscam = {
  state: () => state,
  get analyser() {
    return audio.analyser;
  },
  get audioContext() {
    return audio.audioContext;
  },
  stats: () => ({ ...stats.snapshot(), hello, video: videoStats(), audio: audio.stats(), audioCodec }),
};

async function start(): Promise<void> {
  controls.setFullscreen(fullscreenSupported(), false);
  controls.setOverlayVisible(overlay.visible);
  controls.setSnapshotEnabled(false);
  onFullscreenChange(() => controls.setFullscreen(fullscreenSupported(), isFullscreen()));
  canvas.addEventListener('dblclick', () => toggleFullscreen(app));
  videoElement.addEventListener('dblclick', () => toggleFullscreen(app));
  window.setInterval(refresh, refreshEveryMs);
  setState('connecting');
  const token = takeUrlToken();
  if (token !== null) {
    const result = await login({ token });
    if (!result.ok && (result.status === 401 || result.status === 429)) {
      showLogin(result.status === 401 ? 'That link has expired — please log in' : 'Too many attempts, log in later');
      return;
    }
  }
  connection.connect();
  void refreshLogoutButton();
}

void start();
