/* Shared inside lib/container only. */
#ifndef PYOCI_CONTAINER_CONTAINER_INT_H
#define PYOCI_CONTAINER_CONTAINER_INT_H

#include "container.h"

/* <store>/containers */
char *pyoci_containers_dir(const char *store_path);
/* <container dir>/<name> */
char *pyoci_container_path(const pyoci_container_t *c, const char *name);
int pyoci_container_save(const pyoci_container_t *c, pyoci_error_t **err);
int pyoci_container_load(const char *dir, pyoci_container_t **out, pyoci_error_t **err);
int pyoci_container_new_id(char id[65], pyoci_error_t **err);
void pyoci_container_gen_name(const char *id, char *buf, size_t len);
/* id's generated name, or with 2, 3, ... added when a container in v has
 * it (docker's names generator also adds a number to a taken name): only
 * 400 adjective_surname pairs exist, and a generated name must never make
 * a run or a debug toolbox fail with a name conflict. */
char *pyoci_container_free_name(const char *id, pyoci_container_t *const *v, size_t n);
/* The runtime handle of a container (its own state root, the runtime id). */
void pyoci_container_runc(const pyoci_container_t *c, pyoci_runc_t *r, char **state_root);
/* Unmount the root, delete the runtime state; with rm remove everything. */
void pyoci_container_teardown(const pyoci_container_t *c, bool rm);

/* docker's PATH for a process whose image sets none. */
#define PYOCI_CONTAINER_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
/* The command must be an executable file in root (command.c): PATH
 * searched when prog has no '/', a relative prog taken from cwd.  Errors
 * carry docker's words, which the CLI maps to its exit statuses:
 * PYOCI_E_NOT_FOUND 'exec: "X": executable file not found in $PATH' (127),
 * PYOCI_E_INVALID 'exec: "X": permission denied' (126). */
int pyoci_container_check_command(const char *root, const char *prog, const char *path, const char *cwd,
                                  pyoci_error_t **err);
/* The same for `exec` in a running container: looked up in its root
 * (/proc/PID/root) with the PATH and working directory the process will
 * get.  0 when it cannot look (runc then reports). */
int pyoci_container_check_exec(const pyoci_container_t *c, const pyoci_exec_spec_t *e, pyoci_error_t **err);

/* Log records (logs.c): docker's json-file lines. */
int pyoci_log_record(int fd, const char *stream, const char *data, size_t len);

#endif
