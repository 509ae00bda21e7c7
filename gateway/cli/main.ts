#!/usr/bin/env -S node --max-semi-space-size=64
import { Command, InvalidArgumentError } from 'commander';
import { ConfigError, loadConfig, type Config } from '../config.js';
import { createLogger } from '../logger.js';
import { startGateway } from '../server.js';
import { seedSynthetic } from '../demo-data.js';
import { migrate, openDatabase } from '../../store/index.js';
import { openStore } from '../../store/open.js';
import type { RootStore } from '../../store/index.js';
import { DEFAULT_SYNTHETIC } from '../../fixtures/synthetic/generate.js';
import { createAdmin } from './users.js';
import { inboundCommands } from './inbound.js';
import { loadSigningKey, signCheckpoint, verifyChain } from '../../audit/index.js';
import { auditSigningKeyPem } from '../keys.js';
import { readKeptCheckpoints } from './kept-checkpoints.js';

const positiveInt = (max: number) => (value: string) => {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > max) throw new InvalidArgumentError(`must be a whole number from 1 to ${max}`);
  return n;
};

function config(): Config {
  try {
    return loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`crossgate: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}

function storeOptions(c: Config) {
  return c.database.url ? { databaseUrl: c.database.url } : { dataDir: c.database.dataDir };
}

/** Runs a command against the configured store, closed afterwards whatever happens. */
async function withStore(fn: (store: RootStore, c: Config) => Promise<void>): Promise<void> {
  const c = config();
  const store = await openStore(storeOptions(c));
  try {
    await fn(store, c);
  } finally {
    await store.close();
  }
}

const program = new Command()
  .name('crossgate')
  .description('Crossgate interoperability gateway. Configuration comes from the environment (see README).')
  .showHelpAfterError();

program
  .command('start')
  .description('run the gateway (migrates the database first; seeds demo data into an empty embedded database)')
  .action(async () => {
    const c = config();
    const logger = createLogger(c.logLevel);
    const gateway = await startGateway(c, logger);
    const shutdown = (signal: string) => {
      logger.info({ signal }, 'signal received');
      gateway.stop().then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
  });

program
  .command('migrate')
  .description('apply pending database migrations and exit')
  .action(async () => {
    const c = config();
    const db = await openDatabase(storeOptions(c));
    try {
      const applied = await migrate(db);
      process.stdout.write(applied.length ? `applied migrations ${applied.join(', ')}\n` : 'database is up to date\n');
    } finally {
      await db.close();
    }
  });

program
  .command('seed')
  .description('write deterministic synthetic patients (Dutch with test BSNs, US-style with MRNs) and their records')
  .option('--patients <n>', 'how many patients (patients already present are kept)', positiveInt(1_000_000), 100)
  .option('--seed <n>', 'generator seed: the same seed gives the same data', positiveInt(2 ** 31), DEFAULT_SYNTHETIC.seed)
  .action(async (options: { patients: number; seed: number }) => {
    await withStore(async (store) => {
      const started = Date.now();
      let shown = -1;
      const result = await seedSynthetic(store, options.patients, { ...DEFAULT_SYNTHETIC, seed: options.seed }, (done, total) => {
        const pct = Math.floor((done / total) * 100);
        if (pct !== shown && process.stderr.isTTY) {
          shown = pct;
          process.stderr.write(`\rseeding ${done}/${total} patients (${pct}%)`);
        }
      });
      if (process.stderr.isTTY) process.stderr.write('\n');
      process.stdout.write(
        `seeded ${result.created} patients (${result.existing} already present), ${result.observations} observations, ` +
          `${result.documents} documents in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
      );
    });
  });

const users = program.command('users').description('manage accounts from the command line');
users
  .command('create-admin')
  .description('create an administrator (the first one of a new installation); prints the password and the 2FA enrolment URI')
  .requiredOption('--email <address>', 'e-mail address to sign in with')
  .option('--name <name>', 'display name', 'Administrator')
  .option('--password-stdin', 'read the password from standard input instead of generating one')
  .action(async (options: { email: string; name: string; passwordStdin?: boolean }) => {
    let password: string | undefined;
    if (options.passwordStdin) {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      password = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
    }
    await withStore(async (store) => {
      const admin = await createAdmin(store, options.email, options.name, password);
      process.stdout.write(
        `administrator ${admin.email} created\n` +
          (password ? '' : `password: ${admin.password}\n`) +
          `two-factor enrolment (scan as a QR code, or enter in an authenticator app):\n${admin.otpauthUri}\n` +
          'sign in with POST /auth/login, then confirm with the first code at POST /auth/2fa/verify\n',
      );
    });
  });

const audit = program.command('audit').description('the tamper-evident audit trail');
audit
  .command('verify')
  .description('walk the whole chain, recompute every link and check the signed checkpoints; exit 1 naming the first record that does not verify')
  .option('--deep', 'also re-derive every search column from its record (slower)')
  .option('--checkpoints <file>', 'also check checkpoints kept outside the database, with the public key kept beside them (as GET /audit/checkpoints or audit checkpoint gave them)')
  .action(async (options: { deep?: boolean; checkpoints?: string }) => {
    const kept = options.checkpoints ? readKeptCheckpoints(options.checkpoints) : undefined;
    await withStore(async (store, c) => {
      const key = loadSigningKey(auditSigningKeyPem(c).pem);
      const started = process.hrtime.bigint();
      const result = await verifyChain(store, key.publicKey, { deep: options.deep ?? false, ...(kept ? { kept } : {}) });
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const rate = Math.round(result.checked / Math.max(seconds, 1e-9));
      if (result.ok) {
        const outside = kept ? `, and ${result.keptChecked} kept outside (key ${kept.keyId})` : '';
        process.stdout.write(`verified ${result.checked} records (head ${result.headSeq}) and ${result.checkpointsChecked} signed checkpoints${outside} in ${seconds.toFixed(2)} s (${rate} records/s)\n`);
      } else {
        process.stdout.write(`NOT VERIFIED: record ${result.firstBroken!.seq}: ${result.firstBroken!.reason} (${result.checked} records before it verified)\n`);
        process.exitCode = 1;
      }
    });
  });
audit
  .command('checkpoint')
  .description('sign the chain head now and print the checkpoint with the public key that verifies it')
  .action(async () => {
    await withStore(async (store, c) => {
      const key = loadSigningKey(auditSigningKeyPem(c).pem);
      const checkpoint = await signCheckpoint(store, key, new Date());
      process.stdout.write(`${JSON.stringify({ checkpoint: checkpoint ?? null, keyId: key.keyId, publicKey: key.publicKey.export({ type: 'spki', format: 'pem' }).toString() }, null, 2)}\n`);
    });
  });

program
  .command('import')
  .description('load a FHIR R4 Bundle (collection or transaction) of Patients, DocumentReferences and Binaries in one transaction; any error imports nothing (exit 1)')
  .argument('<file>', 'the Bundle as FHIR JSON')
  .option('--dry-run', 'check the bundle against the database and report, writing nothing')
  .action(async (file: string, options: { dryRun?: boolean }) => {
    const { importFile } = await import('./import.js');
    await withStore(async (store, c) => {
      process.exitCode = await importFile(store, file, { dryRun: options.dryRun ?? false, repositoryUniqueId: c.repositoryUniqueId }, process);
    });
  });

inboundCommands(program, withStore);

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`crossgate: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
