/* The threaded hasher gives exactly the digest of the plain one, whatever
 * the write sizes, and also when it runs inline (PYOCI_THREADS=1,
 * handed in as settings). */
#include <stdlib.h>
#include <string.h>

#include "lib/util/hash.h"
#include "lib/util/hash_async.h"
#include "tap.h"
#include "lib/util/settings.h"

/* The PYOCI_THREADS the program would hand in (cli/env.c). */
static void set_threads(int n)
{
  pyoci_settings_t s = *pyoci_settings();
  s.threads = n;
  pyoci_settings_set(&s);
}

static void check(const unsigned char *data, size_t len, size_t step, const char *what)
{
  char want[PYOCI_DIGEST_LEN], got[PYOCI_DIGEST_LEN];
  pyoci_sha256_buf(data, len, want);
  pyoci_sha256_async_t *a = pyoci_sha256_async_new();
  for (size_t off = 0; off < len; off += step)
    pyoci_sha256_async_update(a, data + off, len - off < step ? len - off : step);
  pyoci_sha256_async_final(a, got);
  is_str(got, want, "%s: %zu bytes in %zu-byte writes", what, len, step);
}

int main(void)
{
  size_t big = (9u << 20) + 12345; /* more than the ring holds, not slot-aligned */
  unsigned char *data = malloc(big);
  for (size_t i = 0; i < big; i++)
    data[i] = (unsigned char)(i * 2654435761u >> 24);
  check(data, 0, 1, "threaded");
  check(data, 1, 1, "threaded");
  check(data, big, 1u << 20, "threaded");
  check(data, big, 65536, "threaded");
  check(data, big, 3u << 20, "threaded");
  check(data, big, 7777, "threaded");
  /* an early stop must not hang or leak */
  pyoci_sha256_async_t *a = pyoci_sha256_async_new();
  pyoci_sha256_async_update(a, data, 5u << 20);
  pyoci_sha256_async_free(a);
  ok(1, "free after updates returns");
  set_threads(1);
  check(data, big, 65536, "inline");
  free(data);
  return done_testing();
}
