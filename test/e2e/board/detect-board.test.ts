import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { MAIN_JS } from '../../helpers/daemon.js';
import { packagePath } from '../../../src/package-root.js';

const DETECT = packagePath('scripts', 'detect-board.sh');
const scratch = mkdtempSync(join(tmpdir(), 'wscam-detect-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

interface Board {
  /** Stand-in programs put first on PATH, by name: their shell body, or null for none. */
  tools?: Record<string, string | null>;
  /** Files under the fake /dev, /sys and /proc root, by path: their contents. */
  files?: Record<string, string>;
}

let boards = 0;

/** Runs detect-board.sh against a fake board: stand-in tools on PATH and a fake hardware tree. */
function detect(board: Board, mode = 'config'): { status: number | null; stdout: string; config: unknown } {
  const dir = join(scratch, `board-${boards++}`);
  const bin = join(dir, 'bin');
  const hw = join(dir, 'hw');
  mkdirSync(bin, { recursive: true });
  mkdirSync(hw, { recursive: true });
  // Stand-ins that find nothing unless a test gives them output, so the host's own tools never decide.
  const tools = {
    'rpicam-vid': 'echo "No cameras available!"',
    arecord: 'echo "**** List of CAPTURE Hardware Devices ****"',
    ...board.tools,
  };
  for (const [name, body] of Object.entries(tools)) {
    if (body === null) continue;
    writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  }
  for (const [path, contents] of Object.entries(board.files ?? {})) {
    mkdirSync(join(hw, path, '..'), { recursive: true });
    writeFileSync(join(hw, path), contents);
  }
  const result = spawnSync('bash', [DETECT, mode], {
    encoding: 'utf8',
    env: { PATH: `${bin}:/usr/bin:/bin`, WSCAM_HW_ROOT: hw },
    timeout: 30_000,
  });
  const config = result.status === 0 && mode === 'config' ? (JSON.parse(result.stdout) as unknown) : undefined;
  return { status: result.status, stdout: result.stdout, config };
}

function checkConfig(config: unknown): string {
  const file = join(scratch, `config-${boards++}.json`);
  writeFileSync(file, JSON.stringify(config));
  const result = spawnSync(process.execPath, [MAIN_JS, 'check-config', file], { encoding: 'utf8', timeout: 30_000 });
  return `${result.stdout}${result.stderr}`.trim();
}

function hostHas(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`], { env: { PATH: '/usr/bin:/bin' } }).status === 0;
}

const hostHasV4l2Ctl = hostHas('v4l2-ctl');
const USB_WEBCAM = {
  'dev/video0': '',
  'dev/video1': '',
  'sys/class/video4linux/video0/name': 'HD Pro Webcam C920\n',
  'sys/class/video4linux/video0/index': '0\n',
  'sys/class/video4linux/video1/name': 'HD Pro Webcam C920\n',
  'sys/class/video4linux/video1/index': '1\n',
};
const PI_INTERNAL_NODES = {
  'dev/video10': '',
  'dev/video19': '',
  'sys/class/video4linux/video10/name': 'bcm2835-codec-decode\n',
  'sys/class/video4linux/video10/index': '0\n',
  'sys/class/video4linux/video19/name': 'bcm2835-isp\n',
  'sys/class/video4linux/video19/index': '0\n',
};
const USB_MIC = 'echo "card 1: Device [USB PnP Sound Device], device 0: USB Audio [USB Audio]"';

describe('detect-board.sh config', () => {
  test('a board with nothing gets the test picture and tone, and the config passes check-config', () => {
    const { status, config } = detect({});
    assert.equal(status, 0);
    assert.deepEqual((config as { video: unknown }).video, { source: 'test' });
    assert.deepEqual((config as { audio: unknown }).audio, { enabled: true, source: 'test' });
    assert.equal(checkConfig(config), 'ok');
  });

  test('a Pi camera listed by rpicam-vid gives video.source "libcamera"; a USB mic gives an ALSA plughw device', () => {
    const listing =
      'printf "Available cameras\\n-----------------\\n0 : imx708 [4608x2592 10-bit RGGB] (/base/soc/i2c0mux/i2c@1/imx708@1a)\\n"';
    const { status, config } = detect({ tools: { 'rpicam-vid': listing, arecord: USB_MIC }, files: USB_WEBCAM });
    assert.equal(status, 0);
    const { video, audio } = config as { video: Record<string, unknown>; audio: Record<string, unknown> };
    assert.equal(video.source, 'libcamera');
    assert.deepEqual(video.libcameraArgs, []);
    assert.deepEqual(audio, { enabled: true, source: 'alsa', device: 'plughw:1,0', codec: 'pcm' });
  });

  test(
    'the older libcamera-vid name is used when rpicam-vid is absent',
    { skip: hostHas('rpicam-vid') && 'this host has rpicam-vid' },
    () => {
      const listing = 'printf "Available cameras\\n0 : ov5647 [2592x1944] (/base/soc/i2c0mux/i2c@1/ov5647@36)\\n"';
      const { config } = detect({ tools: { 'rpicam-vid': null, 'libcamera-vid': listing } });
      assert.equal((config as { video: { source: string } }).video.source, 'libcamera');
    },
  );

  test('the libcamera config passes check-config', () => {
    const listing = 'printf "0 : imx708 [4608x2592 10-bit RGGB] (/base/soc/i2c0mux/i2c@1/imx708@1a)\\n"';
    assert.equal(checkConfig(detect({ tools: { 'rpicam-vid': listing } }).config), 'ok');
  });

  test(
    'a USB webcam gives v4l2 on its capture node, not its metadata node, and no mic leaves audio off',
    { skip: hostHasV4l2Ctl && 'v4l2-ctl on this host would decide instead of sysfs' },
    () => {
      const { config } = detect({ files: { ...PI_INTERNAL_NODES, ...USB_WEBCAM } });
      const { video, audio } = config as { video: Record<string, unknown>; audio: Record<string, unknown> };
      assert.equal(video.source, 'v4l2');
      assert.equal(video.device, '/dev/video0');
      assert.deepEqual(audio, { enabled: false });
      assert.equal(checkConfig(config), 'ok');
    },
  );

  test(
    "the Pi's codec and ISP nodes are not cameras",
    { skip: hostHasV4l2Ctl && 'v4l2-ctl on this host would decide instead of sysfs' },
    () => {
      const { config } = detect({ files: PI_INTERNAL_NODES });
      assert.equal((config as { video: { source: string } }).video.source, 'test');
    },
  );

  test('v4l2-ctl decides which node captures where it is installed', () => {
    const v4l2ctl =
      'case "$*" in *video1*) printf "\\tDevice Caps      : 0x04200001\\n\\t\\tVideo Capture\\n";; *) printf "\\tDevice Caps      : 0x04a00000\\n\\t\\tMetadata Capture\\n";; esac';
    const { config } = detect({ tools: { 'v4l2-ctl': v4l2ctl }, files: USB_WEBCAM });
    assert.equal((config as { video: { device: string } }).video.device, '/dev/video1');
  });

  test('without arecord, /proc/asound/pcm names the capture device', { skip: hostHas('arecord') && 'this host has arecord' }, () => {
    const pcm = '00-00: bcm2835 Headphones : bcm2835 Headphones : playback 8\n02-00: USB Audio : USB Audio : playback 1 : capture 1\n';
    const { config } = detect({ tools: { arecord: null }, files: { 'proc/asound/pcm': pcm } });
    assert.equal((config as { audio: { device: string } }).audio.device, 'plughw:2,0');
  });
});

describe('detect-board.sh pi-camera', () => {
  test('exits 0 when a CSI receiver (unicam or rp1-cfe) has a node, 1 otherwise', () => {
    assert.equal(detect({ files: { 'sys/class/video4linux/video0/name': 'unicam-image\n' } }, 'pi-camera').status, 0);
    assert.equal(detect({ files: { 'sys/class/video4linux/video0/name': 'rp1-cfe-csi2_ch0\n' } }, 'pi-camera').status, 0);
    assert.equal(detect({ files: PI_INTERNAL_NODES }, 'pi-camera').status, 1);
    assert.equal(detect({ files: USB_WEBCAM }, 'pi-camera').status, 1);
  });
});
