import { Controller, type DynamicModule, Get, Module } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { DataSource } from 'typeorm';

/** How long the CPU-heavy route keeps the event loop, whatever the machine's speed. */
export const CPU_BURN_MS = 120;

/**
 * Routes that each carry one class of bottleneck, for proving that
 * `npm run analyze` names it from the logs. Mounted by tests only.
 */
@Controller('planted')
class PlantedBottlenecksController {
  constructor(private readonly dataSource: DataSource) {}

  /** One statement that takes 150 ms in the database: a missing index, say. */
  @Get('slow-query')
  async slowQuery(): Promise<{ todos: number }> {
    const [row] = await this.dataSource.query<{ todos: number }[]>(
      'SELECT count(*)::int AS todos FROM todos, pg_sleep(0.15)',
    );
    return row;
  }

  /** The list, then one query per todo: what a lazily loaded relation does. */
  @Get('n-plus-one')
  async nPlusOne(): Promise<string[]> {
    const todos = await this.dataSource.query<{ id: number }[]>('SELECT id FROM todos ORDER BY id');
    const titles: string[] = [];
    for (const { id } of todos) {
      const [todo] = await this.dataSource.query<{ title: string }[]>('SELECT title FROM todos WHERE id = $1', [id]);
      titles.push(todo.title);
    }
    return titles;
  }

  /** A fast (5 ms) statement: harmless, until many requests share one connection. */
  @Get('pool')
  async pool(): Promise<{ ok: true }> {
    await this.dataSource.query('SELECT pg_sleep(0.005)');
    return { ok: true };
  }

  /** A fast query, then the event loop kept busy hashing: all time outside SQL. */
  @Get('cpu')
  async cpu(): Promise<{ digest: string }> {
    const [row] = await this.dataSource.query<{ todos: number }[]>('SELECT count(*)::int AS todos FROM todos');
    let digest = String(row.todos);
    const end = performance.now() + CPU_BURN_MS;
    while (performance.now() < end) digest = createHash('sha256').update(digest).digest('hex');
    return { digest };
  }
}

@Module({})
export class PlantedBottlenecksModule {
  static register(): DynamicModule {
    return { module: PlantedBottlenecksModule, controllers: [PlantedBottlenecksController] };
  }
}
