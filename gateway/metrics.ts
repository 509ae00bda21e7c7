import client from 'prom-client';

/** Metrics per gateway instance (its own registry, so tests and several apps in one process do not collide). */
export function createMetrics() {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'crossgate_' });
  const httpDuration = new client.Histogram({
    name: 'crossgate_http_request_duration_seconds',
    help: 'HTTP request duration by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const inFlight = new client.Gauge({ name: 'crossgate_http_requests_in_flight', help: 'Requests being served', registers: [registry] });
  return { registry, httpDuration, inFlight };
}

export type Metrics = ReturnType<typeof createMetrics>;
