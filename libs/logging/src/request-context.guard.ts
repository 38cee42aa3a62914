import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { currentRequestContext } from './request-context';

/**
 * Owns the request context once Nest has routed the request: names the
 * handler, so that every later line (the service's, its SQL, the finish line)
 * says which controller method produced it. It never refuses a request.
 *
 * A guard rather than an interceptor because all it needs is the execution
 * context: Nest runs even one global interceptor through RxJS and
 * AsyncResource.bind on every request, 23 KB of garbage and about a fifth of
 * Nest's CPU per request (docs/capacity.md), where a guard is a plain call.
 */
@Injectable()
export class RequestContextGuard implements CanActivate {
  canActivate(context: ExecutionContext): true {
    const request = currentRequestContext();
    if (request) {
      request.handler = `${context.getClass().name}.${context.getHandler().name}`;
    }
    return true;
  }
}
