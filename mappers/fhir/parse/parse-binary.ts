import { Document, type Issue } from '../../../canonical/index.js';
import { decodeBase64 } from './datatypes.js';
import { FhirBinary } from './fhir-shapes.js';
import { at, error, parseShape, resourceAt } from './issues.js';

/** A Binary's bytes, which become the content of the DocumentReference that points at it. */
export interface BinaryContent {
  readonly id?: string;
  readonly contentType: string;
  readonly bytes: Uint8Array;
}

/** A FHIR R4 Binary with its bytes inline; the import stores what the file holds and fetches nothing. */
export function parseBinary(resource: unknown, path: string): { binary?: BinaryContent; issues: Issue[] } {
  const where = resourceAt(path, 'Binary');
  const shape = parseShape(FhirBinary, resource, where);
  if (!shape.value) return { issues: shape.issues };
  const raw = shape.value;
  const issues: Issue[] = [];
  if (!Document.shape.mimeType.safeParse(raw.contentType).success) issues.push(error('value', at(where, 'contentType'), 'must be a MIME type'));
  if (raw.data === undefined) {
    issues.push(error('required', at(where, 'data'), 'is required: the import stores the bytes the file holds and fetches nothing'));
    return { issues };
  }
  const bytes = decodeBase64(raw.data, at(where, 'data'));
  issues.push(...bytes.issues);
  if (issues.length > 0 || !bytes.value) return { issues };
  return { binary: { ...(raw.id ? { id: raw.id } : {}), contentType: raw.contentType, bytes: bytes.value }, issues: [] };
}
