import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ConnectionKind, Role } from '../canonical/index.js';
import { openTestStore, engineUnderTest, type TestStore } from './support/database.js';
import { testDeps } from './support/gateway.js';
import { sessionFor } from './support/people.js';
import { aPatient } from './support/factories.js';
import { createApp } from '../gateway/http/app.js';
import { declaredRouters, type Access, type DeclaredRoute } from '../gateway/http/routes.js';

/**
 * Walks every declared route × every kind of caller through real HTTP: a caller the route's declaration refuses
 * gets 401 or 403, every other caller gets past authorization. A route mounted without a declaration fails here.
 */
let t: TestStore;
let app: ReturnType<typeof createApp>;
let routes: DeclaredRoute[];

/** What the test knows of a caller, to judge independently of the gateway's own access function. */
type Who =
  | { readonly is: 'anonymous' }
  | { readonly is: 'staff'; readonly role: Role; readonly halfway?: boolean }
  | { readonly is: 'patient' }
  | { readonly is: 'connection'; readonly kind: ConnectionKind; readonly active: boolean };

interface Caller {
  readonly name: string;
  readonly who: Who;
  headers(): Promise<Record<string, string>>;
}

/** The expected answer, written out from the issue's rules rather than taken from the code under test. */
function oracle(access: Access, who: Who): 401 | 403 | 'allowed' {
  // The SOAP surface checks its callers itself (test/ihe-*.test.ts); HTTP-level authorization lets them through.
  if ('public' in access || 'assertion' in access) return 'allowed';
  if ('anyOf' in access) {
    const answers = access.anyOf.map((a) => oracle(a, who));
    if (answers.includes('allowed')) return 'allowed';
    return who.is === 'anonymous' || answers.every((a) => a === 401) ? 401 : 403;
  }
  if (who.is === 'anonymous') return 401;
  if ('connections' in access) return who.is === 'connection' && who.active && access.connections.includes(who.kind) ? 'allowed' : 403;
  if (who.is === 'connection') return 403;
  if ('signedIn' in access && access.signedIn === 'any-stage') return 'allowed';
  if (who.is === 'staff' && who.halfway) return 401;
  if ('signedIn' in access) return 'allowed';
  if ('patient' in access) return who.is === 'patient' ? 'allowed' : 403;
  return who.is === 'staff' && access.roles.includes(who.role) ? 'allowed' : 403;
}

const callers: Caller[] = [];

/** The refusal's text: `error` of our JSON APIs, the OperationOutcome's diagnostics on the FHIR surface. */
function refusalMessage(res: { text: string }): string {
  try {
    const body = JSON.parse(res.text) as { error?: unknown; issue?: { diagnostics?: unknown }[] };
    return String(body.error ?? body.issue?.[0]?.diagnostics);
  } catch {
    return '';
  }
}

async function tokenFor(kind: ConnectionKind, status: 'active' | 'suspended'): Promise<string> {
  const org = await t.store.organizations.save({ id: randomUUID(), name: `Partner ${kind}` });
  const c = await t.store.connections.create({ id: randomUUID(), organizationId: org.id, kind, name: `${kind} client` });
  const admin = await sessionFor(t.store, { roles: ['admin'] });
  const issued = await request(app).post(`/admin/connections/${c.id}/credentials`).set('Cookie', admin.cookie).set('X-CSRF-Token', admin.csrf).send({ type: 'token' }).expect(201);
  await t.store.connections.setStatus(c.id, status);
  return issued.body.token as string;
}

beforeAll(async () => {
  t = await openTestStore();
  app = createApp(testDeps(t.store));
  routes = app.locals.routes as DeclaredRoute[];
  const patient = await t.store.patients.insert(aPatient());
  const person = (name: string, who: Who, session: Parameters<typeof sessionFor>[1]): Caller => {
    return {
      name, who,
      // A fresh session per call: a route such as sign-out ends the session it is called with.
      headers: async () => {
        // One account per patient: each patient session is of a patient of its own.
        const s = await sessionFor(t.store, session.patientId ? { patientId: (await t.store.patients.insert(aPatient())).id } : session);
        return { Cookie: s.cookie, 'X-CSRF-Token': s.csrf };
      },
    };
  };
  callers.push({ name: 'anonymous', who: { is: 'anonymous' }, headers: async () => ({}) });
  for (const role of ['member', 'provider', 'admin', 'compliance'] as const) callers.push(person(role, { is: 'staff', role }, { roles: [role] }));
  callers.push(person('admin halfway through sign-in', { is: 'staff', role: 'admin', halfway: true }, { roles: ['admin'], stage: 'password' }));
  callers.push(person('patient', { is: 'patient' }, { patientId: patient.id }));
  for (const kind of ['carequality', 'fhir', 'his', 'lab'] as const) {
    const token = await tokenFor(kind, 'active');
    callers.push({ name: `${kind} connection`, who: { is: 'connection', kind, active: true }, headers: async () => ({ Authorization: `Bearer ${token}` }) });
  }
  const suspended = await tokenFor('fhir', 'suspended');
  callers.push({ name: 'suspended fhir connection', who: { is: 'connection', kind: 'fhir', active: false }, headers: async () => ({ Authorization: `Bearer ${suspended}` }) });
});
afterAll(async () => t.close());

describe(`authorization on ${engineUnderTest}`, () => {
  it('mounts no route outside the declared table', () => {
    const stack = (app as unknown as { router: { stack: { route?: unknown; handle: object & { stack?: unknown } }[] } }).router.stack;
    const undeclared = stack.filter((layer) => layer.route !== undefined || (layer.handle.stack !== undefined && !declaredRouters.has(layer.handle)));
    expect(undeclared).toEqual([]);
    expect(routes.length).toBeGreaterThan(20);
  });

  it('lets each caller through exactly the routes declared for it', async () => {
    const mismatches: string[] = [];
    for (const route of routes) {
      const path = route.path.replace(/:[A-Za-z]+/g, () => randomUUID());
      for (const caller of callers) {
        const expected = oracle(route.access, caller.who);
        const res = await request(app)[route.method](path).set(await caller.headers()).send(route.method === 'get' ? undefined : {});
        const refused = res.status === 401 || res.status === 403;
        const authRefusal = refused && /authentication required|not allowed for your role or connection/.test(refusalMessage(res));
        if (expected !== 'allowed' && !(res.status === expected && authRefusal)) mismatches.push(`${route.method} ${route.path} as ${caller.name}: expected ${expected}, got ${res.status}`);
        if (expected === 'allowed' && authRefusal) mismatches.push(`${route.method} ${route.path} as ${caller.name}: refused (${res.status}) though declared allowed`);
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('denies by default: admin changes are for admins only; staff may read consent and held requests; care staff file and merge patients', () => {
    // Linking a lab report to a patient, and reviewing and merging duplicates, is patient identity work that
    // care providers do (issue 9); everything else under /admin changes the installation and is for admins.
    const patientIdentityWork = /^\/admin\/(lab-matching|patients\/duplicates|patients\/merge)/;
    for (const route of routes.filter((r) => r.path.startsWith('/admin/') && r.path !== '/admin/openapi.json')) {
      expect('roles' in route.access).toBe(true);
      const roles = [...('roles' in route.access ? route.access.roles : [])].sort();
      const consentRead = route.method === 'get' && /consent|access-requests/.test(route.path);
      const expected = route.path === '/admin/patients/:id/account' || patientIdentityWork.test(route.path) ? ['admin', 'provider'] : consentRead ? ['admin', 'member', 'provider'] : ['admin'];
      expect(`${route.method} ${route.path}: ${roles.join(',')}`).toBe(`${route.method} ${route.path}: ${expected.join(',')}`);
    }
  });
});
