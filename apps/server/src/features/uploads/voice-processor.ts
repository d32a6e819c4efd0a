import { ErrorCode } from '@parley/shared';
import { AppError } from '../../lib/app-error.js';
import { DURATION_GRACE_MS, formatSeconds, PLAYABLE_MIME, type AudioTools } from './audio.js';
import type { ProcessedUpload, UploadProcessor } from './upload-pipeline.js';

export interface VoiceProcessorOptions {
  audio: AudioTools;
  /** Seconds a voice message may last (MAX_VOICE_DURATION_S). */
  maxDurationS: number;
}

/**
 * Voice messages (issue 9, items 7–8): the bytes must name an accepted audio container and ffprobe
 * must find an accepted codec in it (audio.ts); a header already longer than the limit is refused
 * before decoding; one ffmpeg run then measures the real duration (Chrome's WebM has none in its
 * header), computes the waveform and, for a recording some browser cannot play (WebM, Ogg, Opus in
 * MP4), makes the AAC-in-MP4 rendition served as the `playable` variant. The recording itself is
 * stored as received. Errors: `upload/unsupported_type`, `upload/unreadable`, `upload/too_long`,
 * `upload/voice_unavailable` (ffmpeg or ffprobe cannot run here).
 */
export function createVoiceProcessor({ audio, maxDurationS }: VoiceProcessorOptions): UploadProcessor {
  const maxDurationMs = maxDurationS * 1000;
  return async (file, { temporaryPath }): Promise<ProcessedUpload> => {
    await audio.requireAvailable();
    const probed = await audio.probe(file.path, file.detected?.ext);
    if (probed.durationMs !== null && probed.durationMs > maxDurationMs + DURATION_GRACE_MS) {
      throw new AppError(
        ErrorCode.UploadTooLong,
        `A voice message may last ${formatSeconds(maxDurationMs)}; this one lasts ${formatSeconds(probed.durationMs)}`,
      );
    }
    const renditionPath = probed.playsEverywhere ? undefined : await temporaryPath();
    const decoded = await audio.decode(file.path, probed, { maxDurationMs, renditionPath });
    return {
      content: { path: file.path, mime: probed.mime },
      ...(renditionPath ? { playable: { path: renditionPath, mime: PLAYABLE_MIME } } : {}),
      durationMs: decoded.durationMs,
      waveform: decoded.peaks,
    };
  };
}
