import { buildDataSourceOptions, loadDatabaseConfig } from '@app/database';
import { DataSource } from 'typeorm';
import { schema } from './schema';

/*
 * The standalone DataSource for the TypeORM CLI (npm run migration:generate,
 * migration:run, migration:revert), with the service's own settings.
 */
const config = loadDatabaseConfig(process.env);
if (config.target.kind === 'embedded') {
  throw new Error(
    'Set DATABASE_URL or DB_HOST, or use the npm migration scripts, which start embedded PostgreSQL when neither is set.',
  );
}

export default new DataSource(buildDataSourceOptions(config.target, config, schema));
