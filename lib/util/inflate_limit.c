/* Decompression limits (see inflate_limit.h). */
#include <stdio.h>

#include "inflate_limit.h"

static pyoci_inflate_limits_t limits = {PYOCI_INFLATE_RATIO_DEFAULT, PYOCI_INFLATE_SIZE_DEFAULT, PYOCI_INFLATE_GRACE};

void pyoci_inflate_limits_set(const pyoci_inflate_limits_t *l)
{
  limits = *l;
}

pyoci_inflate_limits_t pyoci_inflate_limits(void)
{
  return limits;
}

/* Binary units, one decimal: messages name sizes as people read them. */
void pyoci_inflate_human(uint64_t n, char *buf, size_t len)
{
  static const char *const units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double v = (double)n;
  size_t u = 0;
  while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
    v /= 1024;
    u++;
  }
  if (u == 0)
    snprintf(buf, len, "%llu bytes", (unsigned long long)n);
  else
    snprintf(buf, len, "%.1f %s", v, units[u]);
}

/* Which limit out bytes from in break: 0 none, 1 the size, 2 the ratio.
 * The hot path (every piece of output): a few comparisons. */
static int broken(uint64_t in, uint64_t out)
{
  if (limits.max_size != 0 && out > limits.max_size)
    return 1;
  if (limits.max_ratio == 0 || out <= limits.grace)
    return 0;
  /* out > grace + ratio * in, without overflow for any in */
  uint64_t room = out - limits.grace;
  if (room / limits.max_ratio < in || (room / limits.max_ratio == in && room % limits.max_ratio == 0))
    return 0;
  return 2;
}

/* The refusal; subject names the stream, quotes included. */
static int refuse(int which, const char *q, const char *subject, uint64_t in, uint64_t out, pyoci_error_t **err)
{
  char a[32], b[32];
  if (which == 1) {
    pyoci_inflate_human(limits.max_size, a, sizeof(a));
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0,
                                "%s%s%s decompresses to more than %s (the limit; see --max-decompressed-size)", q,
                                subject, q, a);
  }
  pyoci_inflate_human(out, a, sizeof(a));
  pyoci_inflate_human(in, b, sizeof(b));
  return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0,
                              "%s%s%s decompresses to more than %llu times its compressed size (%s from %s): a "
                              "decompression bomb? (the limit; see --max-compression-ratio)",
                              q, subject, q, (unsigned long long)limits.max_ratio, a, b);
}

int pyoci_inflate_check(const char *what, uint64_t in, uint64_t out, pyoci_error_t **err)
{
  int which = broken(in, out);
  return which == 0 ? 0 : refuse(which, "'", what, in, out, err);
}

int pyoci_inflate_check_as(const char *subject, uint64_t in, uint64_t out, pyoci_error_t **err)
{
  int which = broken(in, out);
  return which == 0 ? 0 : refuse(which, "", subject, in, out, err);
}
