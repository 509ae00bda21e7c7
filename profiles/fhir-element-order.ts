/**
 * The element order and element types of every FHIR R4 data type and resource, as the XML form needs them:
 * XML order is the StructureDefinition's, and an element's type decides how it is written (attribute,
 * primitive, complex, nested resource, XHTML). Read from the checked-in `fhir-element-order.json`, which
 * `fhir-element-order.generate.ts` derives from the R4 definitions.
 */
import { z } from 'zod';
import data from './fhir-element-order.json' with { type: 'json' };

/** The type of `contained`, `Bundle.entry.resource` and `Parameters.parameter.resource`: any resource. */
export const ANY_RESOURCE = 'Resource';

export interface FhirElement {
  /** The element's name; for a choice the stem, which JSON and XML extend with the type (`value` + `Quantity`). */
  readonly name: string;
  readonly choice: boolean;
  /** Type names, or for backbone elements and content references the path of their own entry. */
  readonly types: readonly string[];
  /** `xmlAttr`: written as an attribute (`id` of elements, `Extension.url`, primitive `value`). */
  readonly representation: 'element' | 'xmlAttr' | 'xhtml';
}

const Entry = z.union([
  z.tuple([z.string(), z.union([z.string(), z.array(z.string())])]),
  z.tuple([z.string(), z.union([z.string(), z.array(z.string())]), z.enum(['xmlAttr', 'xhtml'])]),
]);

const ElementOrder = z.object({
  fhirVersion: z.literal('4.0.1'),
  primitives: z.array(z.string()),
  resources: z.array(z.string()),
  types: z.record(z.string(), z.array(Entry)),
});

const order = ElementOrder.parse(data);
const primitives = new Set(order.primitives);
const resources = new Set(order.resources);
const elementsByType = new Map<string, readonly FhirElement[]>();

function toElement([name, type, representation]: z.infer<typeof Entry>): FhirElement {
  const choice = name.endsWith('[x]');
  return {
    name: choice ? name.slice(0, -'[x]'.length) : name,
    choice,
    types: typeof type === 'string' ? [type] : type,
    representation: representation ?? 'element',
  };
}

/** The elements of a type or backbone path in definition order, or undefined for a name R4 does not define. */
export function fhirElements(typeOrPath: string): readonly FhirElement[] | undefined {
  const cached = elementsByType.get(typeOrPath);
  if (cached) return cached;
  const entries = Object.hasOwn(order.types, typeOrPath) ? order.types[typeOrPath] : undefined;
  if (!entries) return undefined;
  const elements = entries.map(toElement);
  elementsByType.set(typeOrPath, elements);
  return elements;
}

export function isFhirPrimitive(type: string): boolean {
  return primitives.has(type);
}

export function isFhirResourceType(type: string): boolean {
  return resources.has(type);
}
