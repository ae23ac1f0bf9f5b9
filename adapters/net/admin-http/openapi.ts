/**
 * The OpenAPI 3.1 description of the admin API, generated from the route table (API routes only):
 * path parameters and query parameters from the params/query schemas, the request body and the
 * success response from theirs (z.toJSONSchema, JSON Schema 2020-12 as OpenAPI 3.1 uses), the
 * refusals every route can answer, and the two ways to authenticate. A schema zod cannot express
 * becomes `{}` rather than failing the document.
 */
import { z } from 'zod';
import type { AnyRoute, ApiRoute } from './route.ts';

type Json = Record<string, unknown>;

const toSchema = (schema: z.ZodType, io: 'input' | 'output'): Json =>
  z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Json;

function parameters(schema: z.ZodType | undefined, where: 'path' | 'query'): Json[] {
  if (!schema) return [];
  const json = toSchema(schema, 'input');
  const props = (json.properties ?? {}) as Record<string, Json>;
  const required = new Set((json.required ?? []) as string[]);
  return Object.entries(props).map(([name, s]) => ({
    name,
    in: where,
    required: where === 'path' || required.has(name),
    ...(typeof s.description === 'string' ? { description: s.description } : {}),
    schema: s,
  }));
}

const errorRef = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

function operation(route: ApiRoute): Json {
  const isPublic = route.access === 'public';
  const status = String(route.status ?? 200);
  const responses: Json = {
    [status]: {
      description: 'success',
      ...(route.response
        ? { content: { 'application/json': { schema: toSchema(route.response, 'output') } } }
        : {}),
    },
    '400': errorRef('malformed input; `field` names it'),
    ...(isPublic
      ? {}
      : { '401': errorRef('not signed in'), '403': errorRef('role, domain scope or CSRF token') }),
    '404': errorRef('no such object'),
  };
  if (route.method !== 'GET') responses['409'] = errorRef('the object is in a state that refuses the change');
  const who =
    route.access === 'cluster'
      ? 'cluster administrators'
      : typeof route.access === 'object'
        ? 'domainParam' in route.access
          ? `administrators of the domain in \`${route.access.domainParam}\``
          : `administrators of the domain of the address in \`${route.access.addressParam}\``
        : route.access === 'any'
          ? 'any administrator'
          : 'anyone';
  return {
    summary: route.summary,
    description: `Who may call it: ${who}.${route.audit ? ` Audited as \`${route.audit.action}\`.` : ''}`,
    operationId: `${route.method.toLowerCase()}${route.path.replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string) => (c ?? '').toUpperCase())}`,
    ...(isPublic ? { security: [] } : {}),
    parameters: [...parameters(route.params, 'path'), ...parameters(route.query, 'query')],
    ...(route.body
      ? {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: toSchema(route.body, 'input') } },
          },
        }
      : {}),
    responses,
  };
}

export function openApiDocument(routes: readonly AnyRoute[], version: string): Json {
  const paths: Record<string, Json> = {};
  for (const route of routes) {
    if (route.kind !== 'api') continue;
    const path = route.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    paths[path] = { ...(paths[path] ?? {}), [route.method.toLowerCase()]: operation(route) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Strato admin API',
      version,
      description:
        'JSON over HTTPS. Sign in with POST /api/v1/session (cookie session; unsafe methods then need the ' +
        'X-CSRF-Token header with the csrfToken it answered) or send an API token as Authorization: Bearer.',
    },
    security: [{ session: [] }, { token: [] }],
    paths,
    components: {
      securitySchemes: {
        session: { type: 'apiKey', in: 'cookie', name: 'strato_session' },
        token: { type: 'http', scheme: 'bearer' },
      },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: { error: { type: 'string' }, field: { type: 'string' } },
        },
      },
    },
  };
}
