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
    const named = BY_NAME[formatParam.split(';')[0]!.trim().toLowerCase()];
    if (!named) throw new FhirError(406, 'not-supported', `_format ${formatParam} is not served: use json or xml`, '_format');
    return named;
  }
  const accept = req.get('accept');
  if (!accept) return 'json';
  for (const range of accept.split(',')) {
    const [type, ...parameters] = range.split(';').map((p) => p.trim().toLowerCase());
    const version = parameters.find((p) => p.startsWith('fhirversion='));
    if (version && !/^fhirversion="?4\.0(\.\d+)?"?$/.test(version)) continue;
    if (type === '*/*' || type === 'application/*') return 'json';
    const named = BY_NAME[type ?? ''];
    if (named) return named;
  }
  throw new FhirError(406, 'not-supported', 'none of the Accept types is served: use application/fhir+json or application/fhir+xml', 'Accept');
}

/** Sends a resource in the negotiated format; answers to partners are never cached on the way. */
export function sendResource(res: Response, status: number, resource: Resource, format: Format): void {
  res.status(status).set('Cache-Control', 'no-store');
  if (format === 'xml') res.type('application/fhir+xml; charset=utf-8').send(renderXml(resource));
  else res.type('application/fhir+json; charset=utf-8').send(JSON.stringify(resource));
}
