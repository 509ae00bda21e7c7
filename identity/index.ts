export * from './match.js';
export { findByIdentifier, findById, linkIdentifier, findCandidates, duplicateReport, merge, type CandidateSearch, type DuplicateReportEntry } from './identity.js';
