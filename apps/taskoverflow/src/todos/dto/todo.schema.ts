import { API_TIMESTAMP_PATTERN } from '@app/database';
import { type Static, Type } from '@sinclair/typebox';
import { INPUT_TIMESTAMP, STORABLE_TEXT } from '../../common/input-patterns';

/*
 * One set of JSON schemas serves three purposes: Fastify validates requests
 * with them (Ajv), Swagger documents them, and TypeScript derives the types.
 */

const Title = Type.String({
  minLength: 1,
  maxLength: 80,
  pattern: STORABLE_TEXT,
  examples: ['CSSE6400 Cloud Assignment'],
});

const Description = Type.Unsafe<string | null>({
  type: ['string', 'null'],
  maxLength: 120,
  pattern: STORABLE_TEXT,
  examples: ['Deploy TaskOverflow to ECS'],
});

const INPUT_TIMESTAMP_DESCRIPTION =
  'ISO 8601 date and time, a real calendar date with seconds (up to 6 decimals), from year 0001 to 9999. ' +
  'With `Z` or an offset (up to ±15:59) it is converted to UTC; without one it is taken as UTC. In years 0001 and 9999 only UTC is accepted.';

const OUTPUT_TIMESTAMP_DESCRIPTION = 'UTC, ISO 8601 without an offset; fractional seconds only when non-zero.';

const OutputTimestamp = Type.String({
  pattern: API_TIMESTAMP_PATTERN,
  description: OUTPUT_TIMESTAMP_DESCRIPTION,
  examples: ['2023-12-04T14:00:00'],
});

const Deadline = Type.Unsafe<string | null>({
  type: ['string', 'null'],
  pattern: INPUT_TIMESTAMP,
  description: INPUT_TIMESTAMP_DESCRIPTION,
  examples: ['2023-12-04T14:00:00'],
});

export const TodoSchema = Type.Object(
  {
    id: Type.Integer({ minimum: 1, examples: [1] }),
    title: Title,
    description: Description,
    completed: Type.Boolean(),
    deadline_at: Type.Unsafe<string | null>({
      ...OutputTimestamp,
      type: ['string', 'null'],
    }),
    created_at: OutputTimestamp,
    updated_at: OutputTimestamp,
  },
  { additionalProperties: false, title: 'Todo' },
);
export type Todo = Static<typeof TodoSchema>;

export const TodoListSchema = Type.Array(TodoSchema);

/** DELETE's answer: the todo deleted, or `{}` when there was none (deleting is idempotent). */
export const DeletedTodoSchema = Type.Union([
  TodoSchema,
  Type.Object({}, { additionalProperties: false, title: 'NoTodo' }),
]);

export const CreateTodoSchema = Type.Object(
  {
    title: Title,
    description: Type.Optional(Description),
    completed: Type.Optional(Type.Boolean({ default: false })),
    deadline_at: Type.Optional(Deadline),
  },
  { additionalProperties: false, title: 'CreateTodo' },
);
export type CreateTodo = Static<typeof CreateTodoSchema>;

export const UpdateTodoSchema = Type.Object(
  {
    title: Type.Optional(Title),
    description: Type.Optional(Description),
    completed: Type.Optional(Type.Boolean()),
    deadline_at: Type.Optional(Deadline),
  },
  {
    additionalProperties: false,
    minProperties: 1,
    title: 'UpdateTodo',
    description: 'Only the fields given change. `id` and unknown fields are rejected.',
  },
);
export type UpdateTodo = Static<typeof UpdateTodoSchema>;

/** PostgreSQL's `integer`, the type of the id column. */
export const MAX_TODO_ID = 2_147_483_647;

export const TodoIdParamsSchema = Type.Object(
  {
    id: Type.Integer({
      minimum: 1,
      maximum: MAX_TODO_ID,
      description: 'A positive 32-bit integer.',
    }),
  },
  { additionalProperties: false },
);
export type TodoIdParams = Static<typeof TodoIdParamsSchema>;

/** The largest page `limit` allows, and the most todos any list answer holds. */
export const MAX_PAGE_SIZE = 1000;

/** Bounds the date arithmetic: about 2,700 years ahead. */
export const MAX_WINDOW_DAYS = 1_000_000;

export const ListTodosQuerySchema = Type.Object(
  {
    completed: Type.Optional(Type.Boolean({ description: 'Only todos with this completion state.' })),
    window: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: MAX_WINDOW_DAYS,
        description:
          'Only todos whose deadline is at most this many days from now (todos without a deadline are left out).',
      }),
    ),
    limit: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: MAX_PAGE_SIZE,
        description:
          'Page through the list: at most this many todos (default and largest: 1000, with or without paging). When more follow, a `Link: <…>; rel="next"` header gives the next page.',
      }),
    ),
    after_id: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: MAX_TODO_ID,
        description: 'Only todos with an id greater than this (the cursor of the next page).',
      }),
    ),
  },
  { additionalProperties: false },
);
export type ListTodosQuery = Static<typeof ListTodosQuerySchema>;
