-- 0005: blobs written in pieces. A streamed upload writes its bytes as 1 MiB rows of
-- blob_chunks while it arrives, each in its own short transaction, so neither the server nor
-- the database holds the whole file. The upload is registered in blob_uploads until it
-- commits: the commit writes the last chunk, the blobs row (data empty) and the object that
-- points at it in one transaction and removes the blob_uploads row. An upload that never
-- commits (a crash, a dropped client) leaves a blob_uploads row whose chunks are swept after
-- an hour. A blob's bytes are its data column followed by its chunks in seq order, so blobs
-- written before this migration (all in data, no chunks) read as before.
CREATE TABLE blob_uploads (
  id TEXT PRIMARY KEY,                           -- the future blobs.id
  workspace_id TEXT NOT NULL,
  started_at INTEGER NOT NULL
);
CREATE INDEX blob_uploads_started ON blob_uploads(started_at);

CREATE TABLE blob_chunks (
  blob_id TEXT NOT NULL,
  seq INTEGER NOT NULL,                          -- 0, 1, 2 ... in byte order
  data BLOB NOT NULL,
  PRIMARY KEY (blob_id, seq)
);
