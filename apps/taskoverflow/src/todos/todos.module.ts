import { type DynamicModule, Module } from '@nestjs/common';
import { TodoListCache } from './todo-list.cache';
import { TODOS_CONFIG, type TodosConfig } from './todos.config';
import { TodosController } from './todos.controller';
import { TodosRepository } from './todos.repository';
import { TodosService } from './todos.service';

@Module({})
export class TodosModule {
  static register(config: TodosConfig): DynamicModule {
    return {
      module: TodosModule,
      controllers: [TodosController],
      providers: [TodosService, TodosRepository, TodoListCache, { provide: TODOS_CONFIG, useValue: config }],
    };
  }
}
