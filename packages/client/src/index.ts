export { authHeaders, type ParleyAuth } from './auth.js';
export { fetchCurrentUser } from './http.js';
export { backoffDelay, retryDelay, type BackoffOptions } from './backoff.js';
export { ChangeTracker } from './change-tracker.js';
export {
  createParleyClient,
  type MessageCopy,
  type ParleyClient,
  type ParleyClientEvents,
  type ParleyClientOptions,
  type Via,
} from './client.js';
export { recordCopies, type CopyLog } from './copy-log.js';
export { Emitter } from './emitter.js';
export {
  Outbox,
  UPLOAD_PROGRESS_INTERVAL_MS,
  type Attempt,
  type AttemptOutcome,
  type OutboxAttachment,
  type OutboxEntry,
  type OutboxState,
  type SendOptions,
  type UploadStep,
} from './outbox.js';
export { silentLogger, systemClock, type Clock, type Logger } from './ports.js';
export {
  createPositionReporter,
  REPORT_INTERVAL_MS,
  REPORTS_PER_FLUSH,
  type PositionReporter,
} from './receipts.js';
export {
  MemoryOutboxStorage,
  type OutboxRecord,
  type OutboxRecordAttachment,
  type OutboxStorage,
} from './storage.js';
export { SearchResults, type SearchRequest } from './search-results.js';
export { SyncEngine } from './sync.js';
export { isNewerCopy, Timeline, type ApplyOutcome, type ApplyResult } from './timeline.js';
export {
  Transport,
  type ConnectionChange,
  type ConnectionState,
  type ContractViolation,
  type ParleySocket,
} from './transport.js';
export { requestWithAck, type LostReason, type RequestOptions, type RequestResult } from './request.js';
export {
  fetchUploader,
  readUploadAnswer,
  uploadUrl,
  type UploadRequest,
  type UploadResult,
  type Uploader,
} from './upload.js';
