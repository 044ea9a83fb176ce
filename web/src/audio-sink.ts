import { JitterBuffer, type JitterBufferOptions, type JitterBufferStats } from './jitter-buffer.js';
import type { PlayerCommand, PlayerReport } from './pcm-player-messages.js';

/** Where decoded audio goes: an AudioNode that plays pushed chunks at a steady latency. */
export interface AudioSink {
  readonly node: AudioNode;
  readonly kind: 'worklet' | 'script-processor';
  push(planes: Float32Array[]): void;
  clear(): void;
  stats(): JitterBufferStats | null;
  disconnect(): void;
}

const workletUrl = 'pcm-player.worklet.js';
const loadedContexts = new WeakSet<BaseAudioContext>();

/**
 * The AudioWorklet player where the page may use one; AudioWorklet exists only in secure contexts,
 * so plain http://DEVICE-IP pages get the ScriptProcessor fallback with the same jitter buffer.
 */
export async function createAudioSink(context: AudioContext, options: JitterBufferOptions): Promise<AudioSink> {
  if (context.audioWorklet) {
    try {
      return await createWorkletSink(context, options);
    } catch (error) {
      console.warn('wscam: AudioWorklet unavailable, using ScriptProcessor', error);
    }
  }
  return createScriptProcessorSink(context, options);
}

async function createWorkletSink(context: AudioContext, options: JitterBufferOptions): Promise<AudioSink> {
  if (!loadedContexts.has(context)) {
    await context.audioWorklet.addModule(workletUrl);
    loadedContexts.add(context);
  }
  const node = new AudioWorkletNode(context, 'pcm-player', {
    numberOfInputs: 0,
    numberOfOutputs: 1,
    outputChannelCount: [options.channels],
    processorOptions: options,
  });
  let latest: JitterBufferStats | null = null;
  node.port.onmessage = (event: MessageEvent<PlayerReport>) => {
    latest = event.data.stats;
  };
  const post = (command: PlayerCommand, transfer: Transferable[] = []) => node.port.postMessage(command, transfer);
  return {
    node,
    kind: 'worklet',
    push: (planes) =>
      post(
        { type: 'chunk', planes },
        planes.map((plane) => plane.buffer),
      ),
    clear: () => post({ type: 'clear' }),
    stats: () => latest,
    disconnect: () => {
      node.port.onmessage = null;
      node.disconnect();
    },
  };
}

function createScriptProcessorSink(context: AudioContext, options: JitterBufferOptions): AudioSink {
  const buffer = new JitterBuffer(options);
  // 1024 frames is ~21 ms at 48 kHz: small enough for low latency, large enough not to glitch.
  const node = context.createScriptProcessor(1024, 0, options.channels);
  node.onaudioprocess = (event) => {
    const outputs: Float32Array[] = [];
    for (let c = 0; c < event.outputBuffer.numberOfChannels; c++) outputs.push(event.outputBuffer.getChannelData(c));
    buffer.render(outputs);
  };
  return {
    node,
    kind: 'script-processor',
    push: (planes) => buffer.push(planes),
    clear: () => buffer.clear(),
    stats: () => buffer.stats(),
    disconnect: () => {
      node.onaudioprocess = null;
      node.disconnect();
    },
  };
}
