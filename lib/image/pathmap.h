/* Internal to lib/layer: a path -> index hash map (open addressing, FNV-1a)
 * for the analysis and size accounting, which see every path of a layer. */
#ifndef PYOCI_IMAGE_PATHMAP_H
#define PYOCI_IMAGE_PATHMAP_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
  char **keys; /* owned copies; NULL = empty slot */
  size_t *vals;
  size_t cap, n;
} pyoci_pathmap_t;

/* The value slot for key, or NULL when absent. */
size_t *pyoci_pathmap_get(const pyoci_pathmap_t *m, const char *key);
/* The value slot for key, inserting it with value `init` when absent. */
size_t *pyoci_pathmap_put(pyoci_pathmap_t *m, const char *key, size_t init, bool *added);
void pyoci_pathmap_clear(pyoci_pathmap_t *m);

#endif
