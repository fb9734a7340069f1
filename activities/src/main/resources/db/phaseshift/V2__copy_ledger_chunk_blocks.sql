-- How many blocks each chunk spans, so a copy resumed by a build with another chunk size cuts the
-- table as the first attempt did. Empty in rows written before the column existed: those chunks
-- are PgBulkCopier.LEGACY_CHUNK_BLOCKS long.
ALTER TABLE phaseshift.copy_chunk ADD COLUMN IF NOT EXISTS chunk_blocks int;
