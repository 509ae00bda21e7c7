import type { Config } from '../config.js';

/**
 * The assigning authority of the patient ids we publish (XCPD subject ids, the XDS patient id of our documents):
 * our home community id. Partners learn a patient's id from discovery and send it back in queries.
 */
export function ourPatientAuthority(config: Pick<Config, 'homeCommunityId'>): string {
  return config.homeCommunityId;
}

/** Our patient id as an HL7 CX, the form XDS metadata and queries carry. */
export function patientCx(config: Pick<Config, 'homeCommunityId'>, patientId: string): string {
  return `${patientId}^^^&${ourPatientAuthority(config)}&ISO`;
}
