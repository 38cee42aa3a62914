import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/**
 * The table's definition, from which migrations are generated. Requests are
 * served by the SQL in todos.sql.ts, which selects these columns by name.
 */
@Entity({ name: 'todos' })
// Serves `completed = $1 ORDER BY id`.
@Index('todos_completed_id_idx', ['completed', 'id'])
// Serves `deadline_at <= now() + window`.
@Index('todos_deadline_at_idx', ['deadlineAt'])
export class TodoEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  @Column({ type: 'varchar', length: 80 })
  title!: string;

  @Column({ type: 'varchar', length: 120, nullable: true })
  description!: string | null;

  @Column({ type: 'boolean', default: false })
  completed!: boolean;

  @Column({ name: 'deadline_at', type: 'timestamptz', nullable: true })
  deadlineAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
