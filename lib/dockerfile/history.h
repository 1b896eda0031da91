/* The history line ("created_by") of each step, in the words BuildKit's
 * Dockerfile frontend uses: `docker history`, `pyoci layers` and anything
 * else that reads an image's history show a pyoci image as they would the
 * same Dockerfile built by BuildKit (ENV with expanded values, CMD as Go's
 * %q of the array, RUN prefixed with "|N K=V" for the stage's ARGs, COPY
 * with --chown/--chmod, "# buildkit" after steps with a layer). */
#ifndef PYOCI_DOCKERFILE_HISTORY_H
#define PYOCI_DOCKERFILE_HISTORY_H

#include <jansson.h>
#include <stdint.h>

#include "dockerfile.h"
#include "expand.h"
#include "lib/util/strbuf.h"

/* A metadata instruction's line, ex expanded and already applied to image;
 * NULL for ONBUILD (BuildKit records none) and ARG (the stage state makes
 * that one, it knows the values). */
char *pyoci_df_history_meta(json_t *image, const pyoci_df_instr_t *ex);
/* RUN: declared = the stage's ARGs in declaration order ("K=V", "K=" when
 * none), env = the RUN's environment (which value each shows). */
char *pyoci_df_history_run(const pyoci_env_t *declared, const pyoci_env_t *env, char *const *argv, size_t argc);
/* COPY/ADD, ex expanded. */
char *pyoci_df_history_copy(const pyoci_df_instr_t *ex);
/* Go's time.Duration.String(). */
void pyoci_go_duration(strbuf_t *sb, int64_t ns);

#endif
