#include "hash.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

struct pyoci_sha256 {
  EVP_MD_CTX *ctx;
};

pyoci_sha256_t *pyoci_sha256_new(void)
{
  pyoci_sha256_t *h = xcalloc(1, sizeof(*h));
  h->ctx = pyoci_xcheck(EVP_MD_CTX_new());
  if (EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1)
    abort(); /* sha256 is built into every OpenSSL: a failure here is a broken library */
  return h;
}

void pyoci_sha256_update(pyoci_sha256_t *h, const void *data, size_t len)
{
  if (len)
    EVP_DigestUpdate(h->ctx, data, len);
}

void pyoci_sha256_final(pyoci_sha256_t *h, char out[PYOCI_DIGEST_LEN])
{
  unsigned char md[32];
  unsigned int n = 0;
  static const char hex[] = "0123456789abcdef";
  EVP_DigestFinal_ex(h->ctx, md, &n);
  memcpy(out, "sha256:", 7);
  for (unsigned i = 0; i < 32; i++) {
    out[7 + 2 * i] = hex[md[i] >> 4];
    out[7 + 2 * i + 1] = hex[md[i] & 15];
  }
  out[PYOCI_DIGEST_LEN - 1] = '\0';
  pyoci_sha256_free(h);
}

void pyoci_sha256_free(pyoci_sha256_t *h)
{
  if (h == NULL)
    return;
  EVP_MD_CTX_free(h->ctx);
  free(h);
}

void pyoci_sha256_buf(const void *data, size_t len, char out[PYOCI_DIGEST_LEN])
{
  pyoci_sha256_t *h = pyoci_sha256_new();
  pyoci_sha256_update(h, data, len);
  pyoci_sha256_final(h, out);
}

bool pyoci_digest_valid(const char *s)
{
  if (s == NULL || strncmp(s, "sha256:", 7) != 0)
    return false;
  size_t n = 0;
  for (const char *p = s + 7; *p; p++, n++)
    if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
      return false;
  return n == PYOCI_DIGEST_HEX_LEN;
}
