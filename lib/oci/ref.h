/* Image references, normalised the way Docker does it:
 *   app            -> docker.io/library/app:latest   (familiar: app:latest)
 *   me/app:1       -> docker.io/me/app:1             (familiar: me/app:1)
 *   localhost:5000/x/y:1 keeps its registry
 *   name@sha256:<hex> carries a digest (a tag may be present too).
 * The store records the familiar form as the OCI ref.name annotation. */
#ifndef PYOCI_OCI_REF_H
#define PYOCI_OCI_REF_H

#include <stdbool.h>

#include "lib/util/error.h"

typedef struct {
  char *domain; /* "docker.io", "localhost:5000", ... */
  char *path;   /* "library/app", "x/y" */
  char *tag;    /* NULL when only a digest was given */
  char *digest; /* "sha256:<hex>" or NULL */
} pyoci_ref_t;

/* Parse and normalise; adds tag "latest" when neither tag nor digest is given.
 * Rejects uppercase repository names, empty parts, bad tags (Docker's rules). */
int pyoci_ref_parse(const char *s, pyoci_ref_t *out, pyoci_error_t **err);
void pyoci_ref_free(pyoci_ref_t *r);
/* "app:latest", "me/app:1", "localhost:5000/x/y:1", "app@sha256:..." */
char *pyoci_ref_familiar(const pyoci_ref_t *r);
/* Repository only, familiar: "app", "localhost:5000/x/y". */
char *pyoci_ref_familiar_repo(const pyoci_ref_t *r);
/* "docker.io/library/app:latest" */
char *pyoci_ref_full(const pyoci_ref_t *r);
/* Split a name as the store keeps it ("me/app:1", "app@sha256:...") into
 * repository and tag, without normalising or checking: the tag is what
 * follows the last ':' after the last '/', up to an '@'.  *tag is NULL when
 * there is none.  Caller frees both. */
void pyoci_ref_split_name(const char *name, char **repo, char **tag);
/* Normalise a user string straight to its familiar form; NULL + err if invalid. */
char *pyoci_ref_normalize(const char *s, pyoci_error_t **err);

#endif
