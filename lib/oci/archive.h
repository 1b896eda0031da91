/* Image archives: moving images between the store and single tar files.
 *
 *   docker-archive  what `docker save` writes and `docker load` reads:
 *                   manifest.json [{Config, RepoTags, Layers}], <hex>.json
 *                   configs, <id>/layer.tar uncompressed layers, repositories.
 *                   Docker 25+ writes the same manifest.json over an OCI
 *                   layout (blobs/sha256/..., index.json, oci-layout).
 *   oci-archive     an OCI image layout in a tar; tags in the
 *                   org.opencontainers.image.ref.name annotation (or
 *                   containerd's io.containerd.image.name).
 *
 * Loading streams the archive once: every member is spooled into a store
 * blob as it passes (manifest.json may come last), then the images are
 * verified against those blobs and only then tagged.  A failure tags
 * nothing; blobs written so far are merely unreferenced until gc.
 *
 * Saving resolves every reference first, then streams blobs out through a
 * deterministic tar writer (sorted members, fixed mtimes, owner 0).  The
 * parsers below are exposed for unit tests and the fuzz harness. */
#ifndef PYOCI_OCI_ARCHIVE_H
#define PYOCI_OCI_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/util/error.h"
#include "lib/util/hash.h"
#include "store.h"
#include "variant.h"

/* Limits for hostile archives. */
#define PYOCI_ARCHIVE_MAX_JSON (4u << 20)     /* manifest.json, index.json, repositories */
#define PYOCI_ARCHIVE_MAX_MEMBERS 100000
#define PYOCI_ARCHIVE_MAX_IMAGES 4096
#define PYOCI_ARCHIVE_MAX_TAGS 1024

typedef enum { PYOCI_ARCHIVE_DOCKER, PYOCI_ARCHIVE_OCI } pyoci_archive_format_t;

/* ---- manifest.json (docker-archive) ---- */
typedef struct {
  char *config;     /* cleaned member path */
  char **repo_tags; /* normalised familiar names ("app:1") */
  size_t n_repo_tags;
  char **layers;    /* cleaned member paths */
  size_t n_layers;
} pyoci_docker_manifest_entry_t;

/* Parse manifest.json; `what` names the archive in messages.  Member paths
 * are cleaned (no "..", not absolute); tags are normalised. */
int pyoci_docker_manifest_parse(const char *buf, size_t len, const char *what,
                                pyoci_docker_manifest_entry_t **out, size_t *n, pyoci_error_t **err);
void pyoci_docker_manifest_free(pyoci_docker_manifest_entry_t *e, size_t n);

/* ---- index.json (OCI layout) ---- */
typedef struct {
  char *media_type;
  char digest[PYOCI_DIGEST_LEN];
  int64_t size;
  char *name;      /* familiar name from the annotations, NULL when none */
  char *bare_tag;  /* a ref.name that is only a tag ("1.0") with no repository */
  char *os, *arch, *variant; /* platform, when given */
} pyoci_oci_index_entry_t;

int pyoci_oci_index_parse(const char *buf, size_t len, const char *what, pyoci_oci_index_entry_t **out,
                          size_t *n, pyoci_error_t **err);
void pyoci_oci_index_free(pyoci_oci_index_entry_t *e, size_t n);

/* Clean an archive member path: drop "." components, "/"-runs and a
 * trailing "/"; reject empty paths, absolute paths and ".." components.
 * Caller frees; NULL + err naming the member on rejection (callers add
 * which archive). */
char *pyoci_archive_clean_path(const char *path, pyoci_error_t **err);

/* ---- load ---- */
typedef struct {
  char manifest_digest[PYOCI_DIGEST_LEN];
  char image_id[PYOCI_DIGEST_LEN]; /* config digest */
  char **names;                    /* tags given to it (familiar) */
  size_t n_names;
} pyoci_loaded_image_t;

/* Read a docker-archive or oci-archive (plain, gzip, zstd or xz) from fd
 * and add its images to the store.  `what` names the archive in errors. */
int pyoci_archive_load(pyoci_store_t *s, int fd, const char *what, pyoci_loaded_image_t **out, size_t *n,
                       pyoci_error_t **err);
void pyoci_loaded_images_free(pyoci_loaded_image_t *v, size_t n);

/* ---- save ---- */
/* Write the images refs[0..n) to fd as one archive.  Every ref is resolved
 * before the first byte is written. */
int pyoci_archive_save(pyoci_store_t *s, const char *const *refs, size_t n, pyoci_archive_format_t fmt, int fd,
                       const char *what, pyoci_error_t **err);
/* Same into path (lib/util/outfile.h): an unnamed temp file linked in or
 * swapped over a regular file, nothing left on error or kill; a device,
 * FIFO or symlink is written through, never replaced. */
int pyoci_archive_save_file(pyoci_store_t *s, const char *const *refs, size_t n, pyoci_archive_format_t fmt,
                            const char *path, pyoci_error_t **err);

/* Saving with options: for PYOCI_ARCHIVE_OCI, layers (when not NULL) says
 * the compression every layer is written in (variants made once and cached,
 * see variant.h; the manifest is rewritten to name them, the config and so
 * the image ID stay).  NULL = blobs as stored.  The docker format writes
 * uncompressed layers and takes no layers option (PYOCI_E_INVALID). */
typedef struct {
  pyoci_archive_format_t fmt;
  const pyoci_variant_spec_t *layers;
} pyoci_save_opts_t;
int pyoci_archive_save_opts(pyoci_store_t *s, const char *const *refs, size_t n, const pyoci_save_opts_t *o, int fd,
                            const char *what, pyoci_error_t **err);
int pyoci_archive_save_file_opts(pyoci_store_t *s, const char *const *refs, size_t n, const pyoci_save_opts_t *o,
                                 const char *path, pyoci_error_t **err);

/* RFC 3339 time ("2024-01-02T03:04:05.123Z", "+01:00" offsets) to Unix
 * seconds; -1 when unparsable. */
int64_t pyoci_parse_rfc3339(const char *s);

#endif
