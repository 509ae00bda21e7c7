// Captures real Crossgate gateway answers (50 Patient reads, 50 Observation searches ?patient=…&_count=20) into
// data.json, as bench/fhir.ts checks them: scratch PostgreSQL database seeded as `crossgate seed` does, the gateway
// started as bench/lib/fhir-server.ts starts it, a partner registered, a Treatment token. The database is dropped.
// Needs PostgreSQL at 127.0.0.1:5432, user postgres, trust authentication (it creates and drops its own database).
//   node capture.mjs [patients]
import { fork } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const D = '../../dist/'; // the repository's own build (`npm run build` at the root), found beside this file
if (!existsSync(new URL(`${D}bench/lib/fhir-server.js`, import.meta.url))) {
  process.stderr.write('no build of Crossgate at ../../dist/: run `npm ci && npm run build` at the repository root first\n');
  process.exit(1);
}
const { IdentifierSystems } = await import(`${D}canonical/index.js`);
const { Random } = await import(`${D}fixtures/synthetic/random.js`);
const { NODE_FLAGS } = await import(`${D}gateway/cli/node-flags.js`);
const { CONFIG_VARIABLES } = await import(`${D}gateway/config.js`);
const { BASE_PATH } = await import(`${D}gateway/fhir/surface.js`);
const { migrate } = await import(`${D}store/migrate.js`);
const { openDatabase } = await import(`${D}store/open.js`);
const { createStore } = await import(`${D}store/store.js`);
const { scratchPostgres, seedScratch } = await import(`${D}bench/lib/scratch.js`);
const { accessToken, adminSession, registerPartner } = await import(`${D}bench/lib/fhir-partner.js`);
const { loadClient } = await import(`${D}bench/lib/fhir-load.js`);
const { Forked } = await import(`${D}bench/lib/forked.js`);

const PATIENTS = Number(process.argv[2] ?? 20000);
const PUBLIC_URL = 'https://crossgate.bench.invalid';
const KEY_SEED = 4701;
const SAMPLES = 50;
const log = (m) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} capture: ${m}\n`);

const scratch = await scratchPostgres('postgres://postgres@127.0.0.1:5432/postgres');
let server;
try {
  const db = await openDatabase({ databaseUrl: scratch.location });
  await migrate(db);
  const store = createStore(db);
  await seedScratch(db, store, PATIENTS, log);
  const ids = async (sql) => (await db.query(sql, [])).map((r) => r.id);
  const patientIds = await ids('SELECT id FROM patients ORDER BY id');
  const observed = await ids('SELECT DISTINCT patient_id AS id FROM observations ORDER BY 1');
  log(`${patientIds.length} patients, ${observed.length} with observations`);

  const inherited = Object.entries(process.env).filter(([n]) => !CONFIG_VARIABLES.includes(n));
  const env = {
    ...Object.fromEntries(inherited), DATABASE_URL: scratch.location, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'warn',
    CROSSGATE_DEMO_DATA: 'off', CROSSGATE_PUBLIC_URL: PUBLIC_URL, CROSSGATE_SECRET_KEY: randomBytes(32).toString('base64'),
    CROSSGATE_AUDIT_SIGNING_KEY: generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
  const script = fileURLToPath(new URL(`${D}bench/lib/fhir-server.js`, import.meta.url));
  server = new Forked(script, { env, execArgv: [...NODE_FLAGS], stdio: ['ignore', 2, 2, 'ipc'] }, 'gateway');
  const { url } = await server.call({ type: 'start', task: { kind: 'gateway' } }, 'listening');
  const partner = await registerPartner(url, await adminSession(store));
  const headers = { authorization: `Bearer ${await accessToken(url, PUBLIC_URL, partner)}`, accept: 'application/fhir+json' };
  const client = loadClient(url, 1, headers);
  const get = async (path) => {
    const a = await client.fetch(path);
    if (a.status !== 200) throw new Error(`${path}: ${a.status} ${a.body.slice(0, 300)}`);
    return { path, body: JSON.parse(a.body), bytes: Buffer.byteLength(a.body) };
  };
  // The same keys bench/fhir.ts checks: Random(KEY_SEED, workload index, 0).
  const reads = [];
  let rng = new Random(KEY_SEED, 0, 0);
  for (let k = 0; k < SAMPLES; k++) {
    const id = rng.pick(patientIds);
    const a = await get(`${BASE_PATH}/Patient/${id}`);
    if (a.body.resourceType !== 'Patient' || a.body.id !== id) throw new Error(`not Patient ${id}`);
    reads.push({ id, ...a });
  }
  const searches = [];
  rng = new Random(KEY_SEED, 1, 0);
  for (let k = 0; k < SAMPLES; k++) {
    const id = rng.pick(observed);
    const a = await get(`${BASE_PATH}/Observation?patient=${id}&_count=20`);
    const entries = a.body.entry ?? [];
    if (a.body.resourceType !== 'Bundle' || entries.length === 0 || entries.some((e) => !e.resource.subject.reference.endsWith(`Patient/${id}`))) throw new Error(`bad bundle for ${id}`);
    searches.push({ id, ...a });
  }
  client.close();
  writeFileSync(new URL('./data.json', import.meta.url), JSON.stringify({ basePath: BASE_PATH, publicUrl: PUBLIC_URL, patients: PATIENTS, reads, searches }));
  const sizes = (xs) => xs.map((x) => x.bytes).sort((a, b) => a - b);
  log(`reads bytes min/median/max ${sizes(reads)[0]}/${sizes(reads)[25]}/${sizes(reads)[49]}`);
  log(`searches entries ${searches.map((s) => s.body.entry.length).join(',')}`);
  log(`searches bytes min/median/max ${sizes(searches)[0]}/${sizes(searches)[25]}/${sizes(searches)[49]}`);
  await server.stop({ type: 'stop' }, 'stopped', 30000);
  await db.close();
} finally {
  server?.kill();
  await scratch.dispose();
  log('scratch database dropped');
}
