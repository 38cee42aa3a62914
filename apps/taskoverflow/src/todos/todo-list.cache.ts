import { Injectable } from '@nestjs/common';
import type { JsonText } from './todos.service';

interface Entry {
  revision: string;
  body: JsonText;
}

/**
 * The rendered list per filter, in this process, tagged with the todos
 * revision it reflects. Callers serve an entry only after checking the
 * database's current revision, so it stays right with any number of
 * processes and tasks writing. Keys are the few cacheable filters, so the
 * map stays small: one entry per `completed` value.
 */
@Injectable()
export class TodoListCache {
  private readonly entries = new Map<string, Entry>();

  get(key: string, revision: string): JsonText | undefined {
    const entry = this.entries.get(key);
    return entry?.revision === revision ? entry.body : undefined;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  set(key: string, revision: string, body: JsonText): void {
    this.entries.set(key, { revision, body });
  }
}
