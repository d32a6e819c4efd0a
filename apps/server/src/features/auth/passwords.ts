import { hash, verify } from '@node-rs/argon2';

/** argon2id with OWASP's baseline: 19 MiB, 2 passes, 1 lane. */
const ARGON2ID = 2; // Algorithm.Argon2id, a const enum that isolated modules cannot import
const ARGON2_OPTIONS = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(passwordHash: string, password: string): Promise<boolean>;
}

export const argon2Hasher: PasswordHasher = {
  hash: (password) => hash(password, ARGON2_OPTIONS),
  verify: async (passwordHash, password) => {
    try {
      return await verify(passwordHash, password);
    } catch {
      return false;
    }
  },
};
