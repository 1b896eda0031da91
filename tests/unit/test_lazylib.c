/* lib/util/lazylib.h: libraries opened on first use.  The forwarders reach
 * the real libcurl/libarchive (fixed and variadic arguments alike), and a
 * library or symbol that is missing ends the process as the dynamic loader
 * would: one line, status 127. */
#define CURL_DISABLE_TYPECHECK
#include <archive.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/util/lazylib.h"
#include "tap.h"

static pyoci_lazylib_t missing_lib = PYOCI_LAZYLIB_INIT("libpyoci-test-missing.so.9", "pyoci-test-package");
static pyoci_lazylib_t libc_lib = PYOCI_LAZYLIB_INIT("libc.so.6", "libc6");

/* Looks NAME up in LIB in a child; returns its exit status (-1: killed or
 * it returned) and its stderr in err. */
static int child_status(pyoci_lazylib_t *lib, const char *name, char *err, size_t errlen)
{
  int p[2];
  if (pipe(p) < 0)
    return -1;
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(p[1], STDERR_FILENO);
    pyoci_lazylib_sym(lib, name);
    _exit(0);
  }
  close(p[1]);
  ssize_t n = read(p[0], err, errlen - 1);
  err[n > 0 ? n : 0] = '\0';
  close(p[0]);
  int st = 0;
  waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_missing(void)
{
  char err[512];
  is_int(child_status(&missing_lib, "f", err, sizeof(err)), 127, "a library that is not there: status 127");
  ok(strstr(err, "libpyoci-test-missing.so.9") && strstr(err, "install the Debian package pyoci-test-package") &&
         strchr(err, '\n') == err + strlen(err) - 1,
     "one line naming the file and the package: %s", err);
  is_int(child_status(&libc_lib, "pyoci_no_such_function", err, sizeof(err)), 127,
         "a symbol the library lacks: status 127");
  ok(strstr(err, "symbol lookup error") && strstr(err, "pyoci_no_such_function"), "one line naming it: %s", err);
}

static void test_found(void)
{
  size_t (*len)(const char *) = (size_t(*)(const char *))pyoci_lazylib_sym(&libc_lib, "strlen");
  ok(len != NULL && len("four") == 4, "a symbol that is there is returned and works");
}

static void test_curl(void)
{
  is_str(curl_easy_strerror(CURLE_OK), "No error", "curl_easy_strerror reaches libcurl");
  CURL *c = curl_easy_init();
  ok(c != NULL, "curl_easy_init");
  is_int(curl_easy_setopt(c, CURLOPT_TIMEOUT, 5L), CURLE_OK, "setopt with a long");
  is_int(curl_easy_setopt(c, CURLOPT_URL, "http://127.0.0.1:9/x"), CURLE_OK, "setopt with a string");
  is_int(curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)1 << 40), CURLE_OK, "setopt with a curl_off_t");
  is_int(curl_easy_setopt(c, (CURLoption)999, 1L), CURLE_UNKNOWN_OPTION, "an unknown option is libcurl's error");
  long code = -1;
  is_int(curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code), CURLE_OK, "getinfo");
  is_int(code, 0, "getinfo wrote through the pointer");
  curl_easy_cleanup(c);
}

static void test_archive(void)
{
  struct archive *a = archive_read_new();
  ok(a != NULL, "archive_read_new");
  archive_set_error(a, 5, "bad %s at %d%%", "member", 42);
  is_str(archive_error_string(a), "bad member at 42%", "archive_set_error formats its arguments");
  archive_read_free(a);
}

int main(void)
{
  test_missing();
  test_found();
  test_curl();
  test_archive();
  return done_testing();
}
