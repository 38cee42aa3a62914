import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { ResponseObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { ErrorSchema } from './error.schema';

export interface OpenApiOptions {
  docsPath: string;
  /** Routes that need no key. */
  openRoutes: readonly string[];
  /** Whether the other routes need `Authorization: Bearer <key>` (API_KEYS set). */
  bearerAuth: boolean;
}

/** The OpenAPI document, generated from the routes' own schemas, and the Swagger UI, at docsPath. */
export function setUpOpenApi(app: NestFastifyApplication, { docsPath, openRoutes, bearerAuth }: OpenApiOptions): void {
  const builder = new DocumentBuilder()
    .setOpenAPIVersion('3.1.0')
    .setTitle('TaskOverflow')
    .setDescription('A shared todo list.')
    .setVersion('1');
  if (bearerAuth) {
    builder.addBearerAuth({ type: 'http', scheme: 'bearer', description: 'An API key of the deployment' }, BEARER);
  }
  const document = SwaggerModule.createDocument(app, builder.build());
  if (bearerAuth) requireBearerAuth(document, openRoutes);
  SwaggerModule.setup(docsPath, app, document, {
    jsonDocumentUrl: `${docsPath}/openapi.json`,
  });
}

const BEARER = 'apiKey';

/** Every operation but the health checks needs the key, and may be answered 401 without it. */
function requireBearerAuth(document: OpenAPIObject, openRoutes: readonly string[]): void {
  for (const [path, item] of Object.entries(document.paths)) {
    if (openRoutes.includes(path)) continue;
    for (const method of ['get', 'put', 'post', 'delete', 'patch'] as const) {
      const operation = item[method];
      if (!operation) continue;
      operation.security = [{ [BEARER]: [] }];
      // The headers every answer of the operation has (X-Request-Id, the rate limit's), as its 429 declares them.
      const { headers } = (operation.responses['429'] ?? {}) as ResponseObject;
      operation.responses['401'] = {
        description: 'No API key, or a wrong one',
        headers: {
          ...headers,
          'WWW-Authenticate': {
            description: '`Bearer realm="taskoverflow"`, with `error="invalid_token"` when a wrong key was sent.',
            schema: { type: 'string' },
          },
        },
        content: { 'application/json': { schema: ErrorSchema } },
      };
    }
  }
}
