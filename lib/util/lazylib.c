/* dlopen on first use (lazylib.h explains why).  A library that cannot be
 * opened ends the command exactly as the dynamic loader would have ended it
 * at start-up had the library been linked: the loader's words, status 127.
 * Like running out of memory (alloc.h), it is the installation that is
 * broken, so this is one of the two places lib/ stops the process. */
#include "lazylib.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

/* pthread_once takes no argument: the library being opened is handed over
 * in a thread-local, set just before the call by the same thread. */
static __thread pyoci_lazylib_t *opening;

static void open_lib(void)
{
  pyoci_lazylib_t *lib = opening;
  lib->handle = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
  if (lib->handle == NULL) {
    fprintf(stderr, "pyoci: error while loading shared libraries: %s (install the Debian package %s)\n",
            dlerror(), lib->package);
    exit(127);
  }
}

void *pyoci_lazylib_sym(pyoci_lazylib_t *lib, const char *name)
{
  opening = lib;
  pthread_once(&lib->once, open_lib);
  void *sym = dlsym(lib->handle, name);
  if (sym == NULL) {
    fprintf(stderr, "pyoci: symbol lookup error: %s (pyoci was built against a newer %s)\n", dlerror(),
            lib->package);
    exit(127);
  }
  return sym;
}
