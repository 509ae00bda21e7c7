import type { FhirResource } from 'fhir/r4.js';
import type { ConsentedReader } from '../../outbound/consented-reader.js';
import type { RevIncludeName } from '../capability-table.js';
import { renderAny, type RecordType, type Renderable } from '../render.js';
import { conditions, documents, enrolments, observations, reports } from './clinical.js';
import { MAX_INCLUDED } from './includes.js';
import type { ScopedKind } from './scoped.js';

/** A patient's records of one type, newest first, as many as fit; `more` when some were left. */
type Lister = (read: ConsentedReader, patientId: string, room: number) => Promise<{ records: readonly Renderable[]; more: boolean }>;

const listed = <Q>(kind: ScopedKind<Q>, all: Q): { type: RecordType; list: Lister; anyLeft: (read: ConsentedReader, patientId: string) => Promise<boolean> } => ({
  type: kind.type,
  async list(read, patientId, room) {
    const page = await kind.page(read, patientId, all, room, undefined);
    return { records: page.items, more: page.next !== undefined };
  },
  // A count, not a read: what is not sent must not be noted as disclosed.
  anyLeft: async (read, patientId) => (await read.count(patientId, kind.countable(all))) > 0,
});

const LISTERS = {
  'Observation:patient': listed(observations, {}),
  'Condition:patient': listed(conditions, {}),
  'DiagnosticReport:patient': listed(reports, {}),
  'DocumentReference:patient': listed(documents, {}),
  'EpisodeOfCare:patient': listed(enrolments, {}),
} as const satisfies Record<RevIncludeName, unknown>;

/**
 * `_revinclude` on a Patient search: each matched patient's own records of the named types, read through the
 * consented reader like the matches (so only permitted patients' records leave, each noted for the audit record),
 * in the order of the matches, and bounded as `_include` is: at most MAX_INCLUDED a page, with a warning when
 * records were left out.
 */
export async function resolveRevIncludes(
  read: ConsentedReader, revinclude: readonly RevIncludeName[], patientIds: readonly string[], baseUrl: string,
): Promise<{ included: FhirResource[]; includeCapped: boolean }> {
  const included: FhirResource[] = [];
  let includeCapped = false;
  for (const name of new Set(revinclude)) {
    const lister = LISTERS[name];
    const records: Renderable[] = [];
    for (const patientId of patientIds) {
      const room = MAX_INCLUDED - included.length - records.length;
      if (room === 0) {
        includeCapped = includeCapped || (await lister.anyLeft(read, patientId));
        continue;
      }
      const found = await lister.list(read, patientId, room);
      records.push(...found.records);
      includeCapped = includeCapped || found.more;
    }
    included.push(...(await renderAny(read, lister.type, records, baseUrl)));
  }
  return { included, includeCapped };
}
