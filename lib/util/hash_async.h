/* SHA-256 on a second thread: update() copies the bytes into a small ring
 * and returns, so a caller that also writes what it hashes (pyoci save
 * verifying every layer on its way out) hashes and writes at the same time.
 * Falls back to hashing inline when no thread can be started or
 * PYOCI_THREADS=1. */
#ifndef PYOCI_UTIL_HASH_ASYNC_H
#define PYOCI_UTIL_HASH_ASYNC_H

#include <stddef.h>

#include "hash.h"

typedef struct pyoci_sha256_async pyoci_sha256_async_t;

pyoci_sha256_async_t *pyoci_sha256_async_new(void);
void pyoci_sha256_async_update(pyoci_sha256_async_t *a, const void *data, size_t len);
/* Wait for the hashing to finish, write "sha256:<hex>" and free a. */
void pyoci_sha256_async_final(pyoci_sha256_async_t *a, char out[PYOCI_DIGEST_LEN]);
/* Stop and free without a result (error paths). */
void pyoci_sha256_async_free(pyoci_sha256_async_t *a);

#endif
