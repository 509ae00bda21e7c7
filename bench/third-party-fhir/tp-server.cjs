// A FHIR R4 server built on @asymmetrik/node-fhir-server-core 2.2.5 with in-memory services (Maps), in a forked
// process speaking the IPC protocol of crossgate's bench/lib/fhir-server.ts (start → listening, usage, stop).
// initialize(config) with the framework's defaults: its middleware (compression level 9, body-parser, bourne
// prototype-injection guard, favicon, helmet, cors, version check, sanitize-html/xss on every declared parameter),
// no auth config (the docs' no-auth setup: noop middleware), logging at warn.
// Variant (env TP_VARIANT):
//   schemas: services as the docs show them: each answer wrapped in the framework's resource classes per request
//            (resolveSchema → new Patient(json), new Observation(json), new BundleEntry, new Bundle).
//   held:    resources wrapped in the framework's classes once, at load, and held so in the Maps; per request only
//            the Bundle and its entries are built (new BundleEntry, new Bundle) and every class's toJSON runs.
//   plain:   services return the plain JSON held in the Maps and a plain Bundle object (framework cost only).
const http = require('node:http');
const { initialize, resolveSchema, ServerError, constants } = require('@asymmetrik/node-fhir-server-core');

const VARIANT = process.env.TP_VARIANT || 'schemas';
const VERSION = constants.VERSIONS['4_0_1'];
const DEFAULT_COUNT = 20;

let data; // { patients: Map, byIdentifier: Map, observationsByPatient: Map, baseUrl }

function hold(resources, baseUrl) {
  const d = { patients: new Map(), byIdentifier: new Map(), observationsByPatient: new Map(), baseUrl };
  const add = (m, k, v) => (m.get(k) ?? m.set(k, []).get(k)).push(v);
  const seen = new Set();
  const wrap = (r) => (VARIANT === 'held' ? new (resolveSchema(VERSION, r.resourceType))(r) : r);
  for (const r of resources) {
    if (seen.has(`${r.resourceType}/${r.id}`)) continue;
    seen.add(`${r.resourceType}/${r.id}`);
    if (r.resourceType === 'Patient') {
      const held = wrap(r);
      d.patients.set(r.id, held);
      for (const i of r.identifier ?? []) {
        add(d.byIdentifier, `${i.system ?? ''}|${i.value}`, held);
        add(d.byIdentifier, i.value, held);
      }
    } else if (r.resourceType === 'Observation') {
      const m = /^Patient\/([^/]+)$/.exec(r.subject?.reference ?? '');
      if (m) add(d.observationsByPatient, m[1], wrap(r));
    }
  }
  return d;
}

const notFound = (what) => new ServerError(`${what} is not known`, {
  statusCode: 404, issue: [{ severity: 'error', code: 'not-found', details: { text: `${what} is not known` } }],
});

function bundle(args, context, type, applied, matches) {
  const q = context.req.query;
  const count = q._count !== undefined ? Math.min(Number.parseInt(q._count, 10) || 0, 100) : DEFAULT_COUNT;
  const page = matches.slice(0, count);
  const self = `${data.baseUrl}/${type}?${new URLSearchParams([...applied, ['_count', String(count)]]).toString()}`;
  const entries = page.map((r) => ({ fullUrl: `${data.baseUrl}/${type}/${r.id}`, resource: r, search: { mode: 'match' } }));
  if (VARIANT === 'plain') {
    return { resourceType: 'Bundle', type: 'searchset', total: matches.length, link: [{ relation: 'self', url: self }], entry: entries };
  }
  const Bundle = resolveSchema(args.base_version, 'bundle');
  const BundleEntry = resolveSchema(args.base_version, 'bundleentry');
  const Resource = resolveSchema(args.base_version, type);
  return new Bundle({
    type: 'searchset', total: matches.length, link: [{ relation: 'self', url: self }],
    entry: entries.map((e) => new BundleEntry({ ...e, resource: VARIANT === 'held' ? e.resource : new Resource(e.resource) })),
  });
}

const patientService = {
  searchById: async (args) => {
    const r = data.patients.get(args.id);
    if (!r) throw notFound(`Patient/${args.id}`);
    if (VARIANT === 'plain' || VARIANT === 'held') return r;
    const Patient = resolveSchema(args.base_version, 'patient');
    return new Patient(r);
  },
  search: async (args, context) => {
    const identifier = args.identifier;
    if (identifier === undefined) return bundle(args, context, 'Patient', [], [...data.patients.values()]);
    return bundle(args, context, 'Patient', [['identifier', identifier]], data.byIdentifier.get(identifier) ?? []);
  },
};

const observationService = {
  search: async (args, context) => {
    const patient = args.patient;
    if (patient === undefined) throw new ServerError('patient is required here', { statusCode: 400, issue: [{ severity: 'error', code: 'not-supported' }] });
    const id = /^Patient\/([^/]+)$/.exec(patient)?.[1] ?? patient;
    return bundle(args, context, 'Observation', [['patient', patient]], data.observationsByPatient.get(id) ?? []);
  },
};

let server;
const send = (m) => new Promise((resolve, reject) => process.send(m, undefined, {}, (e) => (e ? reject(e) : resolve())));

async function handle(message) {
  switch (message.type) {
    case 'start': {
      data = hold(message.task.resources, message.task.baseUrl);
      const fhir = initialize({
        logging: { level: 'warn' },
        profiles: {
          patient: { service: patientService, versions: [VERSION] },
          observation: { service: observationService, versions: [VERSION] },
        },
      });
      // What Server.listen does (http.createServer(app)), on a free loopback port (listen() refuses port 0).
      server = http.createServer(fhir.app);
      await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
      await send({ type: 'listening', url: `http://127.0.0.1:${server.address().port}` });
      return;
    }
    case 'usage': {
      const u = process.cpuUsage();
      const loop = performance.eventLoopUtilization();
      await send({ type: 'usage', cpuMicros: u.user + u.system, loopActiveMs: loop.active, loopIdleMs: loop.idle });
      return;
    }
    case 'stop': {
      await new Promise((resolve) => { server.close(() => resolve()); server.closeAllConnections(); });
      await send({ type: 'stopped' });
      process.disconnect();
      return;
    }
  }
}

process.on('message', (m) => {
  handle(m).catch(async (e) => {
    await send({ type: 'error', message: e?.stack ?? String(e) }).catch(() => undefined);
    process.exitCode = 1;
    process.disconnect();
  });
});
