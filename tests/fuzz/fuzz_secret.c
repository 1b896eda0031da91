/* libFuzzer: arbitrary file contents through the secret scanner.  Besides
 * crashes and sanitizer reports, checks what the scanner promises: findings
 * have sane line numbers, and reported text carries no control characters. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/secret/scan.h"

static int check(const pyoci_secret_finding_t *f, void *ctx, pyoci_error_t **err)
{
  size_t lines = *(size_t *)ctx;
  if (f->line < 1 || (size_t)f->line > lines || f->end_line < f->line || (size_t)f->end_line > lines)
    abort();
  if (strlen(f->match) > 256 || strlen(f->code) > 512 || strchr(f->match, '*') == NULL)
    abort();
  for (const char *p = f->code; *p; p++)
    if ((unsigned char)*p < 0x20 && *p != '\t')
      abort();
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  size_t lines = 1;
  for (size_t i = 0; i < size; i++)
    lines += data[i] == '\n';
  pyoci_error_t *err = NULL;
  if (pyoci_secret_scan_buffer("fuzz/input", data, size, check, &lines, &err) < 0)
    abort(); /* only a broken rule or the callback can fail */
  /* The same bytes as a path. */
  char path[512];
  size_t n = size < sizeof(path) - 1 ? size : sizeof(path) - 1;
  memcpy(path, data, n);
  path[n] = '\0';
  (void)pyoci_secret_path_allowed(path);
  return 0;
}
