/* `pyoci build`: runs a planned Dockerfile (plan.h) stage by stage.
 *
 *  - metadata instructions change the image config (stage.c / imgconfig.c);
 *  - RUN, COPY, ADD and a WORKDIR that creates its directory run on an
 *    overlay of the stage's layers (step.h) and their upper dir becomes the
 *    layer; RUN goes through runc (runtime.h) with the host network by
 *    default;
 *  - each of those steps is looked up in the build cache first (cache.h);
 *  - the target stage is committed to the store and tagged.
 * A failure leaves the store's images untouched (cached layers of steps that
 * succeeded stay, as in Docker). */
#ifndef PYOCI_BUILDER_EXECUTOR_H
#define PYOCI_BUILDER_EXECUTOR_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/oci/store.h"
#include "lib/runtime/runtime.h"
#include "lib/util/error.h"
#include "lib/util/hash.h"
#include "lib/dockerfile/run_mount.h"

typedef struct {
  const char *context;                 /* build context directory */
  const char *dockerfile;              /* NULL = <context>/Dockerfile */
  const char *const *tags;
  size_t n_tags;
  const char *const *build_args;       /* "K=V" */
  size_t n_build_args;
  const char *target;                  /* --target */
  bool no_cache;
  bool network_none;                   /* --network none (default: host) */
  const pyoci_build_secret_t *secrets; /* --secret values for RUN --mount=type=secret */
  size_t n_secrets;
  /* "[stage 2/5] RUN ..." headers, "CACHED" marks and RUN output lines. */
  void (*on_step)(void *ctx, const char *stage, size_t n, size_t total, const char *text, bool cached);
  pyoci_output_fn on_output;
  void *ctx;
} pyoci_build_opts_t;

int pyoci_build(pyoci_store_t *s, const pyoci_build_opts_t *o, char manifest_digest[PYOCI_DIGEST_LEN],
                pyoci_error_t **err);

#endif
