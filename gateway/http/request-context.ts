import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';

const SAFE_REQUEST_ID = /^[A-Za-z0-9._-]{8,64}$/;

declare module 'express-serve-static-core' {
  interface Request {
    /** Correlates the response, our logs and (later) the audit record of this request. */
    requestId: string;
    log: Logger;
  }
}

/**
 * Gives every request an id (the caller's X-Request-Id when it is a plain token, else a new one), a child
 * logger, and one log line and metric when it ends: method, route pattern, status, duration. Never the query
 * string or the body, which may carry patient data.
 */
export function requestContext(logger: Logger, metrics: Metrics) {
  return (req: Request, res: Response, next: NextFunction) => {
    const given = req.get('x-request-id');
    req.requestId = given && SAFE_REQUEST_ID.test(given) ? given : randomUUID();
    req.log = logger.child({ reqId: req.requestId });
    res.setHeader('X-Request-Id', req.requestId);
    const started = process.hrtime.bigint();
    metrics.inFlight.inc();
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      metrics.inFlight.dec();
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = req.route ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
      metrics.httpDuration.observe({ method: req.method, route, status: String(res.statusCode) }, seconds);
      req.log.info({ method: req.method, route, status: res.statusCode, ms: Math.round(seconds * 1e4) / 10, aborted: !res.writableFinished }, 'request');
    };
    res.on('finish', finish);
    res.on('close', finish);
    next();
  };
}
