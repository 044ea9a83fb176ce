import type { HelloMessage } from '../../src/protocol/messages.js';
import type { AudioPlayerStats } from './audio-player.js';
import type { VideoStats } from './debug-handle.js';
import { byId } from './dom.js';
import { formatBitrate, formatChannels, formatMs, formatRate } from './format.js';
import type { StreamStats } from './stats.js';
import { pathLabel } from './video-path.js';
import { stateLabel, type ViewerState } from './viewer-state.js';

const hiddenKey = 'wscam.overlayHidden';

/** What the overlay shows, gathered once per refresh. */
export interface OverlayInput {
  state: ViewerState;
  hello: HelloMessage | null;
  stream: StreamStats;
  video: VideoStats;
  audio: AudioPlayerStats;
  audioCodec: string | null;
}

function readHidden(): boolean {
  try {
    return localStorage.getItem(hiddenKey) === '1';
  } catch {
    return false;
  }
}

/** The corner panel of numbers; its hidden state survives reloads. */
export class StatusOverlay {
  private readonly panel = byId('overlay', HTMLElement);
  private readonly fields = {
    state: byId('stat-state', HTMLElement),
    resolution: byId('stat-resolution', HTMLElement),
    path: byId('stat-path', HTMLElement),
    fps: byId('stat-fps', HTMLElement),
    latency: byId('stat-latency', HTMLElement),
    offset: byId('stat-offset', HTMLElement),
    bitrate: byId('stat-bitrate', HTMLElement),
    dropped: byId('stat-dropped', HTMLElement),
    audio: byId('stat-audio', HTMLElement),
  };

  constructor(private readonly onVisibilityChange: (visible: boolean) => void) {
    this.setVisible(!readHidden());
  }

  get visible(): boolean {
    return !this.panel.hidden;
  }

  toggle(): void {
    this.setVisible(!this.visible);
  }

  setVisible(visible: boolean): void {
    this.panel.hidden = !visible;
    try {
      localStorage.setItem(hiddenKey, visible ? '0' : '1');
    } catch {
      // Private browsing may refuse storage; the toggle still works for this visit.
    }
    this.onVisibilityChange(visible);
  }

  update({ state, hello, stream, video, audio, audioCodec }: OverlayInput): void {
    if (!this.visible) return;
    const f = this.fields;
    f.state.textContent = stateLabel(state);
    f.state.dataset.state = state;
    f.resolution.textContent = hello ? `${hello.video.width}×${hello.video.height} @ ${hello.video.fps}` : '–';
    f.path.textContent = describePath(video, stream);
    f.fps.textContent = stream.fps.toFixed(1);
    f.latency.textContent =
      stream.latencyMs === null ? '–' : `${formatMs(stream.latencyMs)} (corrected ${formatMs(stream.correctedLatencyMs)})`;
    f.offset.textContent = stream.clockOffsetMs === null ? '–' : `±${formatMs(Math.abs(stream.clockOffsetMs))}`;
    f.bitrate.textContent = formatBitrate(stream.bitrateKbps);
    f.dropped.textContent = `${stream.droppedFrames} (${stream.sequenceGaps} gaps, ${stream.decodeDrops} skipped)`;
    f.audio.textContent = describeAudio(hello, audio, audioCodec);
  }
}

function describePath(video: VideoStats, stream: StreamStats): string {
  if (video.path === null) return '–';
  const latency = stream.latencyP50Ms === null ? '' : ` · ${formatMs(stream.latencyP50Ms)} median`;
  const errors = video.decoderErrors === 0 ? '' : ` · ${video.decoderErrors} decoder errors`;
  return `${pathLabel(video.path)}${latency}${errors}`;
}

function describeAudio(hello: HelloMessage | null, audio: AudioPlayerStats, codec: string | null): string {
  if (!hello?.audio) return 'none';
  const format = `${codec ?? hello.audio.codec} ${formatRate(hello.audio.sampleRate)} ${formatChannels(hello.audio.channels)}`;
  if (audio.contextState === 'none') return `${format} · off`;
  if (audio.cannotDecode) return `${format} · this browser cannot decode it`;
  const buffer = audio.buffer ? ` · buffer ${formatMs(audio.buffer.bufferedMs)}` : '';
  return `${format}${buffer}${audio.muted ? ' · muted' : ''}`;
}
