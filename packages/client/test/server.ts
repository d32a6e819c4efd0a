// The real server, started as the server's own fault tests start it (a child process on a fresh
// database), and clients that record what they get: reused from @parley/server's test helpers.
export { useFaultScenario as useRealServer } from '@parley/server/test/helpers/fault-scenario.js';
export { rowsFor, readStoredMessages } from '@parley/server/test/helpers/stored-messages.js';
export type { TestUser } from '@parley/server/test/helpers/server.js';
export type { TestClient } from '@parley/server/test/helpers/test-client.js';
export { PDF_BYTES, smallImage } from '@parley/server/test/helpers/uploads.js';
