import { JitterBuffer, type JitterBufferOptions } from './jitter-buffer.js';
import type { PlayerCommand, PlayerReport } from './pcm-player-messages.js';

// AudioWorkletGlobalScope names; lib.dom describes only the main thread.
declare class AudioWorkletProcessor {
  readonly port: MessagePort;
}
declare function registerProcessor(
  name: string,
  processor: new (options: { processorOptions: JitterBufferOptions }) => AudioWorkletProcessor,
): void;

const reportEveryBlocks = 64;

/** Plays planar float chunks posted from the main thread through a JitterBuffer. */
class PcmPlayerProcessor extends AudioWorkletProcessor {
  private buffer: JitterBuffer;
  private blocks = 0;

  constructor(options: { processorOptions: JitterBufferOptions }) {
    super();
    this.buffer = new JitterBuffer(options.processorOptions);
    this.port.onmessage = (event: MessageEvent<PlayerCommand>) => {
      const command = event.data;
      if (command.type === 'chunk') this.buffer.push(command.planes);
      else if (command.type === 'clear') this.buffer.clear();
    };
  }

  process(_inputs: Float32Array[][], outputs: Float32Array[][]): boolean {
    const output = outputs[0];
    if (output) this.buffer.render(output);
    // Report a few times a second so the page can show the buffer level.
    if (++this.blocks % reportEveryBlocks === 0) {
      const report: PlayerReport = { type: 'stats', stats: this.buffer.stats() };
      this.port.postMessage(report);
    }
    return true;
  }
}

registerProcessor('pcm-player', PcmPlayerProcessor);
