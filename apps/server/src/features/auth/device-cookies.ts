import { randomBytes } from 'node:crypto';
import { Signer } from '@fastify/cookie';

/** The cookie that marks a browser as one that signed in to an account before. */
export const DEVICE_COOKIE = 'parley.device';
/** A device stays known for a year after its last sign-in. */
export const DEVICE_COOKIE_MAX_AGE_MS = 365 * 24 * 3_600_000;

/**
 * Device cookies, after OWASP's "Slow down online guessing attacks with device cookies": a successful
 * sign-in leaves a signed `<nonce>:<username>` cookie in that browser. Failed logins are counted per
 * device for a browser that presents a valid cookie for the username it tries, and per IP address
 * otherwise; only clients without one share the account-wide budget, so a stranger who exhausts it
 * cannot lock out the owner's own browsers.
 */
export interface DeviceCookies {
  /** The signed cookie value for `username`: `nonce` is kept when the device is already known. */
  issue(username: string, nonce?: string): { value: string; nonce: string };
  /** The device's nonce when `value` is a cookie this server signed for `username`, else null. */
  recognise(value: string | undefined, username: string): string | null;
}

export function createDeviceCookies(secret: string): DeviceCookies {
  const signer = new Signer(secret);
  return {
    issue(username, nonce = randomBytes(16).toString('base64url')) {
      return { value: signer.sign(`${nonce}:${username}`), nonce };
    },
    recognise(value, username) {
      if (!value) return null;
      const unsigned = signer.unsign(value);
      if (!unsigned.valid || !unsigned.value) return null;
      // Usernames never contain ':' (schemas/users.ts), and neither does a base64url nonce.
      const [nonce, owner] = unsigned.value.split(':');
      return nonce && owner === username ? nonce : null;
    },
  };
}
