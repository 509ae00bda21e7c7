export { renderCcd, type CcdResult } from './render-ccd.js';
export { CcdInput, CcdOrganization, type CcdData } from './input.js';
export { ccdUniqueId, ccdEntryUuid, ccdDocumentRecordId } from './ids.js';
export { ccdDocumentEntry, type CcdEntryContext } from './document-entry.js';
export { identifiedCcd, type IdentifiedCcd } from './identified-ccd.js';
