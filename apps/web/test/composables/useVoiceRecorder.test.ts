import { effectScope } from 'vue';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { extensionOf, problemOf, useVoiceRecorder, type RecorderPorts } from '@/composables/useVoiceRecorder';

/** A MediaRecorder that records nothing: the test says when data arrives and when it stops. */
class FakeRecorder extends EventTarget {
  static supported = new Set(['audio/webm;codecs=opus']);
  static instances: FakeRecorder[] = [];
  static isTypeSupported(type: string): boolean {
    return FakeRecorder.supported.has(type);
  }
  state: RecordingState = 'inactive';
  readonly mimeType: string;
  constructor(
    readonly stream: MediaStream,
    readonly options: MediaRecorderOptions = {},
  ) {
    super();
    this.mimeType = options.mimeType ?? 'audio/webm';
    FakeRecorder.instances.push(this);
  }
  start(): void {
    this.state = 'recording';
  }
  stop(): void {
    if (this.state === 'inactive') return;
    this.state = 'inactive';
    this.emitData('tail');
    // Like the browser: `stop` arrives after the last data, in a later task.
    queueMicrotask(() => this.dispatchEvent(new Event('stop')));
  }
  emitData(text: string): void {
    const event = new Event('dataavailable') as BlobEvent;
    Object.defineProperty(event, 'data', { value: new Blob([text], { type: this.mimeType }) });
    this.dispatchEvent(event);
  }
}

function fakeStream() {
  const track = { stop: vi.fn() };
  return { stream: { getTracks: () => [track] } as unknown as MediaStream, track };
}

function setUp(overrides: Partial<RecorderPorts> = {}, maxDurationMs = 300_000) {
  let clock = 0;
  const { stream, track } = fakeStream();
  const recorded = vi.fn();
  const ports: RecorderPorts = {
    getUserMedia: vi.fn(async () => stream),
    MediaRecorder: FakeRecorder as unknown as typeof MediaRecorder,
    AudioContext: undefined,
    now: () => clock,
    ...overrides,
  };
  const scope = effectScope();
  const recorder = scope.run(() => useVoiceRecorder({ onRecorded: recorded, ports, maxDurationMs }))!;
  return {
    recorder,
    recorded,
    track,
    scope,
    advance(ms: number) {
      clock += ms;
      vi.advanceTimersByTime(ms);
    },
  };
}

const flush = () => new Promise<void>((resolve) => queueMicrotask(resolve));

describe('useVoiceRecorder', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    FakeRecorder.instances = [];
    FakeRecorder.supported = new Set(['audio/webm;codecs=opus']);
  });
  afterEach(() => vi.useRealTimers());

  it('records Opus in WebM, counts the time, and hands over the file when finished', async () => {
    const { recorder, recorded, track, advance } = setUp();
    await recorder.start();
    expect(recorder.state.value).toBe('recording');
    const media = FakeRecorder.instances[0]!;
    expect(media.options.mimeType).toBe('audio/webm;codecs=opus');
    media.emitData('first second');
    advance(2_500);
    expect(recorder.elapsedMs.value).toBe(2_500);

    recorder.finish();
    expect(recorder.state.value).toBe('stopping');
    await flush();
    expect(recorder.state.value).toBe('idle');
    expect(recorded).toHaveBeenCalledTimes(1);
    const [file, fileName, durationMs] = recorded.mock.calls[0]! as [Blob, string, number];
    expect(await file.text()).toBe('first secondtail');
    expect(file.type).toBe('audio/webm;codecs=opus');
    expect(fileName).toMatch(/^voice-[\d-]+\.webm$/);
    expect(durationMs).toBe(2_500);
    expect(track.stop).toHaveBeenCalled();
  });

  it('takes MP4/AAC where that is what the browser offers (Safari), named .m4a', async () => {
    FakeRecorder.supported = new Set(['audio/mp4']);
    const { recorder, recorded } = setUp();
    await recorder.start();
    expect(FakeRecorder.instances[0]!.options.mimeType).toBe('audio/mp4');
    recorder.finish();
    await flush();
    expect(recorded.mock.calls[0]![1]).toMatch(/\.m4a$/);
  });

  it('finishes and keeps the recording at the length limit', async () => {
    const { recorder, recorded, advance } = setUp({}, 10_000);
    await recorder.start();
    advance(10_000);
    expect(recorder.state.value).toBe('stopping');
    await flush();
    expect(recorded).toHaveBeenCalledTimes(1);
    expect(recorded.mock.calls[0]![2]).toBe(10_000);
    expect(recorder.reachedLimit.value).toBe(true);
  });

  it('sends nothing when cancelled, and releases the microphone', async () => {
    const { recorder, recorded, track } = setUp();
    await recorder.start();
    recorder.cancel();
    await flush();
    expect(recorder.state.value).toBe('idle');
    expect(recorded).not.toHaveBeenCalled();
    expect(track.stop).toHaveBeenCalled();
    expect(recorder.problem.value).toBeNull();
  });

  it.each([
    ['conversation', 'interrupted_conversation'],
    ['page', 'interrupted_page'],
    ['offline', 'interrupted_offline'],
  ] as const)('drops the recording on an interruption (%s) and says why', async (reason, problem) => {
    const { recorder, recorded, track } = setUp();
    await recorder.start();
    recorder.interrupt(reason);
    await flush();
    expect(recorder.state.value).toBe('idle');
    expect(recorder.problem.value).toBe(problem);
    expect(recorded).not.toHaveBeenCalled();
    expect(track.stop).toHaveBeenCalled();
  });

  it('ends a refused permission in idle with a problem, not stuck waiting', async () => {
    const denied = new DOMException('Permission denied', 'NotAllowedError');
    const { recorder } = setUp({ getUserMedia: vi.fn(async () => Promise.reject(denied)) });
    await recorder.start();
    expect(recorder.state.value).toBe('idle');
    expect(recorder.problem.value).toBe('denied');
    // And it can be tried again.
    recorder.dismissProblem();
    expect(recorder.problem.value).toBeNull();
  });

  it('says there is no microphone, or that the browser cannot record', async () => {
    const missing = setUp({
      getUserMedia: vi.fn(async () => Promise.reject(new DOMException('none', 'NotFoundError'))),
    });
    await missing.recorder.start();
    expect(missing.recorder.problem.value).toBe('no_microphone');

    const old = setUp({ MediaRecorder: undefined });
    vi.stubGlobal('MediaRecorder', undefined);
    await old.recorder.start();
    expect(old.recorder.problem.value).toBe('unsupported');
    expect(old.recorder.state.value).toBe('idle');
    vi.unstubAllGlobals();
  });

  it('releases a microphone granted after the user gave up waiting', async () => {
    let grant!: (stream: MediaStream) => void;
    const { stream, track } = fakeStream();
    const { recorder } = setUp({ getUserMedia: () => new Promise((resolve) => (grant = resolve)) });
    const starting = recorder.start();
    expect(recorder.state.value).toBe('requesting');
    recorder.interrupt('conversation');
    grant(stream);
    await starting;
    expect(recorder.state.value).toBe('idle');
    expect(track.stop).toHaveBeenCalled();
    expect(FakeRecorder.instances).toHaveLength(0);
  });

  it('stops everything when its scope ends', async () => {
    const { recorder, recorded, track, scope } = setUp();
    await recorder.start();
    scope.stop();
    await flush();
    expect(track.stop).toHaveBeenCalled();
    expect(recorded).not.toHaveBeenCalled();
  });

  it('names problems and extensions', () => {
    expect(problemOf(new DOMException('', 'SecurityError'))).toBe('denied');
    expect(problemOf(new DOMException('', 'NotReadableError'))).toBe('busy');
    expect(problemOf(new Error('x'))).toBe('failed');
    expect(extensionOf('audio/ogg;codecs=opus')).toBe('ogg');
    expect(extensionOf('audio/mp4;codecs=mp4a.40.2')).toBe('m4a');
    expect(extensionOf('audio/webm;codecs=opus')).toBe('webm');
  });
});
