import { createHmac, timingSafeEqual } from 'node:crypto';

/** Headers of a webhook delivery (docs/bots.md). */
export const WebhookHeader = {
  Delivery: 'x-parley-delivery',
  Event: 'x-parley-event',
  /** Unix time in seconds when this attempt was signed. */
  Timestamp: 'x-parley-timestamp',
  /** `v1=<hex HMAC-SHA256 of "<timestamp>.<body>">`. */
  Signature: 'x-parley-signature',
} as const;

/**
 * The signature of one attempt: HMAC-SHA256 with the webhook's secret over `<timestamp>.<body>`,
 * hex, as `v1=…`. Signing the timestamp with the body lets a receiver refuse an old request replayed
 * with its signature (Stripe's and Slack's webhook signatures are built the same way).
 */
export function signWebhook(secret: string, timestampSeconds: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex')}`;
}

/**
 * What a receiver does (docs/bots.md shows it): recompute the signature, compare in constant time,
 * and refuse a timestamp more than `toleranceSeconds` away from its clock.
 */
export function verifyWebhook(
  secret: string,
  headers: { timestamp: string | undefined; signature: string | undefined },
  body: string,
  nowSeconds: number,
  toleranceSeconds = 300,
): boolean {
  const timestamp = Number(headers.timestamp);
  if (!Number.isInteger(timestamp) || Math.abs(nowSeconds - timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(signWebhook(secret, timestamp, body));
  const given = Buffer.from(headers.signature ?? '');
  return expected.length === given.length && timingSafeEqual(expected, given);
}
