import { createHmac, hkdfSync } from 'node:crypto';
import { z } from 'zod';
import { safeEqual } from '../auth/secrets.js';
import { FhirError } from './outcome.js';

/**
 * The `next` link of a searchset carries the whole search (so a plain GET continues a POST search), the
 * keyset position, and whom it was made for: the caller and, for a partner, the purpose its token proved. It
 * is signed with a key of this gateway, so every process accepts it and no one can alter it, and it expires.
 * A page token presented by another caller, or under another purpose, is refused: a page cannot be replayed by
 * someone else, nor outlive the grant it was made under.
 */
const PageState = z
  .object({
    /** Resource type searched. */
    t: z.string(),
    /** The applied parameters, name → values. */
    q: z.record(z.string(), z.array(z.string())),
    /** Keyset position: what the search's store read continues after. */
    k: z.unknown(),
    /** Caller: `c:<connection id>` or `u:<user id>`, and the purpose, if any. */
    c: z.string(),
    p: z.string().optional(),
    /** Expiry, seconds since the epoch. */
    e: z.number().int(),
  })
  .strict();
export type PageState = z.infer<typeof PageState>;

const LIFETIME_SECONDS = 30 * 60;

export interface PageTokens {
  issue(state: Omit<PageState, 'e'>, now: Date): string;
  open(token: string, caller: { c: string; p?: string }, now: Date): PageState;
}

export function pageTokens(secretKey: Buffer): PageTokens {
  const key = Buffer.from(hkdfSync('sha256', secretKey, Buffer.alloc(0), 'crossgate fhir page tokens', 32));
  const sign = (payload: string) => createHmac('sha256', key).update(payload).digest('base64url');
  return {
    issue(state, now) {
      const payload = Buffer.from(JSON.stringify({ ...state, e: Math.floor(now.getTime() / 1000) + LIFETIME_SECONDS })).toString('base64url');
      return `${payload}.${sign(payload)}`;
    },
    open(token, caller, now) {
      const [payload, signature, extra] = token.split('.');
      if (!payload || !signature || extra !== undefined || !safeEqual(signature, sign(payload))) {
        throw new FhirError(400, 'invalid', 'the page token is not one this server issued, or it was altered', '_page');
      }
      const state = PageState.parse(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
      if (state.c !== caller.c || state.p !== caller.p) {
        throw new FhirError(403, 'forbidden', 'this page token was issued to another caller or under another purpose of use', '_page');
      }
      if (state.e * 1000 <= now.getTime()) throw new FhirError(410, 'expired', 'the page token has expired: run the search again', '_page');
      return state;
    },
  };
}
