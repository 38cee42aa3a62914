import { Injectable } from '@nestjs/common';

export interface CachedList {
  revision: string;
  /** UTF-8 bytes, not a string: sending a string encodes it anew on every response. */
  body: Buffer;
  /** The cursor of the todos past the list's cap, when there are more. */
  nextAfterId?: number;
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
  private readonly entries = new Map<string, CachedList>();

  get(key: string, revision: string): CachedList | undefined {
    const entry = this.entries.get(key);
    return entry?.revision === revision ? entry : undefined;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  set(key: string, list: CachedList): void {
    this.entries.set(key, list);
  }
}
