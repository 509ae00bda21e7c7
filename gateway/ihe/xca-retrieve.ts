import {
  checkDocumentRequest, parseRetrieveDocumentSetRequest, registryError, renderRetrieveDocumentSetResponse,
  type DocumentRequest, type RegistryError, type RetrievedDocument,
} from '../../mappers/xds/index.js';
import type { MtomPart } from '../../mappers/soap/index.js';
import type { AuditDetail } from '../outbound/pipeline.js';
import type { IheContext } from './context.js';
import type { SoapTransaction } from './soap-endpoint.js';

/**
 * ITI-39 Cross Gateway Retrieve (ihe-xca-xcpd.md §3). Each DocumentRequest is checked on its own: another
 * community or repository, a document we do not hold, or one whose patient's consent does not permit the purpose,
 * each gets its own RegistryError (the last two the same XDSDocumentUniqueIdError, so a refusal looks like an
 * unknown document); the rest are returned, as MTOM parts when the request came as MTOM, else inline.
 */
export function crossGatewayRetrieve(ctx: IheContext): SoapTransaction {
  return {
    path: '/xca/retrieve', transaction: 'ITI-39', surface: 'xca',
    action: 'urn:ihe:iti:2007:CrossGatewayRetrieve', responseAction: 'urn:ihe:iti:2007:CrossGatewayRetrieveResponse',
    summary: 'ITI-39 Cross Gateway Retrieve (SOAP 1.2 or MTOM, SAML assertion)',
    async answer(call) {
      const parsed = parseRetrieveDocumentSetRequest(call.request.body);
      if (!parsed.ok) {
        await ctx.pipeline.refused(call.exchange, parsed.errors.map((e) => `${e.errorCode}: ${e.codeContext}`).join('; ').slice(0, 400));
        return { body: renderRetrieveDocumentSetResponse({ errors: parsed.errors, documents: [] }) };
      }
      const errors: RegistryError[] = [];
      const ours: DocumentRequest[] = [];
      let retrieved: string[] = [];
      for (const request of parsed.requests) {
        const wrong = checkDocumentRequest(request, { homeCommunityId: ctx.config.homeCommunityId, repositoryUniqueId: ctx.config.repositoryUniqueId });
        if (wrong) errors.push(wrong);
        else ours.push(request);
      }
      try {
        const found = await ctx.pipeline.run(call.exchange, {
          async subjects(find) {
            const owners = await find.documentOwners(ours.map((r) => r.documentUniqueId));
            return owners.filter((o) => ours.some((r) => r.documentUniqueId === o.uniqueId)).map((o) => o.patientId);
          },
          async respond(reader) {
            const documents: { retrieved: RetrievedDocument; part?: MtomPart }[] = [];
            for (const [index, request] of ours.entries()) {
              const document = await reader.documentByUniqueId(request.documentUniqueId);
              const content = document ? await reader.documentContent(document) : undefined;
              if (!document || !content) {
                errors.push(registryError('XDSDocumentUniqueIdError', request.documentUniqueId));
                continue;
              }
              const contentId = `doc${index + 1}.${document.id}@crossgate`;
              documents.push({
                retrieved: {
                  homeCommunityId: ctx.config.homeCommunityId, repositoryUniqueId: document.repositoryUniqueId, documentUniqueId: document.uniqueId,
                  mimeType: document.mimeType, content: call.mtom ? { xopCid: contentId } : { inline: content },
                },
                ...(call.mtom ? { part: { contentId, contentType: document.mimeType, bytes: content } } : {}),
              });
            }
            retrieved = documents.map((d) => d.retrieved.documentUniqueId);
            return documents;
          },
          // The answer's RegistryErrors name the documents it could not return; the trail keeps them with their code,
          // and the uniqueIds of those it did return, as the partner knows them (`returned` names our records).
          detail: (): AuditDetail => ({
            ...(errors.length > 0 ? { notReturned: errors.slice(0, 50).map((e) => `${e.errorCode}: ${e.codeContext}`.slice(0, 300)) } : {}),
            ...(retrieved.length > 0 ? { retrieved: retrieved.slice(0, 50).map((uniqueId) => uniqueId.slice(0, 300)) } : {}),
          }),
          failed: () => retrieved.length === 0 && errors.length > 0,
        });
        return {
          body: renderRetrieveDocumentSetResponse({ errors, documents: found.map((d) => d.retrieved) }),
          parts: found.flatMap((d) => (d.part ? [d.part] : [])),
        };
      } catch {
        return { body: renderRetrieveDocumentSetResponse({ errors: [registryError('XDSRepositoryError', `internal error; request id ${call.exchange.requestId}`)], documents: [] }) };
      }
    },
  };
}
