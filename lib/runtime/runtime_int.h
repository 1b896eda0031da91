/* Shared inside lib/runtime only. */
#ifndef PYOCI_RUNTIME_RUNTIME_INT_H
#define PYOCI_RUNTIME_RUNTIME_INT_H

#include <stdbool.h>

/* Whether prog can be executed (a path, or a name found on $PATH). */
bool pyoci_runtime_executable_found(const char *prog);

#endif
