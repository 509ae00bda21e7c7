import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import request from 'supertest';
import type { Bundle, FhirResource } from 'fhir/r4.js';
import type { AuditRecordContent, ConnectionKind } from '../canonical/index.js';
import type { createApp } from '../gateway/http/app.js';
import type { RootStore } from '../store/index.js';
import { recordOf } from '../audit/index.js';
import type { TestSession } from './support/people.js';

/** What the inbound tests share: fixtures, a sending connection made through the admin API, posting, reading back. */
type App = ReturnType<typeof createApp>;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export function fixture(kind: 'ketenzorg' | 'medlab', name: string): Buffer {
  return readFileSync(path.join(root, 'fixtures', kind, name));
}

export const staffCall = (r: request.Test, session: TestSession) => r.set('Cookie', session.cookie).set('X-CSRF-Token', session.csrf);

export interface Sender {
  readonly organizationId: string;
  readonly connectionId: string;
  readonly token: string;
}

/** An organization with an active connection of this kind and a bearer token, through the admin API. */
export async function aSender(app: App, admin: TestSession, kind: ConnectionKind, name = `${kind} sender`): Promise<Sender> {
  const org = await staffCall(request(app).post('/admin/organizations'), admin).send({ name }).expect(201);
  const conn = await staffCall(request(app).post(`/admin/organizations/${org.body.id}/connections`), admin).send({ kind, name: `${name} connection` }).expect(201);
  const issued = await staffCall(request(app).post(`/admin/connections/${conn.body.id}/credentials`), admin).send({ type: 'token' }).expect(201);
  await staffCall(request(app).post(`/admin/connections/${conn.body.id}/status`), admin).send({ status: 'active' }).expect(200);
  return { organizationId: org.body.id as string, connectionId: conn.body.id as string, token: issued.body.token as string };
}

export function deliver(app: App, sender: Pick<Sender, 'token'>, channel: 'ketenzorg' | 'lab', body: Buffer | string, contentType?: string): request.Test {
  return request(app)
    .post(`/inbound/${channel}`)
    .set('Authorization', `Bearer ${sender.token}`)
    .set('Content-Type', contentType ?? (channel === 'ketenzorg' ? 'application/xml' : 'application/edifact'))
    .send(typeof body === 'string' ? Buffer.from(body, 'utf8') : body);
}

/** The acknowledgement's verdict and its detail texts, read from the MCCI_IN000002 XML. */
export function hl7Ack(xml: string): { code: string; details: { type: string; text: string; location?: string }[]; target: string } {
  const code = /<acknowledgement typeCode="(A[AER])"/.exec(xml)?.[1] ?? '';
  const details = [...xml.matchAll(/<acknowledgementDetail typeCode="([EWI])">\s*<text>([^<]*)<\/text>\s*(?:<location>([^<]*)<\/location>)?/g)]
    .map((m) => ({ type: m[1]!, text: unescapeXml(m[2]!), ...(m[3] ? { location: m[3] } : {}) }));
  const target = /<targetMessage>\s*<id ([^>]*)\/>/.exec(xml)?.[1] ?? '';
  return { code, details, target };
}

function unescapeXml(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
}

/** A FHIR search as staff, every page's entries of one resource type. */
export async function fhirSearch<T extends FhirResource>(app: App, session: TestSession, query: string): Promise<T[]> {
  const res = await request(app).get(`/fhir/R4/${query}`).set('Cookie', session.cookie).expect(200);
  const bundle = JSON.parse(res.text) as Bundle;
  return (bundle.entry ?? []).map((e) => e.resource as T);
}

/** The inbound records on the audit trail, oldest first. */
export async function inboundAudit(store: RootStore): Promise<AuditRecordContent[]> {
  const rows = await store.audit.search({ limit: 1000 });
  return rows.map((r) => recordOf(r).content).filter((c) => c.transaction === 'inbound-ketenzorg' || c.transaction === 'inbound-lab').reverse();
}
