/* Layers as byte streams: deterministic tar writing, parallel compression,
 * reading and safe unpacking.  Nothing here knows the store: lib/image/
 * turns these streams into store content (layer_store.h).
 *
 *   dir --tar_write--> [diff_id sha256] --compress--> [digest sha256] --> sink
 *   fd  --tar_read(libarchive, any compression)--> entries  (analysis/scan)
 *   fd  --unpack--> directory  (whiteouts applied, nothing outside root)
 */
#ifndef PYOCI_LAYER_LAYER_H
#define PYOCI_LAYER_LAYER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/util/error.h"
#include "lib/util/hash.h"

/* Where bytes go: return <0 with err filled to stop. */
typedef int (*pyoci_sink_fn)(void *ctx, const void *buf, size_t len, pyoci_error_t **err);

/* Layers are written with NONE, GZIP or ZSTD; XZ and BZIP2 are only read
 * (from archives).  The properties of each are in codec.h's table. */
typedef enum {
  PYOCI_COMP_NONE = 0,
  PYOCI_COMP_GZIP = 1,
  PYOCI_COMP_ZSTD = 2,
  PYOCI_COMP_XZ = 3,
  PYOCI_COMP_BZIP2 = 4,
} pyoci_comp_t;

typedef struct {
  pyoci_comp_t comp;           /* default gzip */
  int level;                   /* 0 = default (gzip 6, zstd 3) */
  int threads;                 /* 0 = all cores ($PYOCI_THREADS overrides) */
  int64_t source_date_epoch;   /* <0: keep mtimes; else clamp mtimes to it */
  bool overlay_whiteouts;      /* dir is an overlay upper dir: convert its
                                  whiteouts (0/0 char devs, opaque xattrs) */
} pyoci_layer_opts_t;

/* Defaults, with source_date_epoch from the settings (SOURCE_DATE_EPOCH, settings.h). */
void pyoci_layer_opts_init(pyoci_layer_opts_t *o);
/* Resolve a thread count: n > 0 as is; 0 = the settings' threads
 * ($PYOCI_THREADS, read by the CLI) or nproc, at most 64.  Also what other
 * CPU-bound stages (decompressing .debs) use. */
int pyoci_layer_threads(int n);

/* ---- compression (multi-member gzip; output identical for any thread count) ---- */
typedef struct pyoci_compressor pyoci_compressor_t;
pyoci_compressor_t *pyoci_compressor_new(pyoci_comp_t comp, int level, int threads, pyoci_sink_fn sink, void *ctx);
int pyoci_compressor_write(pyoci_compressor_t *c, const void *buf, size_t len, pyoci_error_t **err);
int pyoci_compressor_finish(pyoci_compressor_t *c, pyoci_error_t **err); /* flushes; frees c */
void pyoci_compressor_free(pyoci_compressor_t *c);
static inline void pyoci_compressor_freep(pyoci_compressor_t **c)
{
  pyoci_compressor_free(*c);
}
#define cleanup_compressor __attribute__((cleanup(pyoci_compressor_freep)))

/* ---- deterministic tar of a directory tree ----
 * Entries sorted bytewise by path, parents first; numeric uid/gid, no
 * uname/gname; PAX records for long names, big files, and xattrs; hard links
 * for inodes seen before; mtimes clamped to source_date_epoch. */
int pyoci_tar_dir(const char *dir, const pyoci_layer_opts_t *opts, pyoci_sink_fn sink, void *ctx,
                  pyoci_error_t **err);

/* ---- reading ---- */
typedef enum {
  PYOCI_TAR_FILE,
  PYOCI_TAR_DIR,
  PYOCI_TAR_SYMLINK,
  PYOCI_TAR_HARDLINK,
  PYOCI_TAR_CHAR,
  PYOCI_TAR_BLOCK,
  PYOCI_TAR_FIFO,
} pyoci_tar_type_t;

typedef struct {
  const char *path;  /* cleaned: no leading "./" or "/", no trailing "/" ("" = root) */
  pyoci_tar_type_t type;
  int64_t size;      /* content bytes (0 for non-files) */
  mode_t mode;       /* permission bits incl. suid/sgid/sticky */
  int64_t uid, gid;
  int64_t mtime;
  const char *link;  /* symlink target (verbatim) or hardlink target path (cleaned) */
  unsigned dev_major, dev_minor;
} pyoci_tar_entry_t;

typedef struct pyoci_tar_reader pyoci_tar_reader_t;
/* Open a tar stream (plain, gzip, zstd, xz: detected) from fd; `what` names
 * it in errors.  The reader does not own fd. */
int pyoci_tar_reader_open(int fd, const char *what, pyoci_tar_reader_t **out, pyoci_error_t **err);
/* The same, also checking that the uncompressed stream hashes to diff_id
 * (NULL: no check), for whoever keeps what it reads under that diff_id:
 * the config's word for it is not proof.  The check ends when next returns
 * the end (so read to there before trusting anything), which fails instead,
 * PYOCI_E_CORRUPT: "read 'WHAT': content hashes to X, not to its diff_id D".
 * For xz and bzip2 (which libarchive decodes) the check is a pass of its
 * own in open, so fd must be seekable for them. */
int pyoci_tar_reader_open_verified(int fd, const char *what, const char *diff_id, pyoci_tar_reader_t **out,
                                   pyoci_error_t **err);
/* Next entry: 1 = got one, 0 = end, -1 = error (truncated/garbage/too big). */
int pyoci_tar_reader_next(pyoci_tar_reader_t *r, pyoci_tar_entry_t *e, pyoci_error_t **err);
/* Read the current entry's content; returns bytes read, 0 at end, -1 error.
 * A sparse file reads whole, its holes as zeros (all e->size bytes). */
ssize_t pyoci_tar_reader_read(pyoci_tar_reader_t *r, void *buf, size_t len, pyoci_error_t **err);
/* Or (never both for one entry) its data blocks with their offsets, holes
 * left out: 1 = *buf holds *len bytes for *offset, 0 = end, -1 = error (a
 * block past e->size).  The file is e->size long whatever the blocks cover:
 * a writer extends it to that (ftruncate) for a trailing hole. */
int pyoci_tar_reader_read_block(pyoci_tar_reader_t *r, const void **buf, size_t *len, int64_t *offset,
                                pyoci_error_t **err);
/* The current entry's content whole: at most size bytes (the caller has
 * bounded size), NUL-terminated in a new buffer, *len what was there. */
int pyoci_tar_reader_read_all(pyoci_tar_reader_t *r, size_t size, char **out, size_t *len, pyoci_error_t **err);
/* Extended attributes of the current entry (PAX SCHILY.xattr.*): i = 0, 1,
 * ... until it returns false.  Valid until the next pyoci_tar_reader_next. */
bool pyoci_tar_reader_xattr(pyoci_tar_reader_t *r, size_t i, const char **name, const void **value, size_t *len);
void pyoci_tar_reader_free(pyoci_tar_reader_t *r);
static inline void pyoci_tar_reader_freep(pyoci_tar_reader_t **r)
{
  pyoci_tar_reader_free(*r);
}
#define cleanup_tar_reader __attribute__((cleanup(pyoci_tar_reader_freep)))

/* Read a whole layer (any compression) and refuse what unpacking would
 * refuse: absolute names, names or hardlink targets with "..", whiteouts
 * of "." or "..", broken or oversized headers.  Run by load and
 * pull --check-layers at the door, so a hostile image is refused before it
 * is tagged, not when a build unpacks it.  Symlink targets are not
 * refused, wherever they point: unpacking resolves them inside the root,
 * as Docker's chrooted extraction does, so refusing them would refuse
 * images Docker runs.  diff_id (NULL: not checked): the uncompressed
 * stream must hash to it (pyoci_tar_reader_open_verified). */
int pyoci_layer_validate(int fd, const char *what, const char *diff_id, pyoci_error_t **err);

/* The same check on a layer that arrives in chunks (a download): feed the
 * bytes as they come; a thread validates them on the way, and a refusal
 * makes the next feed fail, so the transfer stops early.  finish returns
 * the verdict once every byte was fed; both finish and abort free c. */
typedef struct pyoci_layer_check pyoci_layer_check_t;
int pyoci_layer_check_start(const char *what, const char *diff_id, pyoci_layer_check_t **out, pyoci_error_t **err);
int pyoci_layer_check_feed(pyoci_layer_check_t *c, const void *buf, size_t len, pyoci_error_t **err);
int pyoci_layer_check_finish(pyoci_layer_check_t *c, pyoci_error_t **err);
void pyoci_layer_check_abort(pyoci_layer_check_t *c);

/* OCI whiteouts: ".wh.NAME" deletes NAME; ".wh..wh..opq" empties its dir. */
bool pyoci_is_whiteout(const char *path, const char **target_name);
bool pyoci_is_opaque_whiteout(const char *path);

/* ---- unpacking ----
 * Apply a layer (any compression) on top of root.  Rejects, naming the entry:
 * "..", absolute link escapes, writes through symlinks, hard links outside the
 * root, whiteouts escaping the root, devices unless allow_devices.  Never
 * creates anything outside root (openat2 RESOLVE_IN_ROOT | NO_MAGICLINKS). */
typedef struct {
  bool allow_devices;  /* default: true when running as root */
  bool keep_owner;     /* chown to tar uid/gid (default: when root) */
  bool as_overlay_lower; /* represent whiteouts as overlay 0/0 char devs
                            instead of deleting (for stacking lowerdirs) */
  bool empty_root;       /* root starts empty: only what this layer made can
                            be in the way, so nothing else is looked up */
  bool mkdir_through_links; /* ADD: a dangling symlink on an entry's path is
                               followed (inside root) and its target made */
  const char *expect_diff_id; /* the layer must hash to this uncompressed
                                 (pyoci_tar_reader_open_verified); NULL: any */
} pyoci_unpack_opts_t;
void pyoci_unpack_opts_init(pyoci_unpack_opts_t *o);
int pyoci_unpack_layer(int fd, const char *what, const char *root, const pyoci_unpack_opts_t *opts,
                       pyoci_error_t **err);

#endif
