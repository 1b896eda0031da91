/* Output files a user names (-o/--output, --iidfile) and the store's own
 * small files: written so that nobody sees half of them, and so that only
 * what may be replaced is replaced.
 *
 *   absent or a regular file   the bytes go to an unnamed O_TMPFILE beside
 *                              it, linked in (or swapped over the old file)
 *                              on commit: a killed writer leaves nothing.
 *   anything else              opened and written through, as docker does:
 *                              a character device (/dev/null), a FIFO (its
 *                              reader gets the bytes), a symlink (followed;
 *                              -o /dev/stdout).  Never renamed over.
 *   a directory                an error.
 *
 * Where O_TMPFILE is not supported the temp file is named
 * "<name>.tmp-<pid>-XXXXXX"; such files of dead processes are removed the
 * next time that path is written. */
#ifndef PYOCI_UTIL_OUTFILE_H
#define PYOCI_UTIL_OUTFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"

typedef struct pyoci_outfile pyoci_outfile_t;

/* mode: for a new file, before the umask. */
int pyoci_outfile_open(const char *path, mode_t mode, pyoci_outfile_t **out, pyoci_error_t **err);
int pyoci_outfile_fd(const pyoci_outfile_t *f);
/* Publish the bytes (fsync first when sync) and free f, success or not. */
int pyoci_outfile_commit(pyoci_outfile_t *f, bool sync, pyoci_error_t **err);
/* Drop what was written (a written-through device keeps it) and free f. */
void pyoci_outfile_abort(pyoci_outfile_t *f);

#endif
