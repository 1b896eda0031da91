/* The file source the catalogers read: a map from path (relative, cleaned,
 * no leading '/') to the content of the few files that matter, built from a
 * directory walk or from an image's layers applied in order.
 *
 * Only interesting paths are kept, so a whole image costs a few megabytes.
 * Each entry remembers the layer that last wrote it.  Layer semantics follow
 * the OCI image spec: a later layer's file replaces an earlier one (and
 * anything under it, when a directory became a file); a whiteout in layer N
 * deletes the path and its subtree as left by layers below N; an opaque
 * whiteout deletes a directory's children from layers below N. */
#ifndef PYOCI_PKG_FSVIEW_H
#define PYOCI_PKG_FSVIEW_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/util/error.h"

typedef enum { PYOCI_FSV_FILE, PYOCI_FSV_SYMLINK } pyoci_fsv_type_t;

typedef struct pyoci_fsv_entry {
  char *path;
  int layer;            /* -1 for a directory source */
  pyoci_fsv_type_t type;
  char *link;           /* symlink target as recorded */
  char *content;        /* NUL-terminated (not counted in len) */
  size_t len;
  struct pyoci_fsv_entry *next; /* hash chain */
} pyoci_fsv_entry_t;

typedef struct pyoci_fsview pyoci_fsview_t;

pyoci_fsview_t *pyoci_fsview_new(void);
void pyoci_fsview_free(pyoci_fsview_t *v);

const pyoci_fsv_entry_t *pyoci_fsview_get(const pyoci_fsview_t *v, const char *path);

/* Record a regular file; takes ownership of content (malloc'd, NUL-terminated)
 * even on failure.  Fails when the total kept would pass PYOCI_PKG_MAX_TOTAL. */
int pyoci_fsview_put_file(pyoci_fsview_t *v, const char *path, int layer, char *content, size_t len,
                          pyoci_error_t **err);
void pyoci_fsview_put_symlink(pyoci_fsview_t *v, const char *path, int layer, const char *target);

/* A non-directory that is not kept replaced whatever was at path. */
void pyoci_fsview_replaced(pyoci_fsview_t *v, const char *path, int layer);

/* Whiteout: delete path and everything under it written by layers < layer. */
void pyoci_fsview_whiteout(pyoci_fsview_t *v, const char *path, int layer);
/* Opaque whiteout: delete everything under dir ("" = root) from layers < layer. */
void pyoci_fsview_opaque(pyoci_fsview_t *v, const char *dir, int layer);

/* Follow recorded symlinks (at most 16) to a regular file; NULL if none. */
const pyoci_fsv_entry_t *pyoci_fsview_resolve(const pyoci_fsview_t *v, const char *path);

/* All entries sorted by path (the array is the caller's; entries are not). */
const pyoci_fsv_entry_t **pyoci_fsview_sorted(const pyoci_fsview_t *v, size_t *n);

/* Clean a path the way layers name entries: no leading "./" or "/", no
 * trailing "/", no "." components, ".." resolved but never above the root.
 * Returns a new string. */
char *pyoci_fsview_clean_path(const char *path);

#endif
