export { createAuditAppender, type AuditAppender } from './appender.js';
export { verifyChain, checkTail, rowProblem, linkProblem, chainPages, PAGE as VERIFY_PAGE, type VerifyResult } from './verify.js';
export { signCheckpoint, loadSigningKey, newSigningKey, keyIdOf, checkpointMessage, AuditChainBroken } from './checkpoint.js';
export { canonicalJson, linkHash, entryDigest, pendingOf, columnsOf, recordOf, GENESIS_HASH } from './chain.js';
