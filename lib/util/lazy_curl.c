/* libcurl's functions, forwarded to libcurl.so.4 opened on first use
 * (lazylib.h: why).  Only the functions pyoci calls are here; a new call
 * site that needs another one fails to link until it is added. */
#define CURL_DISABLE_TYPECHECK /* the typecheck macros would rename our definitions */
#include <curl/curl.h>
#include <stdarg.h>

#include "lazylib.h"

static pyoci_lazylib_t curl_lib = PYOCI_LAZYLIB_INIT("libcurl.so.4", "libcurl4");

PYOCI_LAZY_FN(curl_lib, CURLcode, curl_global_init, (long flags), (flags))
PYOCI_LAZY_FN(curl_lib, CURL *, curl_easy_init, (void), ())
PYOCI_LAZY_FN(curl_lib, CURLcode, curl_easy_perform, (CURL * h), (h))
PYOCI_LAZY_VOID(curl_lib, curl_easy_reset, (CURL * h), (h))
PYOCI_LAZY_VOID(curl_lib, curl_easy_cleanup, (CURL * h), (h))
PYOCI_LAZY_FN(curl_lib, const char *, curl_easy_strerror, (CURLcode c), (c))
PYOCI_LAZY_FN(curl_lib, char *, curl_easy_escape, (CURL * h, const char *s, int len), (h, s, len))
PYOCI_LAZY_VOID(curl_lib, curl_free, (void *p), (p))
PYOCI_LAZY_FN(curl_lib, time_t, curl_getdate, (const char *p, const time_t *unused), (p, unused))
PYOCI_LAZY_FN(curl_lib, struct curl_slist *, curl_slist_append, (struct curl_slist * l, const char *s), (l, s))
PYOCI_LAZY_VOID(curl_lib, curl_slist_free_all, (struct curl_slist * l), (l))
PYOCI_LAZY_FN(curl_lib, CURLU *, curl_url, (void), ())
PYOCI_LAZY_VOID(curl_lib, curl_url_cleanup, (CURLU * u), (u))
PYOCI_LAZY_FN(curl_lib, CURLUcode, curl_url_get, (CURLU * u, CURLUPart what, char **part, unsigned int flags),
              (u, what, part, flags))
PYOCI_LAZY_FN(curl_lib, CURLUcode, curl_url_set, (CURLU * u, CURLUPart what, const char *part, unsigned int flags),
              (u, what, part, flags))
PYOCI_LAZY_FN(curl_lib, const char *, curl_url_strerror, (CURLUcode c), (c))

/* The variadic two take exactly one argument after the option, whose type
 * the option's number range says (curl.h, CURLOPTTYPE_*); it is read as that
 * type and passed on as such. */
typedef CURLcode (*setopt_fn)(CURL *, CURLoption, ...);

CURLcode curl_easy_setopt(CURL *h, CURLoption opt, ...)
{
  static void *real;
  setopt_fn f = (setopt_fn)pyoci_lazylib_cached(&curl_lib, "curl_easy_setopt", &real);
  va_list ap;
  va_start(ap, opt);
  CURLcode rc;
  if (opt < CURLOPTTYPE_OBJECTPOINT)
    rc = f(h, opt, va_arg(ap, long));
  else if (opt >= CURLOPTTYPE_OFF_T && opt < CURLOPTTYPE_BLOB)
    rc = f(h, opt, va_arg(ap, curl_off_t));
  else /* object, string, slist, callback and blob pointers */
    rc = f(h, opt, va_arg(ap, void *));
  va_end(ap);
  return rc;
}

typedef CURLcode (*getinfo_fn)(CURL *, CURLINFO, ...);

CURLcode curl_easy_getinfo(CURL *h, CURLINFO info, ...)
{
  static void *real;
  getinfo_fn f = (getinfo_fn)pyoci_lazylib_cached(&curl_lib, "curl_easy_getinfo", &real);
  va_list ap;
  va_start(ap, info);
  CURLcode rc = f(h, info, va_arg(ap, void *)); /* always a pointer to the result */
  va_end(ap);
  return rc;
}
