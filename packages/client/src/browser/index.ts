export { IndexedDbOutboxStorage, type IndexedDbOutboxStorageOptions } from './idb-storage.js';
