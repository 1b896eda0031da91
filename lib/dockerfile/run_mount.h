/* RUN --mount specs, read as BuildKit reads them: one CSV record
 * ("type=cache,target=/root/.cache,sharing=locked"; a field may be quoted,
 * "" inside quotes is a quote), keys case-insensitive, type=bind by default.
 *
 * The parser runs twice.  When the Dockerfile is parsed (expand == NULL)
 * every spec whose values hold no variable is checked completely, so a
 * mistake is a "Dockerfile:N:" error before anything runs; a spec with a
 * "$" in a value is only checked for its syntax and keys (deferred) and is
 * checked in full when the step runs, with its values expanded against the
 * stage's ARG/ENV.  "from" never takes variables (BuildKit's rule).
 *
 * What a mount does is the executor's (run_mounts.h); this file only says
 * what was asked for. */
#ifndef PYOCI_DOCKERFILE_RUN_MOUNT_H
#define PYOCI_DOCKERFILE_RUN_MOUNT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/util/error.h"

#define PYOCI_RUN_MOUNT_MAX_SPEC 8192u /* bytes of one --mount value */
#define PYOCI_RUN_MOUNT_MAX 64u        /* --mount flags on one RUN */

typedef enum {
  PYOCI_MOUNT_BIND,
  PYOCI_MOUNT_CACHE,
  PYOCI_MOUNT_TMPFS,
  PYOCI_MOUNT_SECRET,
  PYOCI_MOUNT_SSH,
} pyoci_mount_type_t;

typedef enum {
  PYOCI_SHARING_SHARED,
  PYOCI_SHARING_PRIVATE,
  PYOCI_SHARING_LOCKED,
} pyoci_mount_sharing_t;

typedef struct {
  pyoci_mount_type_t type;
  char *target;  /* as written; secrets: defaulted to /run/secrets/<id> unless env is set */
  char *source;  /* path inside from (bind, cache) */
  char *from;    /* stage name/index or image; NULL = the build context (bind) / empty (cache) */
  char *id;      /* cache: defaulted to target; secret: id, else source, else basename(target) */
  char *env;     /* secret: also (or only) expose it as this environment variable */
  bool readonly; /* bind and secret: true unless rw; cache and tmpfs: false unless ro */
  bool required; /* secret */
  pyoci_mount_sharing_t sharing;
  int64_t mode, uid, gid; /* -1 when not given */
  int64_t size;           /* tmpfs bytes, 0 = no limit */
  bool deferred;          /* values hold variables: checked only after expansion */
} pyoci_run_mount_t;

/* A value given with pyoci build --secret. */
typedef struct {
  const char *id;
  const char *data;
  size_t len;
} pyoci_build_secret_t;

/* Expand one value; returns a malloc'ed string or NULL with *err set. */
typedef char *(*pyoci_mount_expand_fn)(void *ctx, const char *value, pyoci_error_t **err);

/* Parse one --mount value into *m (zeroed first; release it even on error).
 * Errors are one line, without a "file:line:" prefix. */
int pyoci_run_mount_parse(const char *spec, pyoci_mount_expand_fn expand, void *ctx, pyoci_run_mount_t *m,
                          pyoci_error_t **err);
void pyoci_run_mount_release(pyoci_run_mount_t *m);

const char *pyoci_mount_type_name(pyoci_mount_type_t t);
const char *pyoci_mount_sharing_name(pyoci_mount_sharing_t s);

/* What a mount is, for the step's cache key: everything the spec says,
 * nothing about what a cache directory or a secret holds. */
json_t *pyoci_run_mount_json(const pyoci_run_mount_t *m);

/* docker's RAMInBytes: "64m", "1.5g", "100kb", "4096" (binary units). */
int pyoci_mount_parse_size(const char *s, int64_t *out);

#endif
