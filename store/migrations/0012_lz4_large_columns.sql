-- Raw inbound messages (an MCCI batch of 20 patients is about 500 KB) and document content are stored compressed.
-- PostgreSQL's default, pglz, cost the server 5.7-5.9 ms of CPU to store a 527 KB ketenzorg batch, about 22 µs
-- of every observation filed from it (a tenth of the whole filing); lz4 took 0.9-1.0 ms and compressed it
-- further (0.6 MB for 100 such batches, against 9.6 MB). lz4 exists only where PostgreSQL was built with it (the
-- Debian and official Docker builds are; PGlite is not), so elsewhere the columns keep pglz. New values only:
-- rows stored before keep their compression, and read the same either way.
DO $$
BEGIN
  ALTER TABLE inbound_messages ALTER COLUMN raw SET COMPRESSION lz4;
  ALTER TABLE document_content ALTER COLUMN content SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
  NULL;
END $$;
