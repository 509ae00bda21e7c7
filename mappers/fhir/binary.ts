import type { Binary } from 'fhir/r4.js';
import type { Document } from '../../canonical/index.js';
import { meta, reference, type RenderContext } from './datatypes.js';

/**
 * A document's content as a FHIR R4 Binary, under the document's id (the URL its DocumentReference points at).
 * securityContext names the patient, so the gateway applies that patient's consent to the raw bytes as well.
 */
export function renderBinary(
  document: Pick<Document, 'id' | 'patientId' | 'mimeType'>, content: Uint8Array, context: RenderContext,
): Binary {
  return {
    resourceType: 'Binary',
    id: document.id,
    meta: meta(context),
    contentType: document.mimeType,
    securityContext: reference('Patient', document.patientId),
    data: Buffer.from(content).toString('base64'),
  };
}
