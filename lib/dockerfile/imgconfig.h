/* What the metadata instructions do to an image config, exactly as
 * BuildKit's dispatchers write it (Docker field names and value formats):
 *
 *   ENV        config.Env "K=V", replacing an existing K in place
 *   LABEL      config.Labels
 *   EXPOSE     config.ExposedPorts {"80/tcp":{}}, ranges expanded
 *   USER       config.User
 *   WORKDIR    config.WorkingDir, relative to the previous one, cleaned
 *   VOLUME     config.Volumes {"/data":{}}
 *   STOPSIGNAL config.StopSignal (validated: name, SIGNAME or number)
 *   HEALTHCHECK config.Healthcheck {Test, Interval, Timeout, StartPeriod,
 *              StartInterval (ns), Retries}, zero values omitted
 *   ONBUILD    config.OnBuild += trigger text
 *   CMD        config.Cmd (shell form wrapped in config.Shell or
 *              /bin/sh -c), config.ArgsEscaped = true
 *   ENTRYPOINT config.Entrypoint; config.Cmd is dropped unless a CMD came
 *              earlier in this stage (BuildKit's cmd.IsSet)
 *   SHELL      config.Shell
 *   MAINTAINER author (top level)
 *
 * `image` is the whole image config document ({"architecture":..,
 * "config":{..}, ...}); "config" is created when missing.  Instructions
 * must already be expanded (plan.h: pyoci_stage_state_expand). */
#ifndef PYOCI_DOCKERFILE_IMGCONFIG_H
#define PYOCI_DOCKERFILE_IMGCONFIG_H

#include <jansson.h>
#include <stdbool.h>

#include "dockerfile.h"
#include "lib/util/error.h"

#define PYOCI_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* The "config" object of image, created if absent.  Borrowed reference. */
json_t *pyoci_imgconfig_config(json_t *image);

/* Apply one metadata instruction.  *cmd_set tracks whether CMD ran in this
 * stage (start each stage with false).  Returns 1 when applied, 0 when the
 * instruction is not a metadata one (FROM RUN COPY ADD ARG), <0 on error
 * (message without a file:line prefix). */
int pyoci_imgconfig_apply(json_t *image, const pyoci_df_instr_t *in, bool *cmd_set, pyoci_error_t **err);

/* config.Env helpers. */
void pyoci_imgconfig_env_set(json_t *image, const char *key, const char *value);
const char *pyoci_imgconfig_env_get(json_t *image, const char *key);

/* The shell-form wrapper: config.Shell (or ["/bin/sh","-c"]) + the words
 * joined by spaces.  New JSON array. */
json_t *pyoci_imgconfig_with_shell(json_t *image, char *const *words, size_t n);

/* EXPOSE syntax ("80", "80/udp", "8000-8010/tcp") into ExposedPorts keys. */
int pyoci_imgconfig_expose(json_t *image, const char *spec, pyoci_error_t **err);
/* The "port/proto" entries EXPOSE specs stand for, in order (bad specs
 * skipped: apply reports them); the caller frees each and the vector. */
void pyoci_imgconfig_expose_list(char *const *specs, size_t n, char ***ports, size_t *n_ports);

/* moby/sys/signal.ParseSignal: 0 when valid. */
int pyoci_parse_signal(const char *s, int *signo);

#endif
