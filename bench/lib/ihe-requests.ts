/**
 * Requests of bench/ihe.ts as an initiating gateway sends them: SOAP 1.2 with WS-Addressing, a wsu:Timestamp and a
 * SAML assertion signed by the test PKI (test/support/saml.ts, xml-crypto), the Body written by test/support/ihe.ts.
 * Signing is the client's cost, not the server's, so the assertions are signed before the timed runs; each request
 * is then put together from a signed envelope with a fresh wsa:MessageID (the gateway refuses a replayed one) and
 * its own Body, which is string concatenation. The gateway keeps nothing per assertion (only the certificate
 * chain's verdict, per certificate), so an assertion carried by many envelopes costs it the same full check each
 * time as a fresh one would.
 */
import { randomUUID } from 'node:crypto';
import { ACTIONS, mtomRequest, PATHS } from '../../test/support/ihe.js';
import { signedAssertion, signedEnvelope } from '../../test/support/saml.js';
import type { LoadRequest } from './fhir-load.js';

/** Stand-ins for the per-request parts; neither can occur in a signed envelope otherwise. */
const MESSAGE_ID = '@@message-id@@';
const BODY = '@@body@@';

export type Transaction = 'query' | 'retrieve';

/** The HTTP requests of one transaction, numbered like the load client's requests. */
export interface RequestFactory {
  /** Request `i` with the given Body content (XML text) and a MessageID never sent before. */
  request(i: number, body: string): LoadRequest;
}

export interface SigningOptions {
  /** The gateway's configured public address: the assertion's Audience and wsa:To are its endpoint there. */
  readonly publicUrl: string;
  /** Distinct signed assertions to take turns; each is carried by many envelopes. */
  readonly assertions: number;
  /** How long the assertions and timestamps stay valid: the whole run must fit. */
  readonly validMs: number;
  /** ITI-39 as MTOM/XOP (multipart/related), as initiators send it; ITI-38 is always plain SOAP. */
  readonly mtom: boolean;
}

/** Signs `options.assertions` assertions for `transaction` and returns the factory of its requests. */
export function requestFactory(transaction: Transaction, options: SigningOptions): RequestFactory {
  const path = PATHS[transaction];
  const endpoint = `${options.publicUrl}${path}`;
  const now = new Date();
  const until = new Date(now.getTime() + options.validMs);
  const templates = Array.from({ length: options.assertions }, () => {
    const assertion = signedAssertion({ now, audience: endpoint, notOnOrAfter: until });
    const envelope = signedEnvelope({
      action: ACTIONS[transaction], to: endpoint, assertion, messageId: MESSAGE_ID, body: BODY, timestamp: { created: now, expires: until },
    });
    // One MIME boundary per template: the gateway reads it from the Content-Type whatever it is.
    const framed = options.mtom ? mtomRequest(envelope) : { contentType: 'application/soap+xml; charset=UTF-8', body: Buffer.from(envelope) };
    const [head, middle, tail, ...rest] = framed.body.toString('utf8').split(new RegExp(`${MESSAGE_ID}|${BODY}`));
    if (tail === undefined || rest.length > 0) throw new Error('the signed envelope does not hold each stand-in exactly once');
    return { headers: { 'content-type': framed.contentType }, head: head!, middle: middle!, tail };
  });
  return {
    request(i, body) {
      const t = templates[i % templates.length]!;
      return { method: 'POST', path, headers: t.headers, body: `${t.head}urn:uuid:${randomUUID()}${t.middle}${body}${t.tail}` };
    },
  };
}
