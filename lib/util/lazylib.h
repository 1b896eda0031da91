/* Shared libraries opened on first use instead of at start-up.
 *
 * libcurl (registry verbs, debug's Docker API) and libarchive (.debs,
 * wheels, OSV zips, layer formats other than tar+gzip/zstd) are needed by a
 * few verbs only, but linked normally their dependency trees -- gnutls,
 * p11-kit, krb5, ldap, ICU, libxml2 -- load and run constructors before
 * main() of every command: an empty main() linked with pyoci's libraries
 * takes 17.6 ms of CPU, 2.9 ms without those two (perf stat -r 200, 2026-12-02).
 * A warm `pyoci build` is ~40 ms of work, so the loader was a third of it.
 *
 * lazy_curl.c and lazy_archive.c define the libraries' own functions (the
 * names their documentation uses, so call sites stay plain curl/libarchive
 * code) as thin forwarders that resolve the real symbol once.  A library
 * that cannot be opened is a broken installation, not an input error: the
 * command stops as the loader would have stopped it (one line naming the
 * file and the Debian package, status 127). */
#ifndef PYOCI_UTIL_LAZYLIB_H
#define PYOCI_UTIL_LAZYLIB_H

#include <pthread.h>

typedef struct {
  const char *soname;  /* e.g. "libcurl.so.4" */
  const char *package; /* what to install when it is missing */
  pthread_once_t once;
  void *handle;
} pyoci_lazylib_t;

#define PYOCI_LAZYLIB_INIT(soname, package) {soname, package, PTHREAD_ONCE_INIT, NULL}

/* The address of NAME in LIB, opening LIB the first time; exits with status
 * 127 and a one-line message when the library or the symbol is missing. */
void *pyoci_lazylib_sym(pyoci_lazylib_t *lib, const char *name);

/* pyoci_lazylib_sym once per forwarder: *slot (the forwarder's own static)
 * caches the address, so later calls cost one atomic load. */
static inline void *pyoci_lazylib_cached(pyoci_lazylib_t *lib, const char *name, void **slot)
{
  void *f = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
  if (f == NULL) {
    f = pyoci_lazylib_sym(lib, name);
    __atomic_store_n(slot, f, __ATOMIC_RELEASE);
  }
  return f;
}

/* Defines NAME with parameters PARAMS (types and names) forwarding ARGS (the
 * names, in parentheses) to the real NAME in LIB; the resolved address is
 * cached in a per-function static. */
#define PYOCI_LAZY_FN(lib, ret, name, params, args)                                  \
  ret name params                                                                    \
  {                                                                                  \
    static void *real;                                                               \
    ret(*f) params = (ret(*) params)pyoci_lazylib_cached(&(lib), #name, &real);      \
    return f args;                                                                   \
  }

#define PYOCI_LAZY_VOID(lib, name, params, args)                                     \
  void name params                                                                   \
  {                                                                                  \
    static void *real;                                                               \
    void(*f) params = (void(*) params)pyoci_lazylib_cached(&(lib), #name, &real);    \
    f args;                                                                          \
  }

#endif
