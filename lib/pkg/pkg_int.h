/* Pieces of the pkg module shared between its files, not part of its API. */
#ifndef PYOCI_PKG_PKG_INT_H
#define PYOCI_PKG_PKG_INT_H

#include <stddef.h>

#include "catalog.h"
#include "fsview.h"

/* owner.c: fill owner / owner_type / owner_distro of r's Python packages
 * from the file lists among entries. */
void pyoci_owner_resolve(pyoci_catalog_result_t *r, const pyoci_fsv_entry_t *const *entries, size_t n);

/* lockfile.c: pyoci_lockfile_include_fn reading "-r FILE" (relative to the
 * including file) inside the directory ctx names, never outside it. */
int pyoci_lockfile_include_in_root(void *ctx, const char *from, const char *file, char **path, char **buf, size_t *len,
                               pyoci_error_t **err);

#endif
