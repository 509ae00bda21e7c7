import type { Coding, Resource } from 'fhir/r4.js';
import { summaryElements, type SummaryElement } from '../../profiles/fhir-summary.js';

/**
 * `_summary` and `_elements` (search.html#summary, #elements): a resource cut down to some of its top-level
 * elements and tagged SUBSETTED, so no client mistakes it for the whole record. `id` and `meta` always stay, and
 * so do required and modifier elements: a subset without `status` could be read as something it is not. Pure.
 */
export type Subset =
  /** `_summary=true`: the elements R4 marks isSummary. */
  | { readonly kind: 'summary' }
  /** `_summary=text`: text, id, meta and the required elements. */
  | { readonly kind: 'text' }
  /** `_summary=data`: everything but the narrative. */
  | { readonly kind: 'data' }
  /** `_elements`: the named top-level elements (a choice by its stem, `value` or `value[x]`, or one type, `valueQuantity`). */
  | { readonly kind: 'elements'; readonly names: readonly string[] };

export const SUBSETTED: Coding = {
  system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue',
  code: 'SUBSETTED',
  display: 'As requested, resource has been subsetted',
};

const ALWAYS = new Set(['id', 'meta']);

/** The element a JSON key belongs to: `valueQuantity` and `_valueString` to the choice `value`, `_status` to `status`. */
function elementOf(key: string, elements: readonly SummaryElement[]): SummaryElement | undefined {
  const name = key.startsWith('_') ? key.slice(1) : key;
  return elements.find((e) => e.name === name || (e.choice && name.startsWith(e.name) && /^[A-Z]/.test(name.slice(e.name.length))));
}

function keeps(subset: Subset, element: SummaryElement, key: string): boolean {
  if (ALWAYS.has(element.name) || element.required || element.modifier) return true;
  switch (subset.kind) {
    case 'summary': return element.summary;
    case 'text': return element.name === 'text';
    case 'data': return element.name !== 'text';
    case 'elements': {
      const bare = key.startsWith('_') ? key.slice(1) : key;
      return subset.names.some((n) => n === element.name || n === `${element.name}[x]` || (element.choice && n === bare));
    }
  }
}

/**
 * The subset of a resource; a type whose definition we do not hold is returned whole and untagged, because
 * dropping elements we cannot classify could drop required ones.
 */
export function subsetResource<R extends Resource>(resource: R, subset: Subset): R {
  const elements = summaryElements(resource.resourceType);
  if (!elements) return resource;
  const kept: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(resource)) {
    const element = elementOf(key, elements);
    if (key === 'resourceType' || (element && keeps(subset, element, key))) kept[key] = value;
  }
  const meta = resource.meta ?? {};
  const tags = (meta.tag ?? []).filter((t) => !(t.system === SUBSETTED.system && t.code === SUBSETTED.code));
  kept.meta = { ...meta, tag: [...tags, SUBSETTED] };
  return kept as R;
}
