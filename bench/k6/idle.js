// Sleeping VUs, for the runner's own cost (`node bench/k6-runner.mjs`): each
// VU asks BASE once, then sleeps SLEEP seconds, as a studier between lists.
import http from 'k6/http';
import { sleep } from 'k6';

export default function () {
  http.get(__ENV.BASE);
  sleep(Number(__ENV.SLEEP ?? '10'));
}
