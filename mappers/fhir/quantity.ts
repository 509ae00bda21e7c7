import type { Element, Quantity as FhirQuantity } from 'fhir/r4.js';
import { CodeSystems, type Decimal, type Quantity, type ReferenceRange } from '../../canonical/index.js';

/**
 * Decimals. FHIR JSON writes a decimal as a JSON number "as written" (7.10 stays 7.10), but a JavaScript object
 * holds a binary number and JSON.stringify prints 7.1: the trailing zero, which carries the lab's precision, is
 * gone. So `value` holds the decimal's numeric value and, whenever printing that number would not give back the
 * written digits, the R4 core extension quantity-precision on `_value` states how many decimals were written, so a
 * receiver can restore "7.10". Limit: values beyond ~15 significant digits also lose digits in `value`
 * itself (the extension then only says how many there were); no clinical value we carry comes near that.
 */
const PRECISION = 'http://hl7.org/fhir/StructureDefinition/quantity-precision';

/** @types/fhir omits `_value` on Quantity, though FHIR JSON allows it on every primitive. */
export type PreciseQuantity = FhirQuantity & { _value?: Element };

export function decimalValue(written: Decimal): Pick<PreciseQuantity, 'value' | '_value'> {
  const value = Number(written);
  if (String(value) === written) return { value };
  const decimals = written.split('.')[1]?.length ?? 0;
  return { value, _value: { extension: [{ url: PRECISION, valueInteger: decimals }] } };
}

/** `unit` is a UCUM code when the sender gave one; `unitText` is what the sender wrote, shown in preference. */
function units(unit: string | undefined, unitText?: string): Pick<FhirQuantity, 'unit' | 'system' | 'code'> {
  if (!unit) return unitText ? { unit: unitText } : {};
  return { unit: unitText ?? unit, system: CodeSystems.ucum.uri, code: unit };
}

export function renderQuantity(quantity: Quantity): PreciseQuantity {
  return {
    ...decimalValue(quantity.value),
    ...(quantity.comparator ? { comparator: quantity.comparator } : {}),
    ...units(quantity.unit, quantity.unitText),
  };
}

export function renderReferenceRange(range: ReferenceRange): { low?: PreciseQuantity; high?: PreciseQuantity; text?: string } {
  const limit = (value: Decimal): PreciseQuantity => ({ ...decimalValue(value), ...units(range.unit) });
  return {
    ...(range.low !== undefined ? { low: limit(range.low) } : {}),
    ...(range.high !== undefined ? { high: limit(range.high) } : {}),
    ...(range.text ? { text: range.text } : {}),
  };
}
