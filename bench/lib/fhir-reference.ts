/**
 * The in-memory reference of bench/fhir.ts: the kind of FHIR R4 server a Node project writes when it keeps its
 * resources in memory, which the gateway's aim is set against ("an in-memory Node FHIR server without storage,
 * consent or audit"). An express app with express's defaults, as such servers keep them (so a search answer also
 * gets express's own ETag, a hash of its body, which the gateway turns off). Patients and Observations are held in
 * Maps by id, with Observations indexed by their subject patient and Patients by identifier; search parameters are
 * parsed and checked (unknown ones ignored), and every answer is built afresh and serialised with JSON.stringify:
 * a searchset Bundle with total, self and next links and entries with fullUrl and search.mode, a read with ETag
 * and Last-Modified, an OperationOutcome for what is refused. A bearer token must be there but is not verified.
 */
import express, { type ErrorRequestHandler, type Express, type Request, type Response } from 'express';
import type { OperationOutcome } from 'fhir/r4.js';
import { z } from 'zod';

const DEFAULT_COUNT = 20;
const MAX_COUNT = 100;
const FHIR_JSON = 'application/fhir+json; charset=utf-8';

/** What the indexes and the read headers use of a resource; the rest is kept as it came and sent back as it is. */
const Meta = z.looseObject({ versionId: z.string().optional(), lastUpdated: z.string().optional() }).optional();
const HeldResource = z.discriminatedUnion('resourceType', [
  z.looseObject({
    resourceType: z.literal('Patient'), id: z.string(), meta: Meta,
    identifier: z.array(z.looseObject({ system: z.string().optional(), value: z.string().optional() })).optional(),
  }),
  z.looseObject({ resourceType: z.literal('Observation'), id: z.string(), meta: Meta, subject: z.looseObject({ reference: z.string() }).optional() }),
]);
type Held = z.infer<typeof HeldResource>;
type HeldPatient = Extract<Held, { resourceType: 'Patient' }>;
type HeldObservation = Extract<Held, { resourceType: 'Observation' }>;

/** A request refused with an OperationOutcome. */
class Refusal extends Error {
  constructor(readonly status: number, readonly code: 'invalid' | 'not-supported' | 'login' | 'not-found', message: string) {
    super(message);
  }
}

interface Data {
  readonly patients: Map<string, HeldPatient>;
  readonly observations: Map<string, HeldObservation>;
  /** By the id of the subject patient, in the order they were handed over. */
  readonly observationsByPatient: Map<string, HeldObservation[]>;
  /** By `system|value` (`|value` without a system), and by the bare value too, as a token search may name either. */
  readonly patientsByIdentifier: Map<string, HeldPatient[]>;
}

const PATIENT_REFERENCE = /^Patient\/([^/]+)$/;

const append = <T>(index: Map<string, T[]>, key: string, item: T) => {
  const list = index.get(key);
  if (list) list.push(item);
  else index.set(key, [item]);
};

/** Holds each resource once (a resource handed over twice is the same resource), and indexes it. */
function hold(resources: readonly unknown[]): Data {
  const data: Data = { patients: new Map(), observations: new Map(), observationsByPatient: new Map(), patientsByIdentifier: new Map() };
  for (const resource of resources.map((r) => HeldResource.parse(r))) {
    if (resource.resourceType === 'Patient') {
      if (data.patients.has(resource.id)) continue;
      data.patients.set(resource.id, resource);
      for (const { system, value } of resource.identifier ?? []) {
        if (value === undefined) continue;
        append(data.patientsByIdentifier, `${system ?? ''}|${value}`, resource);
        append(data.patientsByIdentifier, value, resource);
      }
      continue;
    }
    if (data.observations.has(resource.id)) continue;
    data.observations.set(resource.id, resource);
    const patientId = PATIENT_REFERENCE.exec(resource.subject?.reference ?? '')?.[1];
    if (patientId !== undefined) append(data.observationsByPatient, patientId, resource);
  }
  return data;
}

function send(res: Response, status: number, body: object): void {
  res.status(status).type(FHIR_JSON).send(JSON.stringify(body));
}

/** A parameter given once; FHIR reads a repeated one as AND, which this server does not do. */
function single(req: Request, name: string): string | undefined {
  const value = req.query[name];
  if (value === undefined || typeof value === 'string') return value;
  throw new Refusal(400, 'not-supported', `${name} may be given only once here`);
}

function wholeNumber(req: Request, name: string): number | undefined {
  const value = single(req, name);
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new Refusal(400, 'invalid', `${name} must be a whole number`);
  return Number(value);
}

/**
 * One page of `matches` as a searchset: `applied` are the search parameters it understood, which its links repeat
 * with `_count` and, for the next page, `_offset`.
 */
function searchset(baseUrl: string, req: Request, type: string, applied: readonly [string, string][], matches: readonly Held[]): object {
  const count = Math.min(wholeNumber(req, '_count') ?? DEFAULT_COUNT, MAX_COUNT);
  const offset = wholeNumber(req, '_offset') ?? 0;
  const link = (relation: string, from: number) => {
    const query = new URLSearchParams([...applied, ['_count', String(count)], ...(from > 0 ? [['_offset', String(from)] as [string, string]] : [])]);
    return { relation, url: `${baseUrl}/${type}?${query.toString()}` };
  };
  const more = count > 0 && offset + count < matches.length;
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    total: matches.length,
    link: [link('self', offset), ...(more ? [link('next', offset + count)] : [])],
    entry: matches.slice(offset, offset + count).map((resource) => ({ fullUrl: `${baseUrl}/${type}/${resource.id}`, resource, search: { mode: 'match' } })),
  };
}

const outcome = (code: Refusal['code'], diagnostics: string): OperationOutcome => ({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, diagnostics }] });

const refusals: ErrorRequestHandler = (error: unknown, _req, res, next) => {
  if (!(error instanceof Refusal)) {
    next(error);
    return;
  }
  if (error.status === 401) res.set('WWW-Authenticate', 'Bearer');
  send(res, error.status, outcome(error.code, error.message));
};

/** The server, holding `resources` (Patients and Observations as JSON), under `baseUrl`, its public address. */
export function referenceApp(baseUrl: string, resources: readonly unknown[]): Express {
  const data = hold(resources);
  const fhir = express.Router();

  fhir.use((req, _res, next) => {
    if (!/^Bearer \S/i.test(req.get('authorization') ?? '')) throw new Refusal(401, 'login', 'a bearer token is required');
    next();
  });

  const readOf = (type: string, held: ReadonlyMap<string, Held>) => (req: Request, res: Response) => {
    const id = String(req.params.id);
    const resource = held.get(id);
    if (!resource) throw new Refusal(404, 'not-found', `${type}/${id} is not known`);
    res.set('ETag', `W/"${resource.meta?.versionId ?? '1'}"`);
    if (resource.meta?.lastUpdated) res.set('Last-Modified', new Date(resource.meta.lastUpdated).toUTCString());
    send(res, 200, resource);
  };
  fhir.get('/Patient/:id', readOf('Patient', data.patients));
  fhir.get('/Observation/:id', readOf('Observation', data.observations));

  fhir.get('/Patient', (req, res) => {
    const identifier = single(req, 'identifier');
    if (identifier === undefined) {
      send(res, 200, searchset(baseUrl, req, 'Patient', [], [...data.patients.values()]));
      return;
    }
    const bar = identifier.indexOf('|');
    if (identifier.slice(bar + 1) === '') throw new Refusal(400, 'invalid', 'identifier must be [system|]value with a value');
    send(res, 200, searchset(baseUrl, req, 'Patient', [['identifier', identifier]], data.patientsByIdentifier.get(identifier) ?? []));
  });

  fhir.get('/Observation', (req, res) => {
    const patient = single(req, 'patient');
    if (patient === undefined) {
      send(res, 200, searchset(baseUrl, req, 'Observation', [], [...data.observations.values()]));
      return;
    }
    const id = PATIENT_REFERENCE.exec(patient)?.[1] ?? patient;
    if (id.includes('/')) throw new Refusal(400, 'invalid', 'patient must be an id or Patient/id');
    send(res, 200, searchset(baseUrl, req, 'Observation', [['patient', patient]], data.observationsByPatient.get(id) ?? []));
  });

  fhir.use((req) => {
    throw new Refusal(404, 'not-found', `${req.method} ${req.path} is not served`);
  });
  fhir.use(refusals);

  const app = express();
  app.use(new URL(baseUrl).pathname, fhir);
  return app;
}
