/* The local image store: an OCI image layout directory.
 *
 *   <store>/oci-layout, index.json, blobs/sha256/<hex>
 *   <store>/tmp/          in-progress writes (removed by gc/fsck --repair)
 *   <store>/.lock         flock: shared while a process uses the store,
 *                         exclusive for garbage collection
 *   <store>/index.lock    flock: exclusive around every index.json update
 *
 * Tags live in index.json as the org.opencontainers.image.ref.name annotation
 * holding the familiar reference ("app:latest").  An index entry without that
 * annotation is an untagged (dangling) image.
 *
 * Use one store handle per process: gc upgrades the handle's shared .lock to
 * an exclusive one and would wait forever on a second handle's shared lock.  Every write is atomic: blobs
 * are streamed into tmp/, verified, fsynced and renamed into place before
 * index.json (itself replaced by rename) may point at them, so a killed
 * process leaves at worst unreferenced files, never a broken reference. */
#ifndef PYOCI_OCI_STORE_H
#define PYOCI_OCI_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/util/error.h"
#include "lib/util/hash.h"

#define PYOCI_REF_NAME_ANNOTATION "org.opencontainers.image.ref.name"

typedef struct pyoci_store pyoci_store_t;

/* Open (creating the layout when missing).  The program picks the path
 * ($PYOCI_STORE, else $XDG_DATA_HOME/pyoci, else ~/.local/share/pyoci: cli/env.c). */
int pyoci_store_open(const char *path, pyoci_store_t **out, pyoci_error_t **err);
void pyoci_store_close(pyoci_store_t *s);
static inline void pyoci_store_closep(pyoci_store_t **s)
{
  pyoci_store_close(*s);
}
#define cleanup_store __attribute__((cleanup(pyoci_store_closep)))
const char *pyoci_store_path(const pyoci_store_t *s);
/* A fresh private directory under <store>/tmp for scratch work (same file
 * system as the blobs, so renames are atomic).  Caller removes it. */
int pyoci_store_mkdtemp(pyoci_store_t *s, const char *prefix, char **out, pyoci_error_t **err);

/* ---- blobs ---- */
bool pyoci_store_has_blob(pyoci_store_t *s, const char *digest);
/* Path of a blob (whether or not it exists).  Caller frees. */
char *pyoci_store_blob_path(pyoci_store_t *s, const char *digest);
int pyoci_store_open_blob(pyoci_store_t *s, const char *digest, int *fd_out, int64_t *size_out,
                          pyoci_error_t **err);
/* A blob whose content hashed right before and whose file has not changed
 * since (its stat matches a stamp taken then): a reader may skip hashing
 * it.  note_good records the stamp after a reader hashed fd and found it
 * right (best effort, never an error).  store_verified.c says why this is
 * safe and what it cannot see; fsck never trusts stamps. */
bool pyoci_store_blob_known_good(pyoci_store_t *s, const char *digest, int fd);
void pyoci_store_blob_note_good(pyoci_store_t *s, const char *digest, int fd);
/* Read a small blob whole (at most max bytes) and verify its digest. */
int pyoci_store_read_blob(pyoci_store_t *s, const char *digest, size_t max, char **buf, size_t *len,
                          pyoci_error_t **err);
int pyoci_store_put_blob(pyoci_store_t *s, const void *buf, size_t len, char digest_out[PYOCI_DIGEST_LEN],
                         pyoci_error_t **err);

/* Streaming blob writer: sha256 computed on the fly. */
typedef struct pyoci_blob_writer pyoci_blob_writer_t;
int pyoci_blob_writer_new(pyoci_store_t *s, pyoci_blob_writer_t **out, pyoci_error_t **err);
int pyoci_blob_writer_write(pyoci_blob_writer_t *w, const void *buf, size_t len, pyoci_error_t **err);
/* Stop writing and check the digest (NULL = accept) without publishing:
 * several blobs can be verified first and committed together. */
int pyoci_blob_writer_verify(pyoci_blob_writer_t *w, const char *expected_digest, pyoci_error_t **err);
/* fsync the data now (on the caller's thread), so the commit's own fsync
 * finds nothing left: parallel downloads sync in parallel. */
int pyoci_blob_writer_sync(pyoci_blob_writer_t *w, pyoci_error_t **err);
/* Finish: verify against expected (NULL = accept), fsync, rename into
 * blobs/.  Frees w in all cases. */
int pyoci_blob_writer_commit(pyoci_blob_writer_t *w, const char *expected_digest,
                             char digest_out[PYOCI_DIGEST_LEN], int64_t *size_out, pyoci_error_t **err);
void pyoci_blob_writer_abort(pyoci_blob_writer_t *w);
static inline void pyoci_blob_writer_abortp(pyoci_blob_writer_t **w)
{
  if (*w != NULL)
    pyoci_blob_writer_abort(*w);
}
/* Aborts a writer not committed (set the variable to NULL after commit). */
#define cleanup_blob_writer __attribute__((cleanup(pyoci_blob_writer_abortp)))
/* Many blobs at once: publish each (verify, fsync, link into blobs/; frees
 * w), then sync the blobs directory once before anything refers to them. */
int pyoci_blob_writer_publish(pyoci_blob_writer_t *w, const char *expected_digest, pyoci_error_t **err);
int pyoci_store_sync_blobs(pyoci_store_t *s, pyoci_error_t **err);
/* Adapter usable as a pyoci_sink_fn (ctx = the writer). */
int pyoci_blob_writer_sink(void *w, const void *buf, size_t len, pyoci_error_t **err);

/* ---- images (index.json) ---- */
typedef struct {
  char digest[PYOCI_DIGEST_LEN]; /* manifest digest */
  char *media_type;
  int64_t size;
  char *name; /* familiar ref ("app:latest") or NULL for untagged */
} pyoci_index_entry_t;

/* All index entries (one per name; untagged ones with name NULL). */
int pyoci_store_list(pyoci_store_t *s, pyoci_index_entry_t **entries, size_t *n, pyoci_error_t **err);
void pyoci_index_entries_free(pyoci_index_entry_t *entries, size_t n);

/* Resolve what a user typed to a manifest digest: a name (normalised), a
 * name@digest, a manifest digest, a full image ID (config digest, with or
 * without "sha256:") or a unique prefix of one (any length, like Docker's
 * short IDs; "sha256:" may precede it).  A name is tried before an ID prefix.
 * PYOCI_E_NOT_FOUND ("No such image: REF") when nothing matches,
 * PYOCI_E_INVALID when a prefix matches several images. */
int pyoci_store_resolve(pyoci_store_t *s, const char *ref, char manifest_digest[PYOCI_DIGEST_LEN],
                        pyoci_error_t **err);

/* The image ID Docker would show: the config digest of a manifest (for an
 * index, of the manifest this host would run; else the index digest). */
int pyoci_store_image_id(pyoci_store_t *s, const char *manifest_digest, char id[PYOCI_DIGEST_LEN],
                         pyoci_error_t **err);

/* Record a manifest (its blob must exist) under name (familiar or not; NULL
 * = untagged).  A name moves from any image that held it; an image left with
 * no name stays as an untagged entry. */
int pyoci_store_add_image(pyoci_store_t *s, const char *manifest_digest, const char *media_type, int64_t size,
                          const char *name, pyoci_error_t **err);
/* Remove one name.  PYOCI_E_NOT_FOUND if absent.  The image stays untagged
 * only if untagged_keep; otherwise its entry goes when no name is left. */
int pyoci_store_untag(pyoci_store_t *s, const char *name, bool untagged_keep, pyoci_error_t **err);
/* Remove every entry for this manifest digest. */
int pyoci_store_remove_image(pyoci_store_t *s, const char *manifest_digest, pyoci_error_t **err);

/* Remove every untagged entry; *removed = how many. */
int pyoci_store_remove_untagged(pyoci_store_t *s, size_t *removed, pyoci_error_t **err);

/* Delete blobs no index entry reaches (manifest -> config + layers, index ->
 * manifests) and stale tmp/ files.  Takes the exclusive lock. */
int pyoci_store_gc(pyoci_store_t *s, uint64_t *freed_bytes, size_t *freed_blobs, pyoci_error_t **err);
/* Remove untagged entries (then gc). */
int pyoci_store_prune(pyoci_store_t *s, size_t *removed_images, uint64_t *freed_bytes, pyoci_error_t **err);

/* Check the whole store: layout file, index.json, every blob's digest and
 * size, every reference reachable.  Each problem is reported through report()
 * (one line each); returns the number of problems, or -1 on a fatal error. */
typedef void (*pyoci_fsck_report_fn)(void *ctx, const char *problem);
int pyoci_store_fsck(pyoci_store_t *s, pyoci_fsck_report_fn report, void *ctx, pyoci_error_t **err);

/* The same with counts for a summary, and optional repair: remove corrupt
 * blobs and index entries whose manifest is missing or damaged, and clear
 * tmp/ (under the exclusive lock).  Problems repaired are still counted. */
typedef struct {
  size_t images;             /* index entries */
  size_t blobs_verified;     /* referenced blobs rehashed */
  size_t unreferenced_blobs; /* present but unreachable (prune removes them) */
  uint64_t unreferenced_bytes;
  size_t repaired;
} pyoci_fsck_stats_t;
int pyoci_store_fsck_full(pyoci_store_t *s, bool repair, pyoci_fsck_report_fn report, void *ctx,
                          pyoci_fsck_stats_t *stats, pyoci_error_t **err);

#endif
