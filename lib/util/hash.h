/* Streaming SHA-256 (OpenSSL) and the "sha256:<hex>" digest strings OCI uses. */
#ifndef PYOCI_UTIL_HASH_H
#define PYOCI_UTIL_HASH_H

#include <stdbool.h>
#include <stddef.h>

#define PYOCI_DIGEST_HEX_LEN 64
/* "sha256:" + 64 hex + NUL */
#define PYOCI_DIGEST_LEN (7 + PYOCI_DIGEST_HEX_LEN + 1)

typedef struct pyoci_sha256 pyoci_sha256_t;

pyoci_sha256_t *pyoci_sha256_new(void);
void pyoci_sha256_update(pyoci_sha256_t *h, const void *data, size_t len);
/* Writes "sha256:<hex>" into out (PYOCI_DIGEST_LEN bytes) and frees h. */
void pyoci_sha256_final(pyoci_sha256_t *h, char out[PYOCI_DIGEST_LEN]);
void pyoci_sha256_free(pyoci_sha256_t *h);
void pyoci_sha256_buf(const void *data, size_t len, char out[PYOCI_DIGEST_LEN]);

/* True when s is "sha256:" followed by exactly 64 lowercase hex digits. */
bool pyoci_digest_valid(const char *s);

#endif
