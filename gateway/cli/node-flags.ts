/**
 * The V8 flags every gateway process runs with: `npm start`, the `crossgate` command (its #! line), the Docker
 * image, and the benches' server processes, which must run as `crossgate start` does. node-flags.test.ts holds
 * all of them to this list.
 *
 * A young generation of 2 × 32 MB instead of V8's 2 × 16 MB: an inbound message of a few hundred KB (an MCCI
 * batch, a MEDLAB interchange) becomes megabytes of short-lived strings and records, and with the default size
 * much of it survives a scavenge and is copied before it dies. Measured with bench/medlab and bench/ketenzorg
 * (bench/RESULTS.md): about 8% more results a second filed over HTTP, for a few tens of MB more memory at most.
 */
export const NODE_FLAGS: readonly string[] = ['--max-semi-space-size=32'];
