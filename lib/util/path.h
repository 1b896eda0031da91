/* Lexical path normalisation: one function, one explicit mode per rule about
 * "..", because the places that clean paths really do need different rules
 * and six hand-written loops had drifted apart.  Purely textual: nothing is
 * looked up on disk (for untrusted paths resolved against a real directory,
 * use the in-root resolver in fs.h).
 *
 * All modes drop empty components (repeated '/') and ".".  Modes other than
 * PYOCI_PATH_GO return a relative path ("" is the root) whatever the input's
 * leading '/'. */
#ifndef PYOCI_UTIL_PATH_H
#define PYOCI_UTIL_PATH_H

#include <stdbool.h>

typedef enum {
  /* Any ".." component is an error, even one that would stay inside
   * ("a/../b").  Tar members and docker/oci-archive members: a name with
   * ".." is hostile whatever it resolves to. */
  PYOCI_PATH_REJECT_DOTDOT,
  /* ".." removes the previous component; one at the root stays at the root,
   * as the kernel resolves "/..".  Symlink targets inside an image's file
   * system view (pkg/fsview.c). */
  PYOCI_PATH_CLAMP,
  /* ".." removes the previous component; one at the root is an error.  COPY
   * sources in a build context, symlinks inside an archive. */
  PYOCI_PATH_NO_ESCAPE,
  /* Go's path.Clean, exactly: a rooted path stays rooted ("/.." is "/"), a
   * relative one keeps its leading ".." ("../a"), and "" becomes ".".  For
   * .dockerignore patterns and WORKDIR, where moby calls filepath.Clean. */
  PYOCI_PATH_GO,
} pyoci_path_mode_t;

/* A newly allocated normalised copy of path, or NULL when the mode refuses
 * it (never for PYOCI_PATH_CLAMP or PYOCI_PATH_GO). */
char *pyoci_path_normalize(const char *path, pyoci_path_mode_t mode);

/* The same in place, for the modes that return relative paths (the result is
 * never longer than the input).  Returns 0, or -1 with path unchanged when
 * the mode refuses it.  PYOCI_PATH_GO is not accepted here (returns -1). */
int pyoci_path_normalize_inplace(char *path, pyoci_path_mode_t mode);

/* True when path, as written, has a ".." component. */
bool pyoci_path_has_dotdot(const char *path);

/* Split at the last '/': returns the parent (a copy; "" when there is no
 * '/') and points *leaf at what follows it inside path.  No cleaning. */
char *pyoci_path_split(const char *path, const char **leaf);

#endif
