import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import type { z } from 'zod';
import type { ConnectionKind, Role } from '../../canonical/index.js';
import type { Principal } from '../auth/principal.js';
import { safeEqual } from '../auth/secrets.js';
import { firstUndecodable } from './percent-encoding.js';

/**
 * Every route declares who may call it; there is no way to register one without. `describeRoutes` lists them
 * all, so a test walks each route × each kind of caller, and the OpenAPI document is built from the same table.
 */
export type Access =
  | { readonly public: true }
  /** Signed-in staff holding any of these roles, second factor done where it is required. */
  | { readonly roles: readonly Role[] }
  /** A signed-in patient, acting on their own record only. */
  | { readonly patient: true }
  /** A partner connection of one of these kinds, active. */
  | { readonly connections: readonly ConnectionKind[] }
  /** Any signed-in person: fully, or also halfway (password given, second factor still to come). */
  | { readonly signedIn: 'complete' | 'any-stage' }
  /**
   * A partner connection of these kinds proven by the message itself: the signed SAML assertion of a SOAP request
   * (with the TLS client certificate). Only the surface can check it, after reading the body; it refuses in its
   * protocol's own form (a SOAP fault), never with the JSON refusal of the other routes.
   */
  | { readonly assertion: readonly ConnectionKind[] }
  /** Whoever one of these admits (e.g. partner connections of some kinds, or staff of some roles). */
  | { readonly anyOf: readonly Exclude<Access, { anyOf: unknown }>[] };

export interface RouteSpec {
  readonly method: 'get' | 'post' | 'put' | 'delete';
  readonly path: string;
  readonly access: Access;
  readonly summary: string;
  readonly body?: z.ZodType;
  /** The handler reads the request stream itself (a SOAP endpoint): no JSON or form parser is put before it. */
  readonly readsOwnBody?: true;
  readonly handler: (req: Request, res: Response) => Promise<void> | void;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly issues: readonly { path: string; message: string }[] = [],
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

declare module 'express-serve-static-core' {
  interface Request {
    principal: Principal;
  }
}

/** Decides a declared access against the caller; returns the HTTP status to refuse with, or undefined to allow. */
export function refusal(access: Access, p: Principal): 401 | 403 | undefined {
  if ('public' in access || 'assertion' in access) return undefined;
  if ('anyOf' in access) {
    const answers = access.anyOf.map((a) => refusal(a, p));
    if (answers.includes(undefined)) return undefined;
    return p.type === 'anonymous' || answers.every((a) => a === 401) ? 401 : 403;
  }
  if ('connections' in access) {
    if (p.type === 'anonymous') return 401;
    return p.type === 'connection' && access.connections.includes(p.connection.kind) && p.connection.status === 'active' ? undefined : 403;
  }
  if (p.type !== 'user') return p.type === 'anonymous' ? 401 : 403;
  if ('signedIn' in access && access.signedIn === 'any-stage') return undefined;
  if (p.stage !== 'complete') return 401;
  if ('signedIn' in access) return undefined;
  if ('patient' in access) return p.kind === 'patient' ? undefined : 403;
  return p.kind === 'staff' && p.roles.some((r) => access.roles.includes(r)) ? undefined : 403;
}

export interface DeclaredRoute {
  readonly method: RouteSpec['method'];
  readonly path: string;
  readonly access: Access;
  readonly summary: string;
  readonly body?: z.ZodType;
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * A signed-in person's state-changing request must carry the session's CSRF token (header X-CSRF-Token, or the
 * `_csrf` field of a form post); SameSite=Strict cookies are the first line, this the second.
 */
function checkCsrf(req: Request): void {
  if (req.principal.type !== 'user' || !UNSAFE.has(req.method)) return;
  const body = req.body as Record<string, unknown> | undefined;
  const sent = req.get('x-csrf-token') ?? (typeof body?._csrf === 'string' ? body._csrf : undefined);
  if (!sent || !safeEqual(sent, req.principal.csrfToken)) throw new HttpError(403, 'missing or wrong CSRF token');
  if (body && '_csrf' in body) delete body._csrf;
}

/** Routers made here; a test checks the app mounts no other routes. */
export const declaredRouters = new WeakSet<object>();

/** Mounts declared routes on a router, each behind its access check and, when it has one, its body schema. */
/**
 * Refuses a form body with malformed percent-encoding, which the parser would read with replacement characters
 * (a different value, a search for something else) where the same query in a URL is refused.
 */
export function wellEncodedForm(_req: Request, _res: Response, body: Buffer): void {
  const bad = firstUndecodable(body.toString('latin1'));
  if (bad) throw new HttpError(400, `the form body${bad.name !== undefined ? `'s field ${bad.name}` : ''} is not percent-encoded UTF-8`);
}

export function declareRoutes(
  mountPath: string, specs: readonly RouteSpec[], registry: DeclaredRoute[], options: { readonly caseSensitive?: boolean; readonly before?: readonly RequestHandler[] } = {},
): Router {
  const router = Router({ caseSensitive: options.caseSensitive ?? false });
  declaredRouters.add(router);
  for (const handler of options.before ?? []) router.use(handler);
  const parsers = [express.json({ limit: '256kb' }), express.urlencoded({ extended: false, limit: '64kb', verify: wellEncodedForm })];
  for (const spec of specs) {
    registry.push({ method: spec.method, path: `${mountPath}${spec.path}`, access: spec.access, summary: spec.summary, ...(spec.body ? { body: spec.body } : {}) });
    router[spec.method](spec.path, ...(spec.method === 'get' || spec.readsOwnBody ? [] : parsers), async (req: Request, res: Response) => {
      const refused = refusal(spec.access, req.principal);
      if (refused === 401) throw new HttpError(401, 'authentication required: an access token (Authorization: Bearer) or a signed-in session', [], { 'WWW-Authenticate': 'Bearer realm="crossgate"' });
      if (refused === 403) throw new HttpError(403, 'not allowed for your role or connection');
      // Public routes act on no session's authority, so they need no CSRF token (sign-in works while signed in).
      if (!('public' in spec.access) && !('assertion' in spec.access)) checkCsrf(req);
      if (spec.body) {
        const parsed = spec.body.safeParse(req.body ?? {});
        if (!parsed.success) {
          throw new HttpError(400, 'invalid request body', parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })));
        }
        req.body = parsed.data;
      }
      await spec.handler(req, res);
    });
  }
  return router;
}
