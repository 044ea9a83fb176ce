/**
 * The camera-like input of issue #12, as an ffmpeg lavfi graph: what a fixed camera sees — a
 * still background, one moving object, mild temporal sensor noise. At 1280x720@30 it is the issue's
 * graph character for character; other sizes scale it (object W/4 x H/3 at y = H/3, W/8 px/s).
 * Deterministic: two runs give byte-identical frames, so the source can be regenerated for SSIM.
 */
export function cameraGraph(width: number, height: number, fps: number): string {
  const objectWidth = Math.round(width / 4);
  const objectHeight = Math.round(height / 3);
  const background = `testsrc2=size=${width}x${height}:rate=${fps},trim=end_frame=1,loop=loop=-1:size=1,setpts=N/${fps}/TB[bg]`;
  const object = `testsrc2=size=${objectWidth}x${objectHeight}:rate=${fps}[fg]`;
  const path = `x='mod(t*${Math.round(width / 8)}\\,${width - objectWidth})':y=${objectHeight}`;
  return `${background};${object};[bg][fg]overlay=${path},noise=alls=3:allf=t+u`;
}

/** The ffmpeg input arguments for the graph at its own rate (as a camera delivers it). */
export function cameraInput(width: number, height: number, fps: number, realTime: boolean): string[] {
  return [...(realTime ? ['-re'] : []), '-f', 'lavfi', '-i', cameraGraph(width, height, fps)];
}
