import type { Request, Response } from 'express';
import type { Resource } from 'fhir/r4.js';
import { renderXml } from '../../mappers/fhir/xml.js';
import { FhirError } from './outcome.js';

export type Format = 'json' | 'xml';

const BY_NAME: Readonly<Record<string, Format>> = {
  json: 'json', 'application/fhir+json': 'json', 'application/json': 'json', 'application/json+fhir': 'json',
  xml: 'xml', 'application/fhir+xml': 'xml', 'application/xml': 'xml', 'text/xml': 'xml', 'application/xml+fhir': 'xml',
};

/**
 * The format asked for: `_format` wins over Accept (http.html#mime-type); a `fhirVersion` other than 4.0 is
 * refused, as is an Accept we cannot serve. Without either, JSON.
 */
export function negotiate(req: Request, formatParam: string | undefined): Format {
  if (formatParam !== undefined) {
    // A `+` written unencoded in the query arrives as a space (application/fhir+xml as application/fhir xml).
    const named = BY_NAME[formatParam.split(';')[0]!.trim().toLowerCase().replace(/^(application\/(?:fhir|json|xml)) (fhir|json|xml)$/, '$1+$2')];
    if (!named) throw new FhirError(406, 'not-supported', `_format ${formatParam} is not served: use json or xml`, '_format');
    return named;
  }
  const accept = req.get('accept');
  if (!accept) return 'json';
  // The served range of highest quality wins (RFC 9110 §12.5.1); among equals, the one listed first. q=0 refuses.
  let best: { format: Format; weight: number } | undefined;
  for (const range of accept.split(',')) {
    const [type, ...parameters] = range.split(';').map((p) => p.trim().toLowerCase());
    const version = parameters.find((p) => p.startsWith('fhirversion='));
    if (version && !/^fhirversion="?4\.0(\.\d+)?"?$/.test(version)) continue;
    const format = type === '*/*' || type === 'application/*' ? 'json' : BY_NAME[type ?? ''];
    const q = parameters.find((p) => p.startsWith('q='));
    const weight = q === undefined ? 1 : Number(q.slice(2));
    if (format && Number.isFinite(weight) && weight > 0 && (!best || weight > best.weight)) best = { format, weight };
  }
  if (best) return best.format;
  throw new FhirError(406, 'not-supported', 'none of the Accept types is served: use application/fhir+json or application/fhir+xml', 'Accept');
}

/** Sends a resource in the negotiated format; answers to partners are never cached on the way. */
export function sendResource(res: Response, status: number, resource: Resource, format: Format): void {
  res.status(status).set('Cache-Control', 'no-store');
  if (format === 'xml') res.type('application/fhir+xml; charset=utf-8').send(renderXml(resource));
  else res.type('application/fhir+json; charset=utf-8').send(JSON.stringify(resource));
}
