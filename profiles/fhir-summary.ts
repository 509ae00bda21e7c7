/**
 * Which top-level elements of the resource types we serve are in the R4 summary (`isSummary`), are modifiers,
 * or are required: what `_summary` and `_elements` keep (search.html#summary). Read from the checked-in
 * `fhir-summary.json`, which `fhir-summary.generate.ts` derives from the R4 definitions.
 */
import { z } from 'zod';
import data from './fhir-summary.json' with { type: 'json' };

export interface SummaryElement {
  /** The element's name; for a choice (`value[x]`) the stem, which JSON extends with the type (`valueQuantity`). */
  readonly name: string;
  readonly choice: boolean;
  readonly summary: boolean;
  readonly modifier: boolean;
  readonly required: boolean;
}

const Summary = z.object({
  fhirVersion: z.literal('4.0.1'),
  elements: z.record(z.string(), z.array(z.tuple([z.string(), z.string().regex(/^S?M?R?$/)]))),
});

const summary = Summary.parse(data);

const byType = new Map<string, readonly SummaryElement[]>(
  Object.entries(summary.elements).map(([type, elements]) => [
    type,
    elements.map(([name, flags]) => ({
      name: name.endsWith('[x]') ? name.slice(0, -'[x]'.length) : name,
      choice: name.endsWith('[x]'),
      summary: flags.includes('S'),
      modifier: flags.includes('M'),
      required: flags.includes('R'),
    })),
  ]),
);

/** The top-level elements of a served resource type in definition order, or undefined for a type we do not serve. */
export function summaryElements(type: string): readonly SummaryElement[] | undefined {
  return byType.get(type);
}
