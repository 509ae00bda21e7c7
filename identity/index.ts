export * from './match.js';
export { findByIdentifier, findById, linkIdentifier, findCandidates, duplicateReport, merge, type CandidateSearch, type DuplicateReportEntry } from './identity.js';
export { resolveSubject, identifiersHeld, identifierKey, bsnOfSubject, type Resolution } from './resolve.js';
export { duplicateCandidates, type DuplicateGroupReport, type DuplicatePatient } from './duplicates.js';
