export {
  type Exit,
  type ReadyOptions,
  SERVICE_MAIN,
  type ServiceProcess,
  startService,
  type StartOptions,
} from './service-runner';
// A port free now, found as embedded PostgreSQL finds its own.
export { findFreePort } from '@app/database/embedded-postgres';
