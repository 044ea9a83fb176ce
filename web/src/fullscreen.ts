// Safari before 16.4 only has the prefixed API.
interface PrefixedDocument {
  webkitFullscreenEnabled?: boolean;
  webkitFullscreenElement?: Element | null;
  webkitExitFullscreen?: () => void;
}
interface PrefixedElement {
  webkitRequestFullscreen?: () => void;
}

/** False on iPhones, which allow fullscreen only for <video>; the button is hidden there. */
export function fullscreenSupported(): boolean {
  return document.fullscreenEnabled || (document as PrefixedDocument).webkitFullscreenEnabled === true;
}

export function isFullscreen(): boolean {
  return (document.fullscreenElement ?? (document as PrefixedDocument).webkitFullscreenElement ?? null) !== null;
}

export function toggleFullscreen(element: HTMLElement): void {
  const prefixedDocument = document as PrefixedDocument;
  if (isFullscreen()) {
    if (document.exitFullscreen) void document.exitFullscreen().catch(() => undefined);
    else prefixedDocument.webkitExitFullscreen?.();
  } else if (element.requestFullscreen) {
    void element.requestFullscreen({ navigationUI: 'hide' }).catch(() => undefined);
  } else {
    (element as PrefixedElement).webkitRequestFullscreen?.();
  }
}

export function onFullscreenChange(listener: () => void): void {
  document.addEventListener('fullscreenchange', listener);
  document.addEventListener('webkitfullscreenchange', listener);
}
