import * as z from 'zod';
import { isValidPasswordHash } from '../auth/password.js';

/** Every config key with its default (documented in docs/config.md); unknown keys are an error at every level. */

const LogLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

const ServerSchema = z.strictObject({
  host: z.string().min(1).default('0.0.0.0').describe('Address to listen on'),
  port: z.number().int().min(0).max(65535).default(8080).describe('TCP port (0: any free port)'),
  tls: z
    .strictObject({
      cert: z.string().min(1).describe('PEM certificate file'),
      key: z.string().min(1).describe('PEM private key file'),
    })
    .nullable()
    .default(null)
    .describe('Serve HTTPS and WSS on the same port'),
  allowedOrigins: z
    .array(z.string().regex(/^https?:\/\/[^/\s]+$/, 'must be an origin like "https://host:port" (no path)'))
    .max(64)
    .default([])
    .describe('Extra Origins allowed to open /ws with a session cookie, exact match'),
});

const UserSchema = z.strictObject({
  username: z.string().min(1).max(64),
  passwordHash: z
    .string()
    .refine(isValidPasswordHash, 'must be a scrypt hash made by "wscam hash-password" (with sane parameters)')
    .meta({ pattern: '^scrypt\\$' }),
});

const AuthSchema = z.strictObject({
  users: z
    .array(UserSchema)
    .max(100)
    .default([])
    .refine((users) => new Set(users.map((user) => user.username)).size === users.length, 'usernames must be unique'),
  tokens: z.array(z.string().min(16, 'tokens must be at least 16 characters').max(256)).max(100).default([]),
  disabled: z.boolean().default(false).describe('Serve every stream without credentials (trusted networks only)'),
  sessionIdleHours: z
    .number()
    .positive()
    .max(24 * 365)
    .default(12),
  sessionMaxDays: z.number().positive().max(365).default(7),
});

const VideoSchema = z
  .strictObject({
    source: z
      .enum(['test', 'v4l2', 'ffmpeg', 'libcamera', 'command'])
      .default('test')
      .describe('test pattern, V4L2 camera, any ffmpeg input, Raspberry Pi camera module (rpicam-vid), or video.command'),
    device: z.string().min(1).default('/dev/video0'),
    inputFormat: z
      .enum(['mjpeg', 'yuyv422', 'auto'])
      .default('auto')
      .describe('v4l2 pixel format: camera JPEGs passed through, raw YUYV encoded, or mjpeg with fallback to yuyv422'),
    width: z.number().int().min(16).max(7680).default(640),
    height: z.number().int().min(16).max(4320).default(480),
    fps: z.number().int().min(1).max(120).default(15),
    quality: z.number().int().min(1).max(100).default(80).describe('JPEG quality when wscam encodes'),
    codec: z
      .enum(['jpeg', 'h264'])
      .default('jpeg')
      .describe('What the viewer page gets: JPEG frames, or H.264 (a fifth of the bandwidth); MJPEG endpoints serve JPEGs either way'),
    bitrateKbps: z
      .number()
      .int()
      .min(100)
      .max(50_000)
      .nullable()
      .default(null)
      .describe('H.264 target bitrate when wscam (or the Pi camera) encodes; null: derived from width, height and fps'),
    keyframeSeconds: z
      .number()
      .min(0.2)
      .max(10)
      .default(1)
      .describe('H.264 keyframe interval: the longest a new or recovering viewer waits'),
    input: z.array(z.string()).max(64).default(['-re', '-f', 'lavfi', '-i', 'testsrc2=size=640x480:rate=15']),
    libcameraArgs: z
      .array(z.string().min(1))
      .max(64)
      .default([])
      .describe('Extra rpicam-vid arguments for source "libcamera", e.g. ["--hflip", "--vflip"]'),
    command: z
      .array(z.string().min(1))
      .max(64)
      .default([])
      .describe(
        'For source "command": program and arguments of anything that writes MJPEG (H.264 Annex B when video.codec is "h264") to stdout',
      ),
    idleSeconds: z.number().min(0).max(86400).default(30),
  })
  .refine((video) => video.source !== 'command' || video.command.length > 0, {
    path: ['command'],
    message: 'must name the program and its arguments when video.source is "command", e.g. ["my-camera-tool", "--mjpeg"]',
  })
  // H.264 in 4:2:0 has one colour sample per 2×2 pixels: encoders refuse odd sizes.
  .refine((video) => video.codec !== 'h264' || video.width % 2 === 0, {
    path: ['width'],
    message: 'must be even when video.codec is "h264"',
  })
  .refine((video) => video.codec !== 'h264' || video.height % 2 === 0, {
    path: ['height'],
    message: 'must be even when video.codec is "h264"',
  });

const AudioSchema = z.strictObject({
  enabled: z.boolean().default(true),
  source: z.enum(['test', 'alsa', 'ffmpeg']).default('test'),
  device: z.string().min(1).default('default'),
  input: z.array(z.string()).max(64).default(['-re', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000']),
  codec: z.enum(['pcm', 'opus']).default('pcm'),
  sampleRate: z.union([z.literal(8000), z.literal(12000), z.literal(16000), z.literal(24000), z.literal(48000)]).default(48000),
  channels: z.number().int().min(1).max(2).default(1),
});

export const ConfigSchema = z.strictObject({
  $schema: z.string().optional(),
  server: ServerSchema.prefault({}),
  auth: AuthSchema.prefault({}),
  video: VideoSchema.prefault({}),
  ffmpeg: z.strictObject({ path: z.string().min(1).nullable().default(null) }).prefault({}),
  audio: AudioSchema.prefault({}),
  clients: z
    .strictObject({
      max: z.number().int().min(1).max(1000).default(32),
      heartbeatSeconds: z.number().min(1).max(3600).default(15),
    })
    .prefault({}),
  log: z.strictObject({ level: LogLevel.default('info') }).prefault({}),
});

export type Config = z.infer<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;
export const LOG_LEVELS = LogLevel.options;
