import { z } from 'zod';
import type { DeclaredRoute } from '../http/routes.js';

/** The OpenAPI 3.1 document of the declared JSON API, built from the same table the routes are mounted from. */
export function openApiDocument(routes: readonly DeclaredRoute[], prefixes: readonly string[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes.filter((x) => prefixes.some((p) => x.path.startsWith(p)))) {
    const path = r.path.replace(/:([A-Za-z]+)/g, '{$1}');
    const parameters = [...r.path.matchAll(/:([A-Za-z]+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }));
    (paths[path] ??= {})[r.method] = {
      summary: r.summary,
      'x-crossgate-access': r.access,
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: z.toJSONSchema(r.body, { io: 'input', unrepresentable: 'any' }) } } } } : {}),
      responses: {
        '2XX': { description: 'done' },
        '400': { description: 'invalid request: `issues` names every field at fault' },
        '401': { description: 'not signed in, or credentials rejected' },
        '403': { description: 'not allowed for this role or connection, or a missing CSRF token' },
        '404': { description: 'not found' },
        '409': { description: 'conflicts with the current state' },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Crossgate administration API', version: '1' },
    components: {
      securitySchemes: {
        session: { type: 'apiKey', in: 'cookie', name: 'cg_session', description: 'Sign in at POST /auth/login; send X-CSRF-Token on changes' },
      },
    },
    security: [{ session: [] }],
    paths,
  };
}
