import type { Database, Engine } from './database.js';
import { rootScope, transactionScope, type Scope } from './scope.js';
import { patientRepository } from './patients.js';
import { organizationRepository, practitionerRepository } from './directory.js';
import { careProgramRepository, conditionRepository, observationRepository, reportRepository } from './clinical.js';
import { documentRepository } from './documents.js';
import { inboundRepository } from './inbound.js';
import { inboundFilingRepository } from './inbound-filing.js';
import { userRepository } from './users.js';
import { sessionRepository } from './sessions.js';
import { connectionRepository } from './connections.js';
import { auditRepository } from './audit.js';
import { consentRepository } from './consent.js';
import { oauthRepository } from './oauth.js';

export interface StoreCounts {
  patients: number;
  observations: number;
  conditions: number;
  enrolments: number;
  reports: number;
  documents: number;
  organizations: number;
  practitioners: number;
  inboundMessages: number;
}

function repositories(scope: Scope) {
  return {
    patients: patientRepository(scope),
    organizations: organizationRepository(scope),
    practitioners: practitionerRepository(scope),
    observations: observationRepository(scope),
    conditions: conditionRepository(scope),
    carePrograms: careProgramRepository(scope),
    reports: reportRepository(scope),
    documents: documentRepository(scope),
    inbound: inboundRepository(scope),
    filing: inboundFilingRepository(scope),
    users: userRepository(scope),
    sessions: sessionRepository(scope),
    connections: connectionRepository(scope),
    audit: auditRepository(scope),
    consent: consentRepository(scope),
    oauth: oauthRepository(scope),
  };
}

/**
 * The one persistence interface, the same over PostgreSQL and PGlite. `transaction` hands the callback a Store
 * whose every method runs in that transaction; if the callback throws, nothing it wrote remains.
 */
export interface Store extends ReturnType<typeof repositories> {
  readonly engine: Engine;
  transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T>;
  counts(): Promise<StoreCounts>;
}

export interface RootStore extends Store {
  /** Throws when the database cannot answer (readiness). */
  ping(): Promise<void>;
  listen: Database['listen'];
  readonly notifiesBeforeCommitReturns: boolean;
  /** The change clock (store/change-feed.ts): how many cached kinds of change have been committed. */
  changeClock(): Promise<number>;
  close(): Promise<void>;
}

function build(engine: Engine, scope: Scope, transaction: Store['transaction']): Store {
  return {
    engine,
    ...repositories(scope),
    transaction,
    async counts() {
      const rows = await scope.q.query<Record<keyof StoreCounts, number>>(`SELECT
        (SELECT count(*) FROM patients WHERE status = 'active') AS patients,
        (SELECT count(*) FROM observations) AS observations,
        (SELECT count(*) FROM conditions) AS conditions,
        (SELECT count(*) FROM care_program_enrolments) AS enrolments,
        (SELECT count(*) FROM diagnostic_reports) AS reports,
        (SELECT count(*) FROM documents) AS documents,
        (SELECT count(*) FROM organizations) AS organizations,
        (SELECT count(*) FROM practitioners) AS practitioners,
        (SELECT count(*) FROM inbound_messages) AS "inboundMessages"`);
      return rows[0]!;
    },
  };
}

export function createStore(db: Database): RootStore {
  const transaction: Store['transaction'] = (fn) =>
    db.transaction((tx) => {
      const scope = transactionScope(tx);
      // Inside a transaction, a nested transaction joins the outer one.
      const inner: Store = build(db.engine, scope, (nested) => nested(inner));
      return fn(inner);
    });
  return {
    ...build(db.engine, rootScope(db), transaction),
    async ping() {
      await db.query('SELECT 1');
    },
    listen: (channel, onMessage, onLost) => db.listen(channel, onMessage, onLost),
    notifiesBeforeCommitReturns: db.notifiesBeforeCommitReturns,
    async changeClock() {
      return (await db.query<{ version: number }>('SELECT version FROM change_clock'))[0]!.version;
    },
    close: () => db.close(),
  };
}
