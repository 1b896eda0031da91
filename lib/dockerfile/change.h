/* `pyoci import --change`: one Dockerfile instruction applied to an image
 * config, the way `docker import/commit --change` applies it. */
#ifndef PYOCI_DOCKERFILE_CHANGE_H
#define PYOCI_DOCKERFILE_CHANGE_H

#include <jansson.h>
#include <stddef.h>

#include "lib/util/error.h"

/* Each of changes is one of CMD, ENTRYPOINT, ENV, EXPOSE, HEALTHCHECK,
 * LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR, applied in order as one
 * Dockerfile stage; variables expand against the config's Env as it is at
 * that point.  Errors are prefixed "--change 'TEXT'". */
int pyoci_changes_apply(json_t *config, const char *const *changes, size_t n, pyoci_error_t **err);

#endif
