import { MAX_VOICE_DURATION_S } from '@parley/shared';
import { onScopeDispose, readonly, ref } from 'vue';

/** Where the recorder is: `requesting` waits for the microphone permission, `stopping` for the last data. */
export type RecorderState = 'idle' | 'requesting' | 'recording' | 'stopping';

/**
 * Why there is no recording, for the words shown (i18n `voice.problem.*`): the microphone was refused
 * (`denied`), there is none (`no_microphone`), another program holds it (`busy`), the browser cannot
 * record (`unsupported`), something else failed (`failed`); or a recording was stopped and dropped
 * because the conversation changed, the page was left or the connection was lost (`interrupted_*`).
 */
export type RecorderProblem =
  | 'denied'
  | 'no_microphone'
  | 'busy'
  | 'unsupported'
  | 'failed'
  | 'interrupted_conversation'
  | 'interrupted_page'
  | 'interrupted_offline';

/** Why a recording in progress is dropped, as `interrupt(reason)` takes it. */
export type InterruptReason = 'conversation' | 'page' | 'offline';

/** The browser APIs the recorder uses; tests pass fakes. */
export interface RecorderPorts {
  getUserMedia?: (constraints: MediaStreamConstraints) => Promise<MediaStream>;
  MediaRecorder?: typeof MediaRecorder;
  AudioContext?: typeof AudioContext;
  now?: () => number;
}

export interface VoiceRecorderOptions {
  /** Longest recording (ms): reaching it finishes the recording and keeps it. Default MAX_VOICE_DURATION_S. */
  maxDurationMs?: number;
  /** A finished recording, never a half-made one. `durationMs` is measured while recording. */
  onRecorded: (file: Blob, fileName: string, durationMs: number) => void;
  ports?: RecorderPorts;
}

/**
 * Formats asked for in order (MediaRecorder.isTypeSupported): Opus in WebM (Chrome, Edge, Firefox),
 * Opus in Ogg (older Firefox), AAC in MP4 (Safari). When none is supported the browser's default is used.
 */
export const RECORDING_TYPES = [
  'audio/webm;codecs=opus',
  'audio/ogg;codecs=opus',
  'audio/mp4;codecs=mp4a.40.2',
  'audio/mp4',
  'audio/webm',
] as const;

/** Opus and AAC speech at this rate is clear and about 240 KB a minute. */
const BITS_PER_SECOND = 32_000;
/** How often the timer and level meter update (ms). */
const TICK_MS = 100;

/** The file extension the server's type check expects for a recorded MIME type. */
export function extensionOf(mime: string): string {
  if (mime.startsWith('audio/ogg')) return 'ogg';
  if (mime.startsWith('audio/mp4') || mime.startsWith('video/mp4')) return 'm4a';
  if (mime.startsWith('audio/mpeg')) return 'mp3';
  return 'webm';
}

/** getUserMedia's DOMException names, as the problem the user is told about. */
export function problemOf(error: unknown): RecorderProblem {
  const name = error instanceof Error || error instanceof DOMException ? error.name : '';
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return 'denied';
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'no_microphone';
    case 'NotReadableError':
    case 'AbortError':
      return 'busy';
    default:
      return 'failed';
  }
}

/**
 * A voice recording from the microphone with MediaRecorder (issue 9, items 6 and 9): `start()` asks
 * for the microphone and records; `elapsedMs` and `level` (0..1, the loudest sample of the last
 * tick, from an AnalyserNode) update ten times a second; `finish()` stops and hands the recording to
 * `onRecorded`; reaching `maxDurationMs` finishes it too. `cancel()` drops it; `interrupt(reason)`
 * drops it and says why in `problem`. Every way out releases the microphone, and nothing is left in
 * `requesting` or `stopping`: a refused permission or a failing recorder ends in `idle` with `problem` set.
 */
export function useVoiceRecorder({
  maxDurationMs = MAX_VOICE_DURATION_S * 1000,
  onRecorded,
  ports = {},
}: VoiceRecorderOptions) {
  const now = ports.now ?? (() => performance.now());
  const state = ref<RecorderState>('idle');
  const elapsedMs = ref(0);
  const level = ref(0);
  const problem = ref<RecorderProblem | null>(null);
  /** The recording ended at the length limit (and was kept). */
  const reachedLimit = ref(false);

  let stream: MediaStream | null = null;
  let recorder: MediaRecorder | null = null;
  let context: AudioContext | null = null;
  let analyser: AnalyserNode | null = null;
  let samples: Uint8Array<ArrayBuffer> | null = null;
  let timer: ReturnType<typeof setInterval> | null = null;
  let startedAt = 0;
  /** Bumped by every start and drop, so an answer to an older request is ignored. */
  let attempt = 0;

  function release(): void {
    if (timer !== null) clearInterval(timer);
    timer = null;
    stream?.getTracks().forEach((track) => track.stop());
    stream = null;
    void context?.close().catch(() => undefined);
    context = null;
    analyser = null;
    samples = null;
    level.value = 0;
  }

  function tick(): void {
    elapsedMs.value = Math.min(maxDurationMs, now() - startedAt);
    if (analyser && samples) {
      analyser.getByteTimeDomainData(samples);
      let peak = 0;
      for (const sample of samples) peak = Math.max(peak, Math.abs(sample - 128));
      level.value = Math.min(1, peak / 128);
    }
    if (now() - startedAt >= maxDurationMs) {
      reachedLimit.value = true;
      finish();
    }
  }

  function meter(media: MediaStream): void {
    const Context = ports.AudioContext ?? globalThis.AudioContext;
    if (!Context) return;
    try {
      context = new Context();
      analyser = context.createAnalyser();
      analyser.fftSize = 512;
      context.createMediaStreamSource(media).connect(analyser);
      samples = new Uint8Array(analyser.fftSize);
      // Made after an await, outside the click: a browser may start it suspended.
      if (context.state === 'suspended') void context.resume().catch(() => undefined);
    } catch {
      // No meter is no reason not to record.
      analyser = null;
    }
  }

  async function start(): Promise<void> {
    if (state.value !== 'idle') return;
    problem.value = null;
    reachedLimit.value = false;
    elapsedMs.value = 0;
    const getUserMedia =
      ports.getUserMedia ??
      (typeof globalThis.navigator?.mediaDevices?.getUserMedia === 'function'
        ? (constraints: MediaStreamConstraints) => navigator.mediaDevices.getUserMedia(constraints)
        : undefined);
    const Recorder = ports.MediaRecorder ?? globalThis.MediaRecorder;
    if (!getUserMedia || !Recorder) {
      problem.value = 'unsupported';
      return;
    }
    const mine = ++attempt;
    state.value = 'requesting';
    let media: MediaStream;
    try {
      media = await getUserMedia({
        audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true },
      });
    } catch (error) {
      if (mine !== attempt) return;
      state.value = 'idle';
      problem.value = problemOf(error);
      return;
    }
    if (mine !== attempt) {
      // Cancelled while the permission prompt was open.
      media.getTracks().forEach((track) => track.stop());
      return;
    }
    stream = media;
    const mimeType = RECORDING_TYPES.find(
      (type) => typeof Recorder.isTypeSupported === 'function' && Recorder.isTypeSupported(type),
    );
    const chunks: Blob[] = [];
    let created: MediaRecorder;
    try {
      created = new Recorder(media, {
        ...(mimeType ? { mimeType } : {}),
        audioBitsPerSecond: BITS_PER_SECOND,
      });
    } catch {
      release();
      state.value = 'idle';
      problem.value = 'failed';
      return;
    }
    recorder = created;
    created.addEventListener('dataavailable', (event: BlobEvent) => {
      if (event.data.size > 0) chunks.push(event.data);
    });
    created.addEventListener('error', () => {
      if (recorder !== created) return;
      drop();
      problem.value = 'failed';
    });
    created.addEventListener('stop', () => {
      if (recorder !== created) return;
      recorder = null;
      const durationMs = Math.round(Math.min(maxDurationMs, now() - startedAt));
      const keep = state.value === 'stopping';
      release();
      state.value = 'idle';
      if (!keep || chunks.length === 0) return;
      const type = created.mimeType || chunks[0]!.type || mimeType || 'audio/webm';
      const file = new Blob(chunks, { type });
      const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-');
      onRecorded(file, `voice-${stamp}.${extensionOf(type)}`, durationMs);
    });
    meter(media);
    startedAt = now();
    elapsedMs.value = 0;
    try {
      // A slice a second: a long recording is not held in one growing buffer by the browser.
      created.start(1000);
    } catch {
      recorder = null;
      release();
      state.value = 'idle';
      problem.value = 'failed';
      return;
    }
    state.value = 'recording';
    timer = setInterval(tick, TICK_MS);
  }

  /** Stops recording and keeps it: `onRecorded` gets the file once the recorder has flushed. */
  function finish(): void {
    if (state.value !== 'recording' || !recorder) return;
    state.value = 'stopping';
    if (timer !== null) clearInterval(timer);
    timer = null;
    elapsedMs.value = Math.min(maxDurationMs, now() - startedAt);
    recorder.stop();
  }

  /** Drops whatever is in progress; the microphone is released. */
  function drop(): void {
    attempt += 1;
    const active = recorder;
    recorder = null;
    if (active && active.state !== 'inactive') {
      try {
        active.stop();
      } catch {
        // Already stopped.
      }
    }
    release();
    state.value = 'idle';
    elapsedMs.value = 0;
  }

  /** Cancels by the user's choice: nothing is sent, and nothing is said. */
  function cancel(): void {
    drop();
  }

  /**
   * Stops a recording (or a pending permission request) that can no longer be sent as made, drops
   * it and says why. Does nothing when idle.
   */
  function interrupt(reason: InterruptReason): void {
    if (state.value === 'idle') return;
    drop();
    problem.value = `interrupted_${reason}`;
  }

  function dismissProblem(): void {
    problem.value = null;
  }

  onScopeDispose(drop);

  return {
    state: readonly(state),
    elapsedMs: readonly(elapsedMs),
    level: readonly(level),
    problem: readonly(problem),
    reachedLimit: readonly(reachedLimit),
    maxDurationMs,
    start,
    finish,
    cancel,
    interrupt,
    dismissProblem,
  };
}
