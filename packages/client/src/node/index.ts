export { FileOutboxStorage } from './file-storage.js';
export { login, type LoginResult } from './login.js';
