/**
 * The V8 flags every gateway process runs with: `npm start`, the `crossgate` command (its #! line), the Docker
 * image, and the benches' server processes, which must run as `crossgate start` does. node-flags.test.ts holds
 * all of them to this list.
 *
 * A young generation of 2 × 64 MB instead of V8's 2 × 16 MB: an inbound message of a few hundred KB (an MCCI
 * batch, a MEDLAB interchange) becomes megabytes of short-lived strings and records, and with the default size
 * much of it survives a scavenge and is copied before it dies; an IHE query under load leaves its parse trees,
 * rows and answer behind the same way. Measured (bench/RESULTS.md): 32 MB filed about 8% more results a second
 * over HTTP than 16 (bench/medlab, bench/ketenzorg); 64 MB took about 10% less CPU an ITI-38 query than 32
 * (bench/ihe), 128 MB no clear further gain. The cost is up to about 100 MB more memory than V8's default.
 */
export const NODE_FLAGS: readonly string[] = ['--max-semi-space-size=64'];
