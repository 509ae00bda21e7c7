// A parse worker thread that cannot start: it ends at once, as one whose script is broken would.
process.exit(5);
