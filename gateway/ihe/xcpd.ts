import { randomUUID } from 'node:crypto';
import { demographicsOf, parsePatientDiscoveryRequest, renderPatientDiscoveryRefusal, renderPatientDiscoveryResponse, type DiscoveryOutcome, type PatientDiscoveryQuery, type RequestedAttribute } from '../../mappers/xcpd/index.js';
import type { IheContext } from './context.js';
import { hl7Timestamp } from './hl7-time.js';
import { ourPatientAuthority } from './patient-id.js';
import type { SoapTransaction } from './soap-endpoint.js';

/**
 * ITI-55 Cross Gateway Patient Discovery (ihe-xca-xcpd.md §4). Our own patient id among the subject's ids is
 * taken as it is; otherwise identifiers and demographics go through identity's scoring, which answers one
 * confident match or none: several plausible candidates are never a guess, they ask for more attributes. A patient
 * whose consent does not permit the purpose is answered exactly as one we do not hold (NF), and a failure while
 * answering is case 5 (AE, InternalError) with no data.
 */
export function patientDiscovery(ctx: IheContext): SoapTransaction {
  return {
    path: '/xcpd', transaction: 'ITI-55', surface: 'xcpd',
    action: 'urn:hl7-org:v3:PRPA_IN201305UV02:CrossGatewayPatientDiscovery',
    responseAction: 'urn:hl7-org:v3:PRPA_IN201306UV02:CrossGatewayPatientDiscovery',
    summary: 'ITI-55 Cross Gateway Patient Discovery (SOAP 1.2, SAML assertion)',
    async answer(call) {
      const context = { responseId: { root: ctx.config.homeCommunityId, extension: randomUUID() }, creationTime: hl7Timestamp(call.now), homeCommunityId: ctx.config.homeCommunityId };
      const parsed = parsePatientDiscoveryRequest(call.request.body);
      if (!parsed.ok) {
        // A query that cannot be read is the initiator's to fix: an HL7v3 application error naming each problem.
        const problems = parsed.issues.filter((i) => i.severity === 'fatal' || i.severity === 'error');
        await ctx.pipeline.refused(call.exchange, `refused: ${problems.map((i) => i.code).join(', ')}`.slice(0, 400));
        return { body: renderPatientDiscoveryRefusal(call.request.body, parsed.issues, context) };
      }
      const query = parsed.query;
      let ambiguous = false;
      let matchScore = 100;
      let outcome: DiscoveryOutcome;
      try {
        outcome = await ctx.pipeline.run(call.exchange, {
          async subjects(find) {
            const authority = `urn:oid:${ourPatientAuthority(ctx.config)}`;
            const ours = query.parameters.identifiers.filter((i) => i.system === authority);
            if (ours.length > 0) {
              const found = [...new Set((await Promise.all(ours.map((i) => find.byId(i.value)))).filter((id): id is string => id !== undefined))];
              return found.length === 1 ? found : [];
            }
            const match = await find.byDemographics(demographicsOf(query));
            ambiguous = match.outcome === 'ambiguous';
            if (match.outcome === 'match') matchScore = match.score;
            return match.outcome === 'match' ? [match.patientId] : [];
          },
          async respond(reader, verdict): Promise<DiscoveryOutcome> {
            const permitted = verdict.permitted[0];
            if (!permitted) {
              // A denied patient looks like an unknown one; only an ambiguity among patients nobody was decided for asks for more.
              const requested = verdict.denied.length === 0 && ambiguous ? requestedAttributes(query) : [];
              return requested.length > 0 ? { kind: 'ambiguous', requested } : { kind: 'no-match' };
            }
            const record = await reader.patient(permitted);
            if (!record) return { kind: 'no-match' };
            // The reader gave the patient without their BSN, as to every Carequality partner (requester.ts).
            return { kind: 'match', patients: [{ id: { root: ourPatientAuthority(ctx.config), extension: record.patient.id }, patient: record.patient, matchScore }] };
          },
        });
      } catch {
        outcome = { kind: 'error', code: 'InternalError' };
      }
      return { body: renderPatientDiscoveryResponse(query, outcome, context) };
    },
  };
}

/** The attributes that could settle an ambiguity, of those the query did not give (ihe-xca-xcpd.md §4). */
function requestedAttributes(query: PatientDiscoveryQuery): RequestedAttribute[] {
  const p = query.parameters;
  return [
    ...(p.gender ? [] : ['LivingSubjectAdministrativeGenderRequested' as const]),
    ...(p.addresses.length > 0 ? [] : ['PatientAddressRequested' as const]),
    ...(p.telecom.length > 0 ? [] : ['PatientTelecomRequested' as const]),
    ...(p.identifiers.length > 0 ? [] : ['SSNRequested' as const]),
  ];
}
