export {
  type Exit,
  freePort,
  type ReadyOptions,
  SERVICE_MAIN,
  type ServiceProcess,
  startService,
  type StartOptions,
} from './service-runner';
