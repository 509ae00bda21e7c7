export {
  ERROR_SEVERITY,
  registryError,
  RESPONSE_STATUS,
  responseStatus,
  XDS_ERROR_CODES,
  type ErrorSeverity,
  type RegistryError,
  type ResponseStatus,
  type XdsErrorCode,
} from './registry-error.js';
export {
  needsHome,
  STORED_QUERIES,
  storedQueryNamed,
  type Cardinality,
  type ParameterSpec,
  type QueryReturnType,
  type StoredQuery,
  type StoredQueryName,
  type StoredQueryOf,
  type StoredQuerySpec,
  type ValueKind,
} from './stored-queries.js';
export type { PatientId, QueryCode, QueryTime } from './slot-values.js';
export {
  ASSOCIATION_TYPES,
  AVAILABILITY_STATUS,
  DOCUMENT_ENTRY_TYPE,
  type AssociationType,
  type AvailabilityStatus,
  type DocumentEntryType,
} from './vocabulary.js';
export { parseAdhocQueryRequest, type AdhocQueryOptions, type AdhocQueryParse } from './parse-adhoc-query.js';
export {
  renderAdhocQueryResponse,
  type AdhocQueryResponseInput,
  type AssociationInput,
  type DocumentEntryInput,
  type FolderInput,
  type SubmissionSetInput,
} from './render-query-response.js';
export {
  checkDocumentRequest,
  DEFAULT_MAX_DOCUMENT_REQUESTS,
  parseRetrieveDocumentSetRequest,
  renderRetrieveDocumentSetResponse,
  type DocumentRequest,
  type RetrievedDocument,
  type RetrieveRequestOptions,
  type RetrieveRequestParse,
  type RetrieveResponseInput,
} from './retrieve.js';
