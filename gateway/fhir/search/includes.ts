import type { FhirResource } from 'fhir/r4.js';
import type { DiagnosticReport } from '../../../canonical/index.js';
import type { ConsentedReader } from '../../outbound/consented-reader.js';
import type { IncludeName } from '../capability-table.js';
import { renderAny, type RecordType, type Renderable } from '../render.js';

/**
 * `_include`: the resources a page's matches point at, read through the consented reader like the matches
 * (an included resource is a disclosure too, so it is audited and leaves only for a permitted patient), and
 * bounded: a page carries at most MAX_INCLUDED of them (fhir.md §5).
 */
export const MAX_INCLUDED = 100;

type Resolver = (read: ConsentedReader, matches: readonly Renderable[], room: number) => Promise<{ type: RecordType; records: Renderable[]; wanted: number }>;

const patientOf: Resolver = async (read, matches, room) => {
  const ids = [...new Set(matches.map((m) => ('patientId' in m ? m.patientId : undefined)).filter((id): id is string => id !== undefined))];
  const records: Renderable[] = [];
  for (const id of ids.slice(0, room)) {
    const record = await read.patient(id);
    if (record) records.push(record);
  }
  return { type: 'Patient', records, wanted: ids.length };
};

const resultsOf: Resolver = async (read, matches, room) => {
  const reports = matches as readonly DiagnosticReport[];
  const records: Renderable[] = [];
  const seen = new Set<string>();
  for (const report of reports) {
    if (records.length >= room) break;
    for (const o of await read.reportResults(report, room - records.length)) {
      if (!seen.has(o.id)) records.push(o);
      seen.add(o.id);
    }
  }
  return { type: 'Observation', records, wanted: new Set(reports.flatMap((r) => r.observationIds)).size };
};

const RESOLVERS: Readonly<Record<IncludeName, Resolver>> = {
  'Observation:patient': patientOf,
  'Condition:patient': patientOf,
  'DiagnosticReport:patient': patientOf,
  'DocumentReference:patient': patientOf,
  'EpisodeOfCare:patient': patientOf,
  'DiagnosticReport:result': resultsOf,
};

export async function resolveIncludes(
  read: ConsentedReader, include: readonly IncludeName[], matches: readonly Renderable[], baseUrl: string,
): Promise<{ included: FhirResource[]; includeCapped: boolean }> {
  const included: FhirResource[] = [];
  let includeCapped = false;
  if (matches.length === 0) return { included, includeCapped };
  for (const name of new Set(include)) {
    const room = MAX_INCLUDED - included.length;
    const found = await RESOLVERS[name](read, matches, room);
    if (found.wanted > found.records.length) includeCapped = includeCapped || found.records.length >= room;
    included.push(...(await renderAny(read, found.type, found.records, baseUrl)));
  }
  return { included, includeCapped };
}
