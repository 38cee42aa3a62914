import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  NotFoundException,
  Param,
  Post,
  Put,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import { ApiHeader, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiRoute } from '../common/api-route.decorator';
import { ErrorSchema } from '../common/error.schema';
import {
  type CreateTodo,
  CreateTodoSchema,
  DeletedTodoSchema,
  type ListTodosQuery,
  ListTodosQuerySchema,
  type Todo,
  type TodoIdParams,
  TodoIdParamsSchema,
  TodoListSchema,
  TodoSchema,
  type UpdateTodo,
  UpdateTodoSchema,
} from './dto/todo.schema';
import { ifNoneMatchMatches } from './if-none-match';
import { type TodoList, TodosService } from './todos.service';

/** The list is JSON text rendered by PostgreSQL: its content type is said here; objects get Fastify's. */
const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';
const badRequest = { description: 'Invalid input', schema: ErrorSchema };
const notFound = { description: 'No todo with this id', schema: ErrorSchema };
const tooLarge = { description: 'Body over 16 KiB', schema: ErrorSchema };
const unavailable = {
  description: 'The database is unavailable or did not answer in time; retry shortly',
  schema: ErrorSchema,
};

/** Validation happens in Fastify against the route schemas; handlers get checked, typed values. */
@ApiTags('todos')
@Controller('todos')
export class TodosController {
  constructor(private readonly todos: TodosService) {}

  @Get()
  @ApiHeader({
    name: 'If-None-Match',
    required: false,
    description: 'The ETag of a list fetched before: 304 with no body while the todos are unchanged.',
  })
  @ApiRoute({
    summary: 'List todos in creation order',
    querystring: ListTodosQuerySchema,
    sendsJsonText: true,
    responses: {
      200: {
        description: 'The todos, the whole list or one page of it.',
        schema: TodoListSchema,
        headers: {
          ETag: {
            description: 'The todos revision, for If-None-Match (not with `window`, `limit` or `after_id`).',
          },
          'Cache-Control': {
            description: '`no-cache`: keep the list, but revalidate it.',
          },
          Link: {
            description: '`<…>; rel="next"`: the next page, when more todos follow (an answer holds at most 1000).',
          },
        },
      },
      304: { description: 'Unchanged since the ETag in If-None-Match' },
      400: badRequest,
      503: unavailable,
    },
  })
  async list(
    @Query() query: ListTodosQuery,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<FastifyReply> {
    const list = await this.todos.list(query);
    return sendList(list, request, reply);
  }

  @Get(':id')
  @ApiRoute({
    summary: 'Get one todo',
    params: TodoIdParamsSchema,
    responses: {
      200: { description: 'The todo', schema: TodoSchema },
      400: badRequest,
      503: unavailable,
      404: notFound,
    },
  })
  async get(@Param() { id }: TodoIdParams): Promise<Todo> {
    return found(await this.todos.get(id));
  }

  @Post()
  @HttpCode(201)
  @ApiRoute({
    summary: 'Create a todo',
    body: CreateTodoSchema,
    responses: {
      201: {
        description: 'The created todo',
        schema: TodoSchema,
        headers: {
          Location: {
            description: 'Where the new todo is: `/api/v1/todos/{id}`.',
            schema: { type: 'string' },
          },
        },
      },
      400: badRequest,
      503: unavailable,
      413: tooLarge,
    },
  })
  async create(
    @Body() body: CreateTodo,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Todo> {
    const created = await this.todos.create(body);
    void reply.header('location', `${requestPath(request.url)}/${created.id}`);
    return created;
  }

  @Put(':id')
  @ApiRoute({
    summary: 'Change some fields of a todo',
    params: TodoIdParamsSchema,
    body: UpdateTodoSchema,
    responses: {
      200: { description: 'The updated todo', schema: TodoSchema },
      400: badRequest,
      503: unavailable,
      404: notFound,
      413: tooLarge,
    },
  })
  async update(@Param() { id }: TodoIdParams, @Body() body: UpdateTodo): Promise<Todo> {
    return found(await this.todos.update(id, body));
  }

  @Delete(':id')
  @ApiRoute({
    summary: 'Delete a todo (idempotent)',
    params: TodoIdParamsSchema,
    responses: {
      200: {
        description: 'The deleted todo, or `{}` when there was none (as the original API did)',
        schema: DeletedTodoSchema,
      },
      400: badRequest,
      503: unavailable,
    },
  })
  async remove(@Param() { id }: TodoIdParams): Promise<Todo | Record<string, never>> {
    return (await this.todos.remove(id)) ?? {};
  }
}

function found(todo: Todo | undefined): Todo {
  if (todo === undefined) {
    throw new NotFoundException({ error: 'Todo not found' });
  }
  return todo;
}

/** Conditional requests and paging headers need the reply itself. */
function sendList(list: TodoList, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (list.revision !== undefined) {
    // Clients and caches may keep the list but must ask before reusing it.
    const etag = `"${list.revision}"`;
    void reply.header('etag', etag).header('cache-control', 'no-cache');
    if (ifNoneMatchMatches(request.headers['if-none-match'], etag)) {
      return reply.code(304).send();
    }
  }
  if (list.nextAfterId !== undefined) {
    void reply.header('link', `<${nextPageUrl(request.url, list.nextAfterId)}>; rel="next"`);
  }
  return reply.header('content-type', JSON_CONTENT_TYPE).send(list.body);
}

/**
 * The request's path, without its query or a trailing slash. Cut from the
 * text: parsing it as a URL was a hundredth of a create's CPU, and the router
 * has matched it as it is.
 */
function requestPath(requestUrl: string): string {
  const query = requestUrl.indexOf('?');
  const path = query === -1 ? requestUrl : requestUrl.slice(0, query);
  return path.endsWith('/') ? path.slice(0, -1) : path;
}

/** The request's own path and query with the next cursor, as a relative reference. */
function nextPageUrl(requestUrl: string, afterId: number): string {
  const url = new URL(requestUrl, 'http://localhost');
  url.searchParams.set('after_id', String(afterId));
  return `${url.pathname}${url.search}`;
}
