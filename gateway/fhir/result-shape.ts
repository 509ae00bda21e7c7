import type { Subset } from '../../mappers/fhir/subset.js';
import { FhirError } from './outcome.js';
import { single, type SearchParams } from './params.js';

/** How a result is shaped rather than filtered: `_summary`, `_elements`, `_total` (search.html#summary, #total). */
export interface ResultShape {
  readonly subset?: Subset;
  readonly answer: 'page' | 'count';
  readonly total: boolean;
}

const SUMMARIES: Readonly<Record<string, Subset | 'count' | undefined>> = {
  true: { kind: 'summary' }, text: { kind: 'text' }, data: { kind: 'data' }, count: 'count', false: undefined,
};

export function resultShape(params: SearchParams): ResultShape {
  const summary = single(params, '_summary');
  const elements = single(params, '_elements');
  const total = single(params, '_total');
  if (summary !== undefined && !Object.hasOwn(SUMMARIES, summary)) throw new FhirError(400, 'invalid', '_summary is true, text, data, count or false', '_summary');
  if (total !== undefined && !['none', 'estimate', 'accurate'].includes(total)) throw new FhirError(400, 'invalid', '_total is none, estimate or accurate', '_total');
  const summarised = summary === undefined ? undefined : SUMMARIES[summary];
  if (summarised !== undefined && elements !== undefined) throw new FhirError(400, 'invalid', 'give _summary or _elements, not both', '_elements');
  const names = elements?.split(',').map((n) => n.trim()).filter((n) => n.length > 0);
  if (names?.some((n) => !/^[A-Za-z][A-Za-z0-9]*(\[x\])?$/.test(n))) throw new FhirError(400, 'invalid', '_elements lists top-level element names, separated by commas', '_elements');
  return {
    ...(summarised && summarised !== 'count' ? { subset: summarised } : names?.length ? { subset: { kind: 'elements' as const, names } } : {}),
    answer: summarised === 'count' ? 'count' : 'page',
    total: total === 'accurate' || total === 'estimate',
  };
}
