import { parseCcdInput, renderDocument } from './render-ccd.js';
import type { CcdInput } from './input.js';
import { derivedUuid, derivedUuidBytes } from './uuid.js';
import type { Slot } from './xml-writer.js';

/**
 * The document's XDS uniqueId: `2.25.` and the 128 bits of a UUID (ITU-T X.667) taken from SHA-256 over the
 * patient's published id and the document exactly as it would be written, with a fixed stand-in where its own id
 * goes. An XDS uniqueId names one byte sequence (its hash and size are metadata of that id), so the id follows the
 * bytes: the same data gives the same id on every query and retrieve, and anything that changes the document,
 * a value, a record, the renderer itself, gives a new one.
 */
export function ccdUniqueId(input: CcdInput): string {
  const parsed = parseCcdInput(input);
  // Input that renders no document (renderCcd reports why) has no content to name; the id is then the patient's alone.
  const content = parsed.ok ? renderDocument(parsed.data, DOCUMENT_ROOT).serialized.xml : '';
  return uniqueIdOf(input.patientId, content);
}

/** Where the document's own id goes, written as a fixed stand-in in the bytes its id is taken from. */
export const DOCUMENT_ROOT: Slot = { standIn: '2.25.0' };

/** The uniqueId of a document whose bytes, with DOCUMENT_ROOT's stand-in for its id, are `content`. */
export function uniqueIdOf(patientId: { readonly root: string; readonly extension: string }, content: string): string {
  const bytes = derivedUuidBytes('crossgate:ccd:unique-id', patientId.root, patientId.extension, content);
  return `2.25.${BigInt(`0x${bytes.toString('hex')}`).toString(10)}`;
}

/** The registry's entryUUID of the DocumentEntry for a uniqueId: derived, so every retrieve names the same entry. */
export function ccdEntryUuid(uniqueId: string): string {
  return `urn:uuid:${derivedUuid('crossgate:ccd:entry-uuid', uniqueId)}`;
}

/** The canonical Document record's id for a uniqueId, derived for the same reason. */
export function ccdDocumentRecordId(uniqueId: string): string {
  return derivedUuid('crossgate:ccd:document-id', uniqueId);
}
