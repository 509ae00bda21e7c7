import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Random tokens for sessions, invitations, devices and partner credentials; stored only as SHA-256. */
export const randomToken = (bytes = 32) => randomBytes(bytes).toString('base64url');
export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** `value.signature` with HMAC-SHA256 under the gateway's secret key: what signed cookies carry. */
export function sign(value: string, key: Buffer): string {
  return `${value}.${createHmac('sha256', key).update(value).digest('base64url')}`;
}

export function unsign(signed: string, key: Buffer): string | undefined {
  const dot = signed.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const value = signed.slice(0, dot);
  return safeEqual(sign(value, key), signed) ? value : undefined;
}
