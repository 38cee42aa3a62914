import {
  Body,
  Controller,
  Delete,
  Get,
  Header,
  HttpCode,
  NotFoundException,
  Param,
  Post,
  Put,
  Query,
} from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ApiRoute } from '../common/api-route.decorator';
import { ErrorSchema } from '../common/error.schema';
import {
  type CreateTodo,
  CreateTodoSchema,
  type ListTodosQuery,
  ListTodosQuerySchema,
  type TodoIdParams,
  TodoIdParamsSchema,
  TodoListSchema,
  TodoSchema,
  type UpdateTodo,
  UpdateTodoSchema,
} from './dto/todo.schema';
import { type JsonText, TodosService } from './todos.service';

const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';
const badRequest = { description: 'Invalid input', schema: ErrorSchema };
const notFound = { description: 'No todo with this id', schema: ErrorSchema };
const tooLarge = { description: 'Body over 16 KiB', schema: ErrorSchema };

/** Validation happens in Fastify against the route schemas; handlers get checked, typed values. */
@ApiTags('todos')
@Controller('todos')
export class TodosController {
  constructor(private readonly todos: TodosService) {}

  @Get()
  @Header('Content-Type', JSON_CONTENT_TYPE)
  @ApiRoute({
    summary: 'List todos in creation order',
    querystring: ListTodosQuerySchema,
    responses: {
      200: { description: 'The todos', schema: TodoListSchema },
      400: badRequest,
    },
  })
  list(@Query() query: ListTodosQuery): Promise<JsonText> {
    return this.todos.list(query);
  }

  @Get(':id')
  @Header('Content-Type', JSON_CONTENT_TYPE)
  @ApiRoute({
    summary: 'Get one todo',
    params: TodoIdParamsSchema,
    responses: {
      200: { description: 'The todo', schema: TodoSchema },
      400: badRequest,
      404: notFound,
    },
  })
  async get(@Param() { id }: TodoIdParams): Promise<JsonText> {
    return found(await this.todos.get(id));
  }

  @Post()
  @HttpCode(201)
  @Header('Content-Type', JSON_CONTENT_TYPE)
  @ApiRoute({
    summary: 'Create a todo',
    body: CreateTodoSchema,
    responses: {
      201: { description: 'The created todo', schema: TodoSchema },
      400: badRequest,
      413: tooLarge,
    },
  })
  create(@Body() body: CreateTodo): Promise<JsonText> {
    return this.todos.create(body);
  }

  @Put(':id')
  @Header('Content-Type', JSON_CONTENT_TYPE)
  @ApiRoute({
    summary: 'Change some fields of a todo',
    params: TodoIdParamsSchema,
    body: UpdateTodoSchema,
    responses: {
      200: { description: 'The updated todo', schema: TodoSchema },
      400: badRequest,
      404: notFound,
      413: tooLarge,
    },
  })
  async update(
    @Param() { id }: TodoIdParams,
    @Body() body: UpdateTodo,
  ): Promise<JsonText> {
    return found(await this.todos.update(id, body));
  }

  @Delete(':id')
  @Header('Content-Type', JSON_CONTENT_TYPE)
  @ApiRoute({
    summary: 'Delete a todo (idempotent)',
    params: TodoIdParamsSchema,
    responses: {
      200: {
        description:
          'The deleted todo, or `{}` when there was none (as the original API did)',
        schema: TodoSchema,
      },
      400: badRequest,
    },
  })
  async remove(@Param() { id }: TodoIdParams): Promise<JsonText> {
    return (await this.todos.remove(id)) ?? '{}';
  }
}

function found(todo: JsonText | undefined): JsonText {
  if (todo === undefined) {
    throw new NotFoundException({ error: 'Todo not found' });
  }
  return todo;
}
