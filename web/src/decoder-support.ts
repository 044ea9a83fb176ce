import type { PathSupport } from './video-path.js';

declare global {
  /** iOS Safari's MediaSource (17.1+), the only one an iPhone has. */
  var ManagedMediaSource: typeof MediaSource | undefined;
}

/** The MediaSource this browser has: the standard one, else iOS Safari's ManagedMediaSource. */
export function mediaSourceClass(): typeof MediaSource | undefined {
  return globalThis.MediaSource ?? globalThis.ManagedMediaSource;
}

/**
 * Asks the browser whether it can decode this H.264 profile/level. WebCodecs exists only in secure
 * contexts (https, localhost, 127.0.0.1), so a plain-http LAN address gets MSE.
 */
export async function probeH264Support(codecString: string): Promise<PathSupport> {
  let webcodecs = false;
  if (typeof VideoDecoder !== 'undefined') {
    try {
      webcodecs = (await VideoDecoder.isConfigSupported({ codec: codecString, optimizeForLatency: true })).supported === true;
    } catch {
      webcodecs = false;
    }
  }
  const mse = mediaSourceClass()?.isTypeSupported(`video/mp4; codecs="${codecString}"`) ?? false;
  return { webcodecs, mse };
}
