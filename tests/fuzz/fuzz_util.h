/* Shared by the harnesses whose parser takes a C string. */
#ifndef PYOCI_FUZZ_UTIL_H
#define PYOCI_FUZZ_UTIL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The input as a NUL-terminated copy (a NUL inside ends the string early,
 * as it would for the caller); NULL only when out of memory.  Free it. */
static inline char *fuzz_nul_copy(const uint8_t *data, size_t size)
{
  char *buf = malloc(size + 1);
  if (buf != NULL) {
    memcpy(buf, data, size);
    buf[size] = '\0';
  }
  return buf;
}

#endif
