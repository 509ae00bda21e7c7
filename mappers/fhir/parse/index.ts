export { parseBinary, type BinaryContent } from './parse-binary.js';
export { parseDocumentReference, type DocumentDraft, type DocumentReferenceParts } from './parse-document-reference.js';
export { parseImportBundle, type ImportBundle, type ImportedBinary, type ImportedDocument, type ImportedPatient, type SubjectLink } from './parse-import-bundle.js';
export { parsePatient, type PatientDraft } from './parse-patient.js';
