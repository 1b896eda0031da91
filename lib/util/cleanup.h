/* Scope-bound ownership, as in crun and bubblewrap: a variable declared with
 * one of these attributes is released when it goes out of scope.  Hand an
 * owned value to someone else with steal_pointer() / steal_fd(). */
#ifndef PYOCI_UTIL_CLEANUP_H
#define PYOCI_UTIL_CLEANUP_H

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void pyoci_freep(void *p)
{
  free(*(void **)p);
}
static inline void pyoci_closep(int *fd)
{
  if (*fd >= 0) {
    int saved = errno;
    close(*fd);
    errno = saved;
  }
}
static inline void pyoci_fclosep(FILE **f)
{
  if (*f != NULL)
    fclose(*f);
}
static inline void pyoci_closedirp(DIR **d)
{
  if (*d != NULL)
    closedir(*d);
}
/* A NULL-terminated array of owned strings. */
static inline void pyoci_strvfreep(char ***v)
{
  if (*v == NULL)
    return;
  for (char **p = *v; *p != NULL; p++)
    free(*p);
  free(*v);
}

#define cleanup_free __attribute__((cleanup(pyoci_freep)))
#define cleanup_close __attribute__((cleanup(pyoci_closep)))
#define cleanup_file __attribute__((cleanup(pyoci_fclosep)))
#define cleanup_dir __attribute__((cleanup(pyoci_closedirp)))
#define cleanup_strv __attribute__((cleanup(pyoci_strvfreep)))

static inline void *pyoci_steal_pointer(void *pp)
{
  void **p = (void **)pp;
  void *v = *p;
  *p = NULL;
  return v;
}
#define steal_pointer(pp) ((__typeof__(*(pp)))pyoci_steal_pointer(pp))

static inline int steal_fd(int *fd)
{
  int v = *fd;
  *fd = -1;
  return v;
}

#endif
