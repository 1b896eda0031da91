/* Shared body of the version-comparator fuzzers: the input is split at
 * '\n' into up to three versions; the comparator must be a total order on
 * them (antisymmetric, reflexive, transitive), and validity must not depend
 * on anything but the string. */
#ifndef PYOCI_FUZZ_VERCMP_H
#define PYOCI_FUZZ_VERCMP_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/vuln/vercmp.h"

static int fz_sign(int x)
{
  return (x > 0) - (x < 0);
}

static void fuzz_scheme(const pyoci_verscheme_t *s, const uint8_t *data, size_t size)
{
  if (size > 4096)
    return;
  char *buf = malloc(size + 1);
  if (buf == NULL)
    return;
  memcpy(buf, data, size);
  buf[size] = '\0';
  char *v[3] = {buf, buf, buf};
  char *nl = strchr(buf, '\n');
  if (nl != NULL) {
    *nl = '\0';
    v[1] = v[2] = nl + 1;
    char *nl2 = strchr(nl + 1, '\n');
    if (nl2 != NULL) {
      *nl2 = '\0';
      v[2] = nl2 + 1;
    }
  }
  for (int i = 0; i < 3; i++) {
    if (s->compare(v[i], v[i]) != 0)
      abort(); /* reflexive */
    pyoci_error_t *err = NULL;
    int valid = s->check(v[i], &err) == 0;
    if (!valid && (err == NULL || err->msg == NULL))
      abort(); /* an invalid version always explains itself */
    pyoci_error_free(err);
    for (int j = 0; j < 3; j++)
      if (fz_sign(s->compare(v[i], v[j])) != -fz_sign(s->compare(v[j], v[i])))
        abort(); /* antisymmetric */
  }
  int ab = fz_sign(s->compare(v[0], v[1])), bc = fz_sign(s->compare(v[1], v[2])), ac = fz_sign(s->compare(v[0], v[2]));
  if (ab <= 0 && bc <= 0 && ac > 0)
    abort(); /* transitive */
  if (ab >= 0 && bc >= 0 && ac < 0)
    abort();
  free(buf);
}

#endif
