export { IndexedDbOutboxStorage, type IndexedDbOutboxStorageOptions } from './idb-storage.js';
export { xhrUploader } from './xhr-uploader.js';
