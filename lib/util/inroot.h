/* Untrusted paths inside a root directory: the one place pyoci resolves a
 * path that came from a build context, an image or a Dockerfile (bind
 * sources, mount targets, COPY sources and destinations).
 *
 *   pyoci_open_in_root     openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS):
 *                          "..", absolute and relative symlinks all stay
 *                          inside root, as if root were "/".
 *   pyoci_resolve_in_root  the same walk as a string (what runc's securejoin
 *                          computes): every symlink followed inside root, a
 *                          missing tail kept as written.  For places that
 *                          must name the real path, e.g. the mount points a
 *                          RUN step leaves in its layer.
 *   pyoci_pin_in_root      an O_PATH fd opened in root: what it names can no
 *                          longer change, whatever is renamed or swapped in.
 *   pyoci_pin_publish      that fd bind-mounted onto a fresh mount point in a
 *                          directory only pyoci writes, for a process that
 *                          needs a path (runc: a /proc/<pid>/fd path will not
 *                          do, the kernel refuses to bind a mount of another
 *                          mount namespace).  Re-resolving that path finds
 *                          the mount point, i.e. the pinned object.
 *
 * Anything handed to runc or mount(2) that came from outside goes through a
 * pin; docs/fuzzing.md lists the audit. */
#ifndef PYOCI_UTIL_INROOT_H
#define PYOCI_UTIL_INROOT_H

#include "error.h"

/* An fd for rel ("" = root itself) resolved inside root_fd, or -1 with
 * errno set (EXDEV/ELOOP/ENOENT...). */
int pyoci_open_in_root(int root_fd, const char *rel, int flags);

/* The clean relative path ("" = root) that path (absolute or relative)
 * names inside root once every symlink is followed inside root; missing
 * components are kept lexically.  More than 40 links is ELOOP. */
int pyoci_resolve_in_root(int root_fd, const char *path, char **out, pyoci_error_t **err);

typedef struct {
  int fd;     /* O_PATH, owned; -1 when unset */
  char *path; /* after pyoci_pin_publish: the mount point */
} pyoci_pin_t;

#define PYOCI_PIN_INIT {.fd = -1, .path = NULL}

/* Pin rel inside root_fd (what = the user's name for it, for messages).
 * flags may add O_DIRECTORY or O_NOFOLLOW to O_PATH. */
int pyoci_pin_in_root(int root_fd, const char *rel, int flags, const char *what, pyoci_pin_t *out,
                      pyoci_error_t **err);
/* Bind the pinned object onto at (created: an empty file or directory, as
 * the object is); at's parent must be private to pyoci. */
int pyoci_pin_publish(pyoci_pin_t *p, const char *at, pyoci_error_t **err);
/* Unmount and remove the published path, close the fd. */
void pyoci_pin_release(pyoci_pin_t *p);

#endif
