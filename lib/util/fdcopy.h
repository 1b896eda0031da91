/* Copying between file descriptors in the kernel where it can be done. */
#ifndef PYOCI_UTIL_FDCOPY_H
#define PYOCI_UTIL_FDCOPY_H

#include <stdint.h>

#include "error.h"
#include "hash.h"

/* Copy in (from its current offset) to EOF into out at out's position.
 * Holes in a regular in stay holes in a regular out (never written as zeros). */
int pyoci_copy_fd(int in, int out, const char *what, pyoci_error_t **err);

/* Copy the first size bytes of in into out at out's position; a file
 * shorter than size is an error. */
int pyoci_copy_fd_range(int in, int64_t size, int out, const char *what, pyoci_error_t **err);

/* Copy the first size bytes of in into out at out's position and put the
 * SHA-256 of those bytes in digest; the hash runs on a second thread that
 * reads in by itself (PYOCI_THREADS=1: after the copy).  A file shorter than
 * size is an error. */
int pyoci_copy_fd_hashed(int in, int64_t size, int out, const char *what, char digest[PYOCI_DIGEST_LEN],
                         pyoci_error_t **err);

#endif
