/* Private pieces shared by store.c (layout, blobs), store_index.c
 * (index.json), store_gc.c and store_fsck.c.  Not for use outside lib/oci. */
#ifndef PYOCI_OCI_STORE_INTERNAL_H
#define PYOCI_OCI_STORE_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "store.h"

struct pyoci_store {
  char *path;
  int dir_fd;    /* the store directory */
  int lock_fd;   /* .lock: LOCK_SH for the handle's lifetime, LOCK_EX in gc */
  int tmp_fd;    /* tmp/ */
  int blobs_fd;  /* blobs/sha256/ */
  /* Names under tmp/ this handle is still using (blob writers, mkdtemp):
   * gc leaves them alone even while it holds the exclusive lock. */
  char **tmp_in_use;
  size_t n_tmp_in_use;
};

void pyoci_store_tmp_claim(pyoci_store_t *s, const char *name);
void pyoci_store_tmp_release(pyoci_store_t *s, const char *name);
bool pyoci_store_tmp_claimed(const pyoci_store_t *s, const char *name);

/* Take index.lock exclusively; returns the fd (close it to unlock). */
int pyoci_store_lock_index(pyoci_store_t *s, pyoci_error_t **err);

/* index.json as a JSON object; a missing file is an empty index. */
json_t *pyoci_store_index_load(pyoci_store_t *s, pyoci_error_t **err);

/* A sorted set of digests (for reachability). */
typedef struct {
  char **v;
  size_t n, cap;
  bool sorted;
} pyoci_digest_set_t;
void pyoci_digest_set_add(pyoci_digest_set_t *set, const char *d);
bool pyoci_digest_set_has(pyoci_digest_set_t *set, const char *d);
void pyoci_digest_set_free(pyoci_digest_set_t *set);

/* Collect every descriptor digest a manifest or index document refers to
 * (config, layers, manifests, subject, blobs); the document is parsed from
 * buf.  Returns 0, or -1 when buf is not a JSON object. */
int pyoci_store_doc_refs(const char *buf, size_t len, const char *what, pyoci_digest_set_t *out,
                         pyoci_error_t **err);

/* True when the doc's own media type (or shape) says it is an image index. */
bool pyoci_doc_is_index(const json_t *doc, const char *entry_media_type);

#endif
