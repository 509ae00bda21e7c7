import { identifiedCcd, type CcdInput } from '../../mappers/cda/index.js';
import type { RecordStamp, Store } from '../../store/index.js';
import type { Config } from '../config.js';
import type { ConsentedReader } from '../outbound/consented-reader.js';
import { ourPatientAuthority } from './patient-id.js';

/** The provenance source of the summaries, which marks them among a patient's documents. */
export const SUMMARY_SOURCE = 'crossgate:ccd';
/** A CCD is a summary: the newest results, not a lifetime of them. */
const LIMITS = { observations: 500, reports: 100 } as const;
const CACHE_ENTRIES = 10_000;

export interface SummaryDocuments {
  /**
   * Makes sure the patient's current summary (a C-CDA CCD of their record) is registered: made and stored when the
   * record changed since the last one, which it replaces (deprecated), so every query lists one current summary
   * and a retrieve gets exactly the bytes a query described, also of an older one. Only for a patient the reader
   * permits, with the record's stamp as just read (reader.registeredIfCurrent); nothing is noted here: the registry
   * listing that follows notes what leaves.
   */
  ensure(reader: ConsentedReader, patientId: string, state: RecordStamp): Promise<void>;
  /**
   * Whether the summary this process last made or found for the patient is of the record with this stamp: then
   * `ensure` has nothing to do, and a listing read with the stamp (reader.registeredIfCurrent) lists it.
   */
  isCurrent(patientId: string, stamp: string): boolean;
}

/**
 * Summaries made on demand and kept as documents. A summary is named by the record's stamp (store RECORD_STAMP),
 * which a query reads with its listing: while the stamp is unchanged, that is all; a change costs one read of the
 * record and one rendering, by whichever gateway process sees it first (another that races it finds the same
 * document stored).
 */
export function summaryDocuments(store: Store, config: Config): SummaryDocuments {
  const current = new Map<string, string>();
  const remember = (patientId: string, stamp: string) => {
    if (current.size >= CACHE_ENTRIES) current.delete(current.keys().next().value!);
    current.set(patientId, stamp);
  };
  const custodian = { oid: config.homeCommunityId, name: config.organizationName };

  return {
    isCurrent: (patientId, stamp) => current.get(patientId) === stamp,
    async ensure(reader, patientId, state) {
      if (current.get(patientId) === state.stamp) return;
      const latest = await store.documents.latestFromSource(patientId, SUMMARY_SOURCE);
      if (latest?.provenance.sourceRecordId === state.stamp) {
        remember(patientId, state.stamp);
        return;
      }
      const record = await reader.summaryRecord(patientId, LIMITS);
      if (!record) return;
      const input: CcdInput = {
        patient: record.patient.patient,
        patientId: { root: ourPatientAuthority(config), extension: patientId },
        custodian, author: custodian,
        conditions: [...record.conditions], enrolments: [...record.enrolments], observations: [...record.observations], reports: [...record.reports],
        documentId: { root: '2.25.0' },
        effectiveTime: state.changedAt,
      };
      const ccd = identifiedCcd(input, { repositoryUniqueId: config.repositoryUniqueId });
      if (!ccd.ok) throw new Error(`the summary could not be rendered: ${ccd.issues.map((i) => i.message).join('; ')}`);
      const { entry, bytes } = ccd;
      const document = { ...entry, provenance: { source: SUMMARY_SOURCE, sourceRecordId: state.stamp } };
      await store.documents.replaceFromSource(document, bytes);
      remember(patientId, state.stamp);
    },
  };
}
