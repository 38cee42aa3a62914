import { Type } from '@sinclair/typebox';

export const ErrorSchema = Type.Object(
  {
    error: Type.String({ description: 'What is wrong, for a person.' }),
    details: Type.Optional(
      Type.Array(
        Type.Object({
          field: Type.String({
            description: 'Where: `body.title`, `query.window`, `params.id`.',
          }),
          message: Type.String(),
        }),
      ),
    ),
  },
  { title: 'Error' },
);
