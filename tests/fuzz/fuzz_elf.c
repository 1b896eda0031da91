/* Fuzz the ELF reader distill uses on every kept file: any bytes must parse
 * or be rejected with an error naming the file, never read out of bounds. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/distill/elf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  pyoci_elf_info_t info;
  pyoci_error_t *err = NULL;
  int rc = pyoci_elf_parse(data, size, "fuzz", &info, &err);
  if (rc < 0 && (err == NULL || strstr(err->msg, "'fuzz'") == NULL))
    abort(); /* a rejection names the file */
  if (rc == 1) {
    for (size_t i = 0; i < info.n_needed; i++)
      if (info.needed[i] == NULL || strlen(info.needed[i]) > PYOCI_ELF_MAX_STR)
        abort();
    pyoci_elf_info_free(&info);
  }
  pyoci_error_free(err);
  return 0;
}
