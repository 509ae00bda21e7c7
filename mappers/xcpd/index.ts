export { ERROR_CODES, OID, REQUESTED_ATTRIBUTES, type DiscoveryErrorCode, type RequestedAttribute } from './codes.js';
export type { InstanceIdentifier, QueryName } from './datatypes.js';
export {
  demographicsOf,
  parsePatientDiscoveryRequest,
  type DiscoveryParameters,
  type MatchDemographics,
  type PatientDiscoveryParse,
  type PatientDiscoveryQuery,
} from './parse-patient-discovery.js';
export {
  renderPatientDiscoveryRefusal,
  renderPatientDiscoveryResponse,
  type DiscoveryOutcome,
  type MatchedPatient,
  type ResponseContext,
  type ResponseQuery,
} from './render-patient-discovery-response.js';
