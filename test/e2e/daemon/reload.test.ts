import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import jpeg from 'jpeg-js';
import type { ConfigInput } from '../../../src/config/schema.js';
import { ChunkKind } from '../../../src/protocol/header.js';
import { reloadDaemon, startDaemon, type RunningDaemon } from '../../helpers/daemon.js';
import { TestViewer } from '../../helpers/ws-viewer.js';

const TOKEN_A = 'token-a-0123456789abcdef';
const TOKEN_B = 'token-b-0123456789abcdef';

function jpegSize(payload: Buffer): { width: number; height: number } {
  const { width, height } = jpeg.decode(payload, { useTArray: true });
  return { width, height };
}

async function sessionStatus(daemon: RunningDaemon, token: string): Promise<number> {
  const answer = await fetch(`${daemon.baseUrl}/api/session`, { headers: { Authorization: `Bearer ${token}` } });
  await answer.arrayBuffer();
  return answer.status;
}

describe('SIGHUP reloads capture settings without dropping viewers', () => {
  const small: ConfigInput = { auth: { disabled: true }, video: { width: 160, height: 120 }, audio: { sampleRate: 48000 } };
  let daemon: RunningDaemon;
  let viewer: TestViewer;
  before(async () => {
    daemon = await startDaemon({ config: small });
    viewer = new TestViewer(daemon.wsUrl);
    await viewer.waitFor(() => viewer.of(ChunkKind.Jpeg).length >= 1, 15000, 'first frame');
  });
  after(async () => {
    viewer.close();
    await daemon.stop();
  });

  test('a changed video and audio format: capture restarts, the viewer stays and gets a new hello, then the new format', async () => {
    assert.deepEqual(jpegSize(viewer.of(ChunkKind.Jpeg)[0]!.payload), { width: 160, height: 120 });
    const outcome = await reloadDaemon(daemon, { ...small, video: { width: 320, height: 240 }, audio: { sampleRate: 16000 } });
    assert.equal(outcome.msg, 'config reloaded');
    assert.deepEqual([...(outcome.changed as string[])].sort(), ['audio.sampleRate', 'video.height', 'video.width']);
    await viewer.waitFor(() => viewer.hellos.length === 2, 15000, 'a second hello');
    assert.deepEqual(viewer.hellos[1]!.video, { ...viewer.hellos[0]!.video, width: 320, height: 240 });
    assert.equal(viewer.hellos[1]!.audio?.sampleRate, 16000);
    const afterHello = viewer.helloAtChunk[1]!;
    await viewer.waitFor(
      () => viewer.chunks.slice(afterHello).filter((chunk) => chunk.kind === ChunkKind.Jpeg).length >= 2,
      15000,
      'frames after the new hello',
    );
    // The new hello comes between the formats: nothing of the new one before it, nothing of the old one after.
    const jpegSizes = (chunks: typeof viewer.chunks) =>
      chunks.filter((chunk) => chunk.kind === ChunkKind.Jpeg).map((chunk) => jpegSize(chunk.payload));
    const pcmBytes = (chunks: typeof viewer.chunks) =>
      new Set(chunks.filter((chunk) => chunk.kind === ChunkKind.Pcm).map((chunk) => chunk.payload.length));
    for (const size of jpegSizes(viewer.chunks.slice(0, afterHello))) assert.deepEqual(size, { width: 160, height: 120 });
    for (const size of jpegSizes(viewer.chunks.slice(afterHello))) assert.deepEqual(size, { width: 320, height: 240 });
    assert.deepEqual([...pcmBytes(viewer.chunks.slice(0, afterHello))], [1920]);
    await viewer.waitFor(
      () => viewer.chunks.slice(afterHello).some((chunk) => chunk.kind === ChunkKind.Pcm && chunk.payload.length === 640),
      15000,
      '20 ms of 16 kHz PCM',
    );
    assert.deepEqual([...pcmBytes(viewer.chunks.slice(afterHello))], [640]);
    assert.equal(viewer.closeCode, undefined, 'the viewer was never disconnected');
    const newcomer = new TestViewer(daemon.wsUrl);
    await newcomer.waitFor(() => newcomer.hello !== undefined, 15000, 'hello');
    assert.equal(newcomer.hello!.video.width, 320);
    newcomer.close();
  });

  test('a bad file is logged with its path: message lines and the running config stays', async () => {
    const refused = await reloadDaemon(daemon, {
      ...small,
      video: { width: 320, height: 240, fps: 500, bogus: 1 } as ConfigInput['video'],
    });
    assert.equal(refused.msg, 'config reload refused: the running config stays');
    assert.deepEqual([...(refused.errors as string[])].sort(), [
      'video.bogus: unknown key',
      'video.fps: Too big: expected number to be <=120',
    ]);
    const notJson = await reloadDaemon(daemon, '{"video": ');
    assert.equal(notJson.msg, 'config reload refused: the running config stays');
    assert.match((notJson.errors as string[])[0]!, new RegExp(`^${daemon.configPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `));
    const before = viewer.chunks.length;
    await viewer.waitFor(() => viewer.chunks.length >= before + 5, 15000, 'media after the refused reloads');
    assert.equal(viewer.hellos.length, 2, 'no new hello for a refused file');
    assert.equal(viewer.closeCode, undefined);
  });

  test('an unchanged file changes nothing; server and client limits are logged as needing a restart', async () => {
    const same = await reloadDaemon(daemon, { ...small, video: { width: 320, height: 240 }, audio: { sampleRate: 16000 } });
    assert.equal(same.msg, 'config reloaded: nothing changed');
    const limits = await reloadDaemon(daemon, {
      ...small,
      video: { width: 320, height: 240 },
      audio: { sampleRate: 16000 },
      server: { allowedOrigins: ['https://example.test'] },
      clients: { max: 4 },
    });
    assert.equal(limits.msg, 'config reloaded');
    const warning = daemon
      .logLines()
      .filter((line) => line.msg === 'config reloaded, but these changes need a restart')
      .at(-1);
    assert.deepEqual([...((warning?.keys as string[]) ?? [])].sort(), ['clients.max', 'server.allowedOrigins']);
    assert.equal(viewer.hellos.length, 2, 'nothing the viewers see changed');
  });
});

describe('SIGHUP reloads users and tokens for new requests', () => {
  let daemon: RunningDaemon;
  before(async () => {
    daemon = await startDaemon({ config: { auth: { disabled: false, tokens: [TOKEN_A] }, video: { width: 160, height: 120 } } });
  });
  after(async () => {
    await daemon.stop();
  });

  test('a replaced token is refused and the new one accepted; an open stream stays', async () => {
    assert.equal(await sessionStatus(daemon, TOKEN_A), 200);
    const watching = new TestViewer(daemon.wsUrl, { headers: { Authorization: `Bearer ${TOKEN_A}` } });
    await watching.waitFor(() => watching.of(ChunkKind.Jpeg).length >= 1, 15000, 'first frame');
    const outcome = await reloadDaemon(daemon, { auth: { disabled: false, tokens: [TOKEN_B] }, video: { width: 160, height: 120 } });
    assert.deepEqual(outcome.changed, ['auth.tokens']);
    assert.equal(await sessionStatus(daemon, TOKEN_A), 401);
    assert.equal(await sessionStatus(daemon, TOKEN_B), 200);
    const before = watching.chunks.length;
    await watching.waitFor(() => watching.chunks.length >= before + 3, 15000, 'frames after the reload');
    assert.equal(watching.closeCode, undefined);
    watching.close();
  });

  test('with every token removed, the first-run token guards the daemon and its URL is logged', async () => {
    await reloadDaemon(daemon, { auth: { disabled: false }, video: { width: 160, height: 120 } });
    const line = await daemon.waitForLog((entry) => entry.msg === 'open the viewer');
    const token = new URL(String(line.viewerUrl)).searchParams.get('token')!;
    assert.equal(await sessionStatus(daemon, TOKEN_B), 401);
    assert.equal(await sessionStatus(daemon, token), 200);
  });
});
