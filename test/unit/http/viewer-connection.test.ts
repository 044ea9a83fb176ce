import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { after, test } from 'node:test';
import { WebSocketServer } from 'ws';
import { ConfigSchema, type ConfigInput } from '../../../src/config/schema.js';
import { helloFor } from '../../../src/hello.js';
import { ViewerConnection } from '../../../src/http/viewer-connection.js';
import { FrameHub } from '../../../src/hub/frame-hub.js';
import { createRootLogger } from '../../../src/log.js';
import { ChunkFlag, ChunkKind } from '../../../src/protocol/header.js';
import type { HelloMessage } from '../../../src/protocol/messages.js';
import { TestViewer } from '../../helpers/ws-viewer.js';
import { accessUnitsOf, CAMERA_LIKE_GRAPH, encodeLavfi } from '../capture/h264-fixtures.js';

const fixture = encodeLavfi(
  'viewer fixture',
  CAMERA_LIKE_GRAPH,
  ['-preset', 'ultrafast', '-tune', 'zerolatency', '-g', '5', '-x264-params', 'repeat-headers=1'],
  20,
);
const units = accessUnitsOf(fixture);
const jpegPayload = Buffer.from([0xff, 0xd8, 0xff, 0xd9]);
const log = createRootLogger('silent');
const servers: Server[] = [];
const viewers: TestViewer[] = [];
after(() => {
  viewers.forEach((viewer) => viewer.close());
  servers.forEach((server) => server.close());
});

/** A real WebSocket server on 127.0.0.1 whose viewers are ViewerConnections on `hub`, as the endpoint makes them. */
async function serve(hub: FrameHub, hello: HelloMessage): Promise<string> {
  const server = createServer();
  servers.push(server);
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  server.on('upgrade', (req, socket, head) => {
    wss.handleUpgrade(req, socket, head, (ws) => {
      new ViewerConnection(ws, socket as Socket, hello, hub, { remoteAddress: '127.0.0.1' }, log);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `ws://127.0.0.1:${(server.address() as AddressInfo).port}/ws`;
}

function helloOf(video: ConfigInput['video']): HelloMessage {
  return helloFor(ConfigSchema.parse({ video, audio: { enabled: true } }));
}

/** Waits until the server has handled everything the viewer sent before (a ping is answered after the messages before it). */
async function roundTrip(viewer: TestViewer): Promise<void> {
  await new Promise<void>((resolve) => {
    viewer.ws.once('pong', () => resolve());
    viewer.ws.ping();
  });
}

async function connect(url: string): Promise<TestViewer> {
  const viewer = new TestViewer(url);
  viewers.push(viewer);
  await viewer.opened;
  await roundTrip(viewer);
  return viewer;
}

test('h264 mode: the hello says the SPS format, and a new viewer gets the current GOP from its keyframe', async () => {
  const hub = new FrameHub();
  const url = await serve(hub, helloOf({ codec: 'h264', width: 640, height: 480, fps: 15 }));
  for (const unit of units.slice(0, 8)) hub.publish(unit);
  const viewer = await connect(url);
  await viewer.waitFor(() => viewer.of(ChunkKind.H264).length >= 3, 15000, 'the current GOP');
  assert.deepEqual(viewer.hello?.video, {
    codec: 'h264',
    codecString: units[0]!.videoFormat!.codecString,
    width: 320,
    height: 240,
    fps: 15,
  });
  assert.match(units[0]!.videoFormat!.codecString, /^avc1\.[0-9A-F]{6}$/);
  const video = viewer.of(ChunkKind.H264);
  assert.deepEqual(
    video.map((chunk) => chunk.sequence),
    [5, 6, 7],
  );
  assert.equal(video[0]!.flags, ChunkFlag.Keyframe);
  assert.ok(video[0]!.payload.equals(units[5]!.payload));
  assert.deepEqual(
    video.slice(1).map((chunk) => chunk.flags),
    [0, 0],
  );
  viewer.close();
});

test('h264 mode before any keyframe: the hello waits for the first one, and no media goes out before it', async () => {
  const hub = new FrameHub();
  const url = await serve(hub, helloOf({ codec: 'h264' }));
  const viewer = await connect(url);
  hub.publish({ kind: ChunkKind.Pcm, payload: Buffer.alloc(1920), captureTimeUs: 1 });
  hub.publish({ kind: ChunkKind.Jpeg, payload: jpegPayload, captureTimeUs: 1 });
  hub.publish({ ...units[1]!, keyframe: false });
  hub.publish(units[0]!);
  hub.publish({ kind: ChunkKind.Pcm, payload: Buffer.alloc(1920), captureTimeUs: 2 });
  await viewer.waitFor(() => viewer.chunks.length >= 2, 15000, 'keyframe and audio');
  assert.equal(viewer.hellos.length, 1);
  assert.equal(viewer.helloAtChunk[0], 0, 'the hello came first');
  assert.equal(viewer.hello?.video.codec, 'h264');
  assert.deepEqual(
    viewer.chunks.map((chunk) => [chunk.kind, chunk.flags]),
    [
      [ChunkKind.H264, ChunkFlag.Keyframe],
      [ChunkKind.Pcm, 0],
    ],
  );
  viewer.close();
});

test('a keyframe of another format is preceded by a new hello saying it', async () => {
  const hub = new FrameHub();
  const url = await serve(hub, helloOf({ codec: 'h264' }));
  hub.publish(units[0]!);
  const viewer = await connect(url);
  hub.publish(units[1]!);
  const wide = { codecString: 'avc1.640028', width: 1280, height: 720 };
  hub.publish({ ...units[5]!, videoFormat: wide });
  hub.publish(units[6]!);
  hub.publish({ ...units[10]!, videoFormat: wide }); // the same format again: no new hello
  await viewer.waitFor(() => viewer.of(ChunkKind.H264).length >= 5, 15000, 'five access units');
  assert.deepEqual(
    viewer.hellos.map((hello) => hello.video),
    [
      { codec: 'h264', codecString: units[0]!.videoFormat!.codecString, width: 320, height: 240, fps: 15 },
      { codec: 'h264', ...wide, fps: 15 },
    ],
  );
  assert.deepEqual(viewer.helloAtChunk, [0, 2], 'the second hello right before the keyframe of the new format');
  assert.equal(viewer.chunks[2]!.flags, ChunkFlag.Keyframe);
  viewer.close();
});

test('h264 mode: subscribe videoCodec "jpeg" gets JPEG frames instead, and "h264" switches back at the current GOP', async () => {
  const hub = new FrameHub();
  const url = await serve(hub, helloOf({ codec: 'h264' }));
  hub.publish(units[0]!);
  const viewer = await connect(url);
  viewer.ws.send(JSON.stringify({ type: 'subscribe', video: true, audio: false, videoCodec: 'jpeg' }));
  await roundTrip(viewer);
  const before = viewer.chunks.length;
  hub.publish(units[1]!);
  hub.publish({ kind: ChunkKind.Jpeg, payload: jpegPayload, captureTimeUs: 5 });
  await viewer.waitFor(() => viewer.of(ChunkKind.Jpeg).length === 1, 15000, 'a JPEG frame');
  assert.deepEqual(
    viewer.chunks.slice(before).map((chunk) => chunk.kind),
    [ChunkKind.Jpeg],
  );
  viewer.ws.send(JSON.stringify({ type: 'subscribe', video: true, audio: false, videoCodec: 'h264' }));
  await roundTrip(viewer);
  hub.publish(units[2]!);
  hub.publish({ kind: ChunkKind.Jpeg, payload: jpegPayload, captureTimeUs: 6 });
  hub.publish(units[3]!);
  await viewer.waitFor(() => viewer.of(ChunkKind.H264).at(-1)?.sequence === 3, 15000, 'access unit 3');
  assert.equal(viewer.of(ChunkKind.Jpeg).length, 1);
  assert.deepEqual(
    viewer.of(ChunkKind.H264).map((chunk) => chunk.sequence),
    [0, 1, 2, 3],
    'back on H.264 it is offered the current GOP: access unit 1, which it missed while on JPEG, comes before 2',
  );
  viewer.close();
});

test('jpeg mode: a viewer asking for h264 gets JPEG, and the hello says jpeg', async () => {
  const hub = new FrameHub();
  const url = await serve(hub, helloOf({ codec: 'jpeg' }));
  const viewer = await connect(url);
  assert.equal(viewer.hello?.video.codec, 'jpeg');
  viewer.ws.send(JSON.stringify({ type: 'subscribe', video: true, audio: false, videoCodec: 'h264' }));
  await roundTrip(viewer);
  hub.publish(units[0]!);
  hub.publish({ kind: ChunkKind.Jpeg, payload: jpegPayload, captureTimeUs: 5 });
  await viewer.waitFor(() => viewer.chunks.length >= 1, 15000, 'a frame');
  assert.deepEqual(
    viewer.chunks.map((chunk) => chunk.kind),
    [ChunkKind.Jpeg],
  );
  viewer.close();
});
