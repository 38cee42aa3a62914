import { Controller, Get, Logger, ServiceUnavailableException } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Type } from '@sinclair/typebox';
import { HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { ApiRoute } from '../common/api-route.decorator';
import { ErrorSchema } from '../common/error.schema';

const StatusSchema = Type.Object({ status: Type.Literal('ok') });
const READINESS_TIMEOUT_MS = 1000;

@ApiTags('health')
@Controller('health')
export class HealthController {
  private readonly logger = new Logger('HealthController');

  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
  ) {}

  /** Liveness: answers while the process runs, whatever the database does. */
  @Get()
  @ApiRoute({
    summary: 'Liveness',
    rateLimited: false,
    responses: { 200: { description: 'Running', schema: StatusSchema } },
  })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Readiness, for the load balancer: the database must answer. */
  @Get('ready')
  @ApiRoute({
    summary: 'Readiness: the database answers',
    rateLimited: false,
    responses: {
      200: { description: 'Ready', schema: StatusSchema },
      503: { description: 'The database does not answer', schema: ErrorSchema },
    },
  })
  async ready(): Promise<{ status: 'ok' }> {
    try {
      await this.health.check([
        () =>
          this.database.pingCheck('database', {
            timeout: READINESS_TIMEOUT_MS,
          }),
      ]);
      return { status: 'ok' };
    } catch (error) {
      // The reason (host, address, user) is for the operators' log, not for whoever asks.
      this.logger.warn(`Not ready: ${describeFailure(error)}`);
      throw new ServiceUnavailableException({ error: 'Not ready: the database does not answer' });
    }
  }
}

/** Terminus reports per indicator: its reasons, for the log. */
function describeFailure(error: unknown): string {
  const report =
    error instanceof ServiceUnavailableException
      ? (error.getResponse() as {
          error?: Record<string, { message?: string }>;
        })
      : {};
  return Object.entries(report.error ?? { database: {} })
    .map(([indicator, result]) => `${indicator}: ${result.message ?? 'down'}`)
    .join('; ');
}
