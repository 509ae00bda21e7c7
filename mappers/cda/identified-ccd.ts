import type { DocumentInput, Issue } from '../../canonical/index.js';
import { documentEntryOf, type CcdEntryContext } from './document-entry.js';
import { DOCUMENT_ROOT, uniqueIdOf } from './ids.js';
import type { CcdInput } from './input.js';
import { parseCcdInput, renderDocument } from './render-ccd.js';

export type IdentifiedCcd =
  | {
      readonly ok: true;
      readonly uniqueId: string;
      /** The document's bytes (UTF-8), which the entry's hash and size describe. */
      readonly bytes: Buffer;
      readonly entry: DocumentInput;
      readonly issues: Issue[];
    }
  | { readonly ok: false; readonly issues: Issue[] };

/**
 * A CCD as a registry publishes it: named by its own bytes, written, and described by its DocumentEntry. The same
 * as ccdUniqueId, then renderCcd and ccdDocumentEntry with that id, but the input is checked once and the document
 * written once: its id is filled into the bytes the id was taken from, which is what writing it again with the id
 * gives. The input's documentId is not used.
 */
export function identifiedCcd(input: CcdInput, context: CcdEntryContext): IdentifiedCcd {
  const parsed = parseCcdInput(input);
  if (!parsed.ok) return { ok: false, issues: parsed.issues };
  const { serialized, issues } = renderDocument(parsed.data, DOCUMENT_ROOT);
  const uniqueId = uniqueIdOf(input.patientId, serialized.xml);
  const bytes = Buffer.from(serialized.fill(new Map([[DOCUMENT_ROOT, uniqueId]])), 'utf8');
  const entry = documentEntryOf({ ...parsed.data, documentId: { root: uniqueId } }, bytes, context);
  return { ok: true, uniqueId, bytes, entry, issues };
}
