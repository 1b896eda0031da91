/* .dockerignore: which build-context paths COPY/ADD may see.
 *
 * Patterns follow moby/patternmatcher and its ignorefile reader exactly:
 * '#' comments (only in column 0), blank lines skipped, whitespace trimmed,
 * patterns cleaned like Go's filepath.Clean with a leading '/' removed;
 * '*' and '?' never cross '/', '**' crosses any number of directories,
 * [...] classes, '\' escapes, '!' re-includes; the last matching pattern
 * wins, and a pattern that matches a parent directory matches everything
 * under it.
 *
 * The file used is <Dockerfile>.dockerignore beside the Dockerfile when it
 * exists, else <context>/.dockerignore.  As with Docker, the Dockerfile and
 * the .dockerignore are still read for the build when they are ignored;
 * they are only hidden from COPY/ADD. */
#ifndef PYOCI_DOCKERFILE_DOCKERIGNORE_H
#define PYOCI_DOCKERFILE_DOCKERIGNORE_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/util/error.h"

#define PYOCI_IGNORE_MAX_SIZE (1u << 20)
#define PYOCI_IGNORE_MAX_PATTERNS 10000u

typedef struct pyoci_ignore pyoci_ignore_t;

/* Parse .dockerignore text; name labels messages ("x/.dockerignore:3: ..."). */
pyoci_ignore_t *pyoci_ignore_parse(const char *buf, size_t len, const char *name, pyoci_error_t **err);
/* An ignore set from patterns given directly (already in file syntax). */
pyoci_ignore_t *pyoci_ignore_new(const char *const *patterns, size_t n, pyoci_error_t **err);
/* Find and read the ignore file for a build (see above).  No file at all is
 * not an error: the result then excludes nothing.  *used_path (if not NULL)
 * is set to the file read, or NULL. */
pyoci_ignore_t *pyoci_ignore_load(const char *context_dir, const char *dockerfile_path, char **used_path,
                                  pyoci_error_t **err);
void pyoci_ignore_free(pyoci_ignore_t *ig);
static inline void pyoci_ignore_freep(pyoci_ignore_t **p)
{
  if (*p)
    pyoci_ignore_free(*p);
}
#define cleanup_ignore __attribute__((cleanup(pyoci_ignore_freep)))

/* Is relpath (relative to the context, '/'-separated) excluded?  The answer
 * does not depend on is_dir (Docker matches files and directories alike);
 * it is there so callers state what they walk. */
bool pyoci_ignore_match(const pyoci_ignore_t *ig, const char *relpath, bool is_dir);

/* For an excluded directory: may something below it be re-included by a
 * '!' pattern?  When false the walker can skip the whole directory; the
 * rule is BuildKit's (fsutil): exceptions with wildcards always force a
 * walk, plain ones only for directories on their path. */
bool pyoci_ignore_dir_may_reinclude(const pyoci_ignore_t *ig, const char *reldir);

/* The cleaned patterns, for display. */
size_t pyoci_ignore_count(const pyoci_ignore_t *ig);
const char *pyoci_ignore_pattern(const pyoci_ignore_t *ig, size_t i, bool *exclusion);

#endif
