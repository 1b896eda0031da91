/* Pieces of the pkg module shared between its files, not part of its API. */
#ifndef PYOCI_PKG_PKG_INT_H
#define PYOCI_PKG_PKG_INT_H

#include <stddef.h>

#include "catalog.h"
#include "fsview.h"

/* owner.c: fill owner / owner_type / owner_distro of r's Python packages
 * from the file lists among entries. */
void pyoci_owner_resolve(pyoci_catalog_result_t *r, const pyoci_fsv_entry_t *const *entries, size_t n);

#endif
