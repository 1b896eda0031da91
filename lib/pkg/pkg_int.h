/* Pieces of the pkg module shared between its files, not part of its API. */
#ifndef PYOCI_PKG_PKG_INT_H
#define PYOCI_PKG_PKG_INT_H

#include <stddef.h>

#include "catalog.h"
#include "fsview.h"
#include "stanza.h"

/* owner.c: fill owner / owner_type / owner_distro of r's Python packages
 * from the file lists among entries. */
void pyoci_owner_resolve(pyoci_catalog_result_t *r, const pyoci_fsv_entry_t *const *entries, size_t n);

/* lockfile.c: pyoci_lockfile_include_fn reading "-r FILE" (relative to the
 * including file) inside the directory ctx names, never outside it. */
int pyoci_lockfile_include_in_root(void *ctx, const char *from, const char *file, char **path, char **buf, size_t *len,
                               pyoci_error_t **err);

/* stanza.c: the loop of a database that lists one package a stanza (dpkg
 * status, apk installed).  one() fills p from the stanza in r and returns 1,
 * skips the stanza (0) or fails (-1, err set, p cleared).  A package with no
 * source of its own is its own source (name and version), as both databases
 * mean it; then it goes to add(). */
typedef int (*pyoci_pkg_stanza_fn)(const pyoci_stanza_reader_t *r, pyoci_pkg_t *p, pyoci_error_t **err);
int pyoci_pkg_parse_stanzas(const char *path, const char *content, size_t len, bool continuations,
                            pyoci_pkg_stanza_fn one, pyoci_pkg_add_fn add, void *ctx, pyoci_error_t **err);

#endif
