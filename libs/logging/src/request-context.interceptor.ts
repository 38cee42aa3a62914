import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import type { Observable } from 'rxjs';
import { currentRequestContext } from './request-context';

/**
 * Owns the request context once Nest has routed the request: names the
 * handler, so that every later line (the service's, its SQL, the finish line)
 * says which controller method produced it.
 */
@Injectable()
export class RequestContextInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = currentRequestContext();
    if (request) {
      request.handler = `${context.getClass().name}.${context.getHandler().name}`;
    }
    return next.handle();
  }
}
