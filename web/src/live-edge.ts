/** How far behind the newest buffered frame an MSE `<video>` may play before it jumps to it. */
export const maxLiveLagSeconds = 0.2;
/** Playback speed while catching up on a lag below the jump threshold. */
export const catchUpRate = 1.25;

export interface LiveEdgeAction {
  /** Where to seek, or null to stay. */
  seekTo: number | null;
  playbackRate: number;
}

/**
 * Keeps an MSE `<video>` at the live edge. The newest frame starts one frame before the buffered end,
 * so a lag of about one frame is the least there is; above two frames it plays faster, and above
 * 200 ms (or two frames at a low frame rate) it seeks to the newest frame.
 */
export function liveEdgeAction(currentTime: number, bufferedEnd: number, frameSeconds: number): LiveEdgeAction {
  const lag = bufferedEnd - currentTime;
  const newestFrameStart = Math.max(0, bufferedEnd - frameSeconds);
  if (lag > Math.max(maxLiveLagSeconds, 2 * frameSeconds)) return { seekTo: newestFrameStart, playbackRate: 1 };
  return { seekTo: null, playbackRate: lag > 2 * frameSeconds ? catchUpRate : 1 };
}
