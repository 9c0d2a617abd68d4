/**
 * The health+json body (draft-inadarei-api-health-check): built once per snapshot, as bytes, so
 * a probe only copies them to the socket.
 */
import type { HealthSnapshot } from './snapshot.js';

/** Fields of the health+json draft that describe the service; written into every full body. */
export interface HealthServiceInfo {
  /** The public version of the service, e.g. `'1'`. */
  readonly version?: string | undefined;
  /** The version of this release, e.g. a git sha or `'1.4.2'`. */
  readonly releaseId?: string | undefined;
  /** A unique identifier of the service. */
  readonly serviceId?: string | undefined;
  /** What the service is. */
  readonly description?: string | undefined;
}

/** The media type of the IETF health check response format. @internal */
export const HEALTH_JSON_TYPE = 'application/health+json';

/** `/health`: the status alone (and why, when draining), for load balancers that only read the code. @internal */
export function shortBody(snapshot: HealthSnapshot): Buffer {
  const body: Record<string, string> = { status: snapshot.status };
  if (snapshot.output === 'shutting down') body.output = snapshot.output;
  return Buffer.from(JSON.stringify(body));
}

/** Every check of the view, keyed `name:measurement`, each an array of one measurement. @internal */
export function fullBody(snapshot: HealthSnapshot, info: HealthServiceInfo): Buffer {
  const checks: Record<string, unknown[]> = {};
  for (const [name, check] of Object.entries(snapshot.checks)) {
    const item: Record<string, unknown> = { componentId: name, status: check.status };
    if (check.observedValue !== undefined) item.observedValue = check.observedValue;
    if (check.observedUnit !== undefined) item.observedUnit = check.observedUnit;
    if (check.output !== undefined) item.output = check.output;
    if (check.lastRunAt !== null) item.time = check.lastRunAt;
    if (check.durationMs !== null) item.durationMs = Math.round(check.durationMs * 1000) / 1000;
    if (!check.critical) item.critical = false;
    checks[`${name}:${check.measurement}`] = [item];
  }
  const body: Record<string, unknown> = { status: snapshot.status };
  for (const key of ['version', 'releaseId', 'serviceId', 'description'] as const) {
    if (info[key] !== undefined) body[key] = info[key];
  }
  if (snapshot.output !== undefined) body.output = snapshot.output;
  body.time = snapshot.generatedAt;
  body.checks = checks;
  return Buffer.from(JSON.stringify(body));
}
