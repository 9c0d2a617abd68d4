import { circuitBreaker, consecutiveFailures } from 'bulwark/breaker';
import { createMetrics } from 'bulwark/metrics';
import { FakeClock } from 'bulwark/testing';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { failOnUnhandledRejections } from '../helpers/no-unhandled-rejections.ts';
import { histogramSamples, samples } from './exposition.ts';

failOnUnhandledRejections();

const down = () => Object.assign(new Error('connect ECONNREFUSED 10.0.0.7:5432'), { code: 'ECONNREFUSED' });

function setup() {
  const clock = new FakeClock();
  const registry = new Registry();
  const breaker = circuitBreaker({ name: 'inventory', clock, trip: consecutiveFailures(2), openMs: 1000 });
  const stop = createMetrics({ registry }).observe(breaker);
  /** A call that takes `ms` on the fake clock, then succeeds or fails. */
  const call = async (ms: number, outcome: 'ok' | 'down' | 'permanent') => {
    const done = breaker
      .execute(async () => {
        await new Promise<void>((resolve) => clock.setTimeout(resolve, ms));
        if (outcome === 'down') throw down();
        if (outcome === 'permanent') throw Object.assign(new Error('Not Found'), { status: 404 });
        return 'ok';
      })
      .catch(() => 'failed');
    await clock.advance(ms);
    return done;
  };
  return { clock, registry, breaker, stop, call };
}

const state = (s: Record<string, number>) =>
  Object.entries(s)
    .map(([k, v]) => `bulwark_circuit_breaker_state{breaker="inventory",state="${k}"} ${v}`)
    .sort();

describe('metrics of a circuit breaker', () => {
  it('counts calls by outcome, from zero, and shows the state', async () => {
    const { registry, call } = setup();
    expect(await samples(registry, 'bulwark_circuit_breaker_calls_total')).toEqual([
      'bulwark_circuit_breaker_calls_total{breaker="inventory",outcome="failure"} 0',
      'bulwark_circuit_breaker_calls_total{breaker="inventory",outcome="ignored"} 0',
      'bulwark_circuit_breaker_calls_total{breaker="inventory",outcome="rejected"} 0',
      'bulwark_circuit_breaker_calls_total{breaker="inventory",outcome="success"} 0',
    ]);
    await call(3, 'ok');
    await call(3, 'ok');
    await call(7, 'permanent');
    await call(20, 'down');
    expect(await samples(registry, 'bulwark_circuit_breaker_calls_total')).toEqual([
      'bulwark_circuit_breaker_calls_total{breaker="inventory",outcome="failure"} 1',
      'bulwark_circuit_breaker_calls_total{breaker="inventory",outcome="ignored"} 1',
      'bulwark_circuit_breaker_calls_total{breaker="inventory",outcome="rejected"} 0',
      'bulwark_circuit_breaker_calls_total{breaker="inventory",outcome="success"} 2',
    ]);
    expect(await samples(registry, 'bulwark_circuit_breaker_state')).toEqual(
      state({ closed: 1, open: 0, 'half-open': 0, isolated: 0 }),
    );
  });

  it('follows the breaker open, half-open by time alone (no call), and closed again', async () => {
    const { clock, registry, breaker, call } = setup();
    await call(1, 'down');
    await call(1, 'down');
    await call(1, 'ok'); // refused: open
    expect(await samples(registry, 'bulwark_circuit_breaker_state')).toEqual(
      state({ closed: 0, open: 1, 'half-open': 0, isolated: 0 }),
    );
    await clock.advance(1000);
    // Nobody called or read the breaker: the scrape itself sees it is half-open now.
    expect(await samples(registry, 'bulwark_circuit_breaker_state')).toEqual(
      state({ closed: 0, open: 0, 'half-open': 1, isolated: 0 }),
    );
    expect(await samples(registry, 'bulwark_circuit_breaker_transitions_total')).toEqual([
      'bulwark_circuit_breaker_transitions_total{breaker="inventory",from="closed",to="open"} 1',
      'bulwark_circuit_breaker_transitions_total{breaker="inventory",from="open",to="half-open"} 1',
    ]);
    await call(1, 'ok');
    const release = breaker.isolate();
    await call(1, 'ok'); // refused: isolated
    expect(await samples(registry, 'bulwark_circuit_breaker_state')).toEqual(
      state({ closed: 0, open: 0, 'half-open': 0, isolated: 1 }),
    );
    release();
    expect(await samples(registry, 'bulwark_circuit_breaker_transitions_total')).toEqual([
      'bulwark_circuit_breaker_transitions_total{breaker="inventory",from="closed",to="isolated"} 1',
      'bulwark_circuit_breaker_transitions_total{breaker="inventory",from="closed",to="open"} 1',
      'bulwark_circuit_breaker_transitions_total{breaker="inventory",from="half-open",to="closed"} 1',
      'bulwark_circuit_breaker_transitions_total{breaker="inventory",from="isolated",to="half-open"} 1',
      'bulwark_circuit_breaker_transitions_total{breaker="inventory",from="open",to="half-open"} 1',
    ]);
    expect(await samples(registry, 'bulwark_circuit_breaker_calls_total')).toContain(
      'bulwark_circuit_breaker_calls_total{breaker="inventory",outcome="rejected"} 2',
    );
  });

  it('times each call it ran into call_duration_seconds, by outcome, in seconds', async () => {
    const { registry, call } = setup();
    await call(3, 'ok');
    await call(40, 'ok');
    await call(7, 'permanent');
    await call(2000, 'down');
    const lines = await histogramSamples(registry, 'bulwark_call_duration_seconds');
    expect(lines).toContain('bulwark_call_duration_seconds_count{policy="inventory",outcome="success"} 2');
    expect(lines).toContain('bulwark_call_duration_seconds_sum{policy="inventory",outcome="success"} 0.043');
    expect(lines).toContain('bulwark_call_duration_seconds_bucket{le="0.0025",policy="inventory",outcome="success"} 0');
    expect(lines).toContain('bulwark_call_duration_seconds_bucket{le="0.005",policy="inventory",outcome="success"} 1');
    expect(lines).toContain('bulwark_call_duration_seconds_bucket{le="0.05",policy="inventory",outcome="success"} 2');
    expect(lines).toContain('bulwark_call_duration_seconds_bucket{le="+Inf",policy="inventory",outcome="success"} 2');
    expect(lines).toContain('bulwark_call_duration_seconds_count{policy="inventory",outcome="ignored"} 1');
    expect(lines).toContain('bulwark_call_duration_seconds_bucket{le="1",policy="inventory",outcome="failure"} 0');
    expect(lines).toContain('bulwark_call_duration_seconds_bucket{le="2.5",policy="inventory",outcome="failure"} 1');
    expect(lines).toContain('bulwark_call_duration_seconds_sum{policy="inventory",outcome="failure"} 2');
    expect(lines.filter((l) => l.includes('outcome="rejected"'))).toEqual([]);
  });

  it('labels come from the name option, never from error messages', async () => {
    const { registry, call } = setup();
    await call(1, 'down');
    await call(1, 'down');
    await call(1, 'ok');
    const text = await registry.metrics();
    expect(text).not.toContain('ECONNREFUSED');
    expect(text).not.toContain('10.0.0.7');
  });

  it('stopping keeps the counts and the histogram, drops the state, and counts nothing more', async () => {
    const { registry, call, stop } = setup();
    await call(1, 'ok');
    stop();
    stop();
    await call(1, 'ok');
    expect(await samples(registry, 'bulwark_circuit_breaker_state')).toEqual([]);
    expect(await samples(registry, 'bulwark_circuit_breaker_calls_total')).toContain(
      'bulwark_circuit_breaker_calls_total{breaker="inventory",outcome="success"} 1',
    );
    expect(await histogramSamples(registry, 'bulwark_call_duration_seconds')).toContain(
      'bulwark_call_duration_seconds_count{policy="inventory",outcome="success"} 1',
    );
  });
});
