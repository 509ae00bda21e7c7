/**
 * A server process of bench/fhir.ts and bench/ihe.ts, started with fork(): the gateway, started as `crossgate
 * start` starts it (startGateway with the configuration read from this process's environment), the ceiling, a
 * bare express app in the same kind of process answering fixed answers, or the in-memory FHIR server of
 * bench/lib/fhir-reference.ts, also in the same kind of process. Answers "listening" with its
 * address, reports its CPU time when asked, profiles itself between "profile-start" and "profile-stop" (one timed
 * run, where --cpu-prof would cover the process's whole life), and stops cleanly on "stop" so that a --cpu-prof
 * profile is written on exit.
 */
import { writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { Session } from 'node:inspector/promises';
import type { AddressInfo } from 'node:net';
import express, { type Express } from 'express';
import { loadConfig } from '../../gateway/config.js';
import { createLogger } from '../../gateway/logger.js';
import { startGateway } from '../../gateway/server.js';
import type { CeilingRoute, FromServer, ServerTask, ToServer } from './fhir-protocol.js';
import { referenceApp } from './fhir-reference.js';

interface Running {
  readonly url: string;
  stop(): Promise<void>;
}

const send = (message: FromServer) =>
  new Promise<void>((resolve, reject) => process.send!(message, undefined, {}, (error) => (error ? reject(error) : resolve())));

async function gateway(): Promise<Running> {
  const config = loadConfig(process.env);
  const running = await startGateway(config, createLogger(config.logLevel));
  return { url: running.url, stop: running.stop };
}

/**
 * What the gateway's sendResource does with a resource (the same headers, JSON.stringify on every request), or
 * its SOAP endpoints with an answer (the whole request body read, then the same headers and bytes), and nothing
 * else: no authentication, parsing, signature check, database, consent, audit or rendering.
 */
function ceiling(routes: readonly CeilingRoute[]): Express {
  const app = express();
  for (const route of routes) {
    if ('method' in route) {
      const answers = route.answers.map((a) => ({ contentType: a.contentType, bytes: Buffer.from(a.base64, 'base64') }));
      let next = 0;
      app.post(route.path, async (req, res) => {
        for await (const _chunk of req) {
          // Read and dropped: the gateway reads every request body whole before it answers.
        }
        const answer = answers[next++ % answers.length]!;
        res.status(200).set('Cache-Control', 'no-store').type(answer.contentType).send(answer.bytes);
      });
      continue;
    }
    app.get(route.path, (_req, res) => {
      res.status(200).set('Cache-Control', 'no-store').type('application/fhir+json; charset=utf-8').send(JSON.stringify(route.body));
    });
  }
  return app;
}

/** `app` on a free loopback port; stopping it also ends the keep-alive connections the load left open. */
async function listen(app: Express): Promise<Running> {
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(0, '127.0.0.1', (error?: Error) => (error ? reject(error) : resolve(s)));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function start(task: ServerTask): Promise<Running> {
  switch (task.kind) {
    case 'gateway':
      return gateway();
    case 'ceiling':
      return listen(ceiling(task.routes));
    case 'reference':
      return listen(referenceApp(task.baseUrl, task.resources));
  }
}

let running: Running | undefined;
/** The inspector session of a profile being taken (profile-start to profile-stop). */
let profiler: Session | undefined;

async function handle(message: ToServer): Promise<void> {
  switch (message.type) {
    case 'start': {
      running = await start(message.task);
      await send({ type: 'listening', url: running.url });
      return;
    }
    case 'usage': {
      const used = process.cpuUsage();
      const loop = performance.eventLoopUtilization();
      await send({ type: 'usage', cpuMicros: used.user + used.system, loopActiveMs: loop.active, loopIdleMs: loop.idle });
      return;
    }
    case 'profile-start': {
      profiler = new Session();
      profiler.connect();
      await profiler.post('Profiler.enable');
      await profiler.post('Profiler.start');
      await send({ type: 'profiling' });
      return;
    }
    case 'profile-stop': {
      if (!profiler) throw new Error('profile-stop without profile-start');
      const { profile } = await profiler.post('Profiler.stop');
      profiler.disconnect();
      profiler = undefined;
      await writeFile(message.file, JSON.stringify(profile));
      await send({ type: 'profiled' });
      return;
    }
    case 'stop': {
      await running?.stop();
      await send({ type: 'stopped' });
      process.disconnect();
      return;
    }
  }
}

process.on('message', (message: ToServer) => {
  handle(message).catch(async (error: unknown) => {
    await send({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) }).catch(() => undefined);
    process.exitCode = 1;
    process.disconnect();
  });
});
