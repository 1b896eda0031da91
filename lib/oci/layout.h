/* OCI image layout directories (skopeo's and umoci's oci:DIR[:REF]) as a
 * copy source and destination.  Import verifies every blob on its way into
 * the store; export writes blobs (temp + fsync + rename) before index.json,
 * which is replaced atomically, so a killed copy leaves DIR as it was plus
 * at most some unreferenced blobs. */
#ifndef PYOCI_OCI_LAYOUT_H
#define PYOCI_OCI_LAYOUT_H

#include "lib/util/error.h"
#include "lib/util/hash.h"
#include "store.h"

/* Copy the image REF (its org.opencontainers.image.ref.name; NULL = the
 * only one) of layout dir into the store, untagged; digest = its manifest
 * or index. */
int pyoci_layout_import(pyoci_store_t *s, const char *dir, const char *ref, char digest[PYOCI_DIGEST_LEN],
                        pyoci_error_t **err);
/* Write the store's manifest (or index) digest and everything it refers
 * to into layout dir (created when missing), named ref (may be NULL). */
int pyoci_layout_export(pyoci_store_t *s, const char *digest, const char *dir, const char *ref, pyoci_error_t **err);

#endif
