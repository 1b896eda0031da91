/* Probes: an HTTP GET to the app (loopback only: distill drives a local
 * container, never someone else's server) and a host command. */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/strbuf.h"
#include "distill.h"
#include "distill_int.h"

#define PROBE_MAX_BODY (16u << 20)

static bool host_is_loopback(const char *host)
{
  if (strcasecmp(host, "localhost") == 0)
    return true;
  struct in_addr a4;
  if (inet_pton(AF_INET, host, &a4) == 1)
    return (ntohl(a4.s_addr) >> 24) == 127;
  char buf[64];
  size_t n = strlen(host);
  if (n >= 2 && n < sizeof(buf) && host[0] == '[' && host[n - 1] == ']') {
    memcpy(buf, host + 1, n - 2);
    buf[n - 2] = '\0';
    host = buf;
  }
  struct in6_addr a6;
  return inet_pton(AF_INET6, host, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

int pyoci_distill_check_probe_url(const char *url, pyoci_error_t **err)
{
  CURLU *u = curl_url();
  char *scheme = NULL, *host = NULL;
  int rc = 0;
  if (u == NULL || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
      curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
      curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
    rc = pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "probe '%s': not a URL", url);
  else if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)
    rc = pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "probe '%s': only http and https probes are supported", url);
  else if (!host_is_loopback(host))
    rc = pyoci_error_set_code(err, PYOCI_E_INVALID, 0,
                              "probe '%s': host '%s' is not on loopback (distill probes only 127.0.0.0/8, ::1, "
                              "localhost: the app runs with the host's network)",
                              url, host);
  curl_free(scheme);
  curl_free(host);
  curl_url_cleanup(u);
  return rc;
}

static size_t collect(char *p, size_t size, size_t n, void *ctx)
{
  strbuf_t *sb = ctx;
  if (sb->len + size * n > PROBE_MAX_BODY)
    return 0;
  strbuf_add(sb, p, size * n);
  return size * n;
}

int pyoci_probe_get(const char *url, long timeout_ms, long *status, char **body, size_t *body_len,
                    pyoci_error_t **err)
{
  *status = 0;
  CURL *c = curl_easy_init();
  if (c == NULL)
    return pyoci_error_set(err, 0, "probe '%s': cannot start libcurl", url);
  strbuf_t sb = STRBUF_INIT;
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &sb);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  /* loopback, our own container: its certificate is the app's business */
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
  CURLcode cc = curl_easy_perform(c);
  if (cc == CURLE_OK)
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
  curl_easy_cleanup(c);
  if (cc == CURLE_WRITE_ERROR) {
    strbuf_release(&sb);
    return pyoci_error_set(err, 0, "probe '%s': answer larger than %u bytes", url, PROBE_MAX_BODY);
  }
  *body_len = sb.len;
  *body = sb.buf ? strbuf_detach(&sb) : xstrdup("");
  return 0;
}

int pyoci_probe_cmd(const char *cmd, char *const *env, int *exit_code, char **out, pyoci_error_t **err)
{
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0)
    return pyoci_error_set(err, errno, "probe command: pipe");
  pid_t pid = fork();
  if (pid < 0) {
    close(p[0]);
    close(p[1]);
    return pyoci_error_set(err, errno, "probe command: fork");
  }
  if (pid == 0) {
    dup2(p[1], STDOUT_FILENO);
    char *argv[] = {"/bin/sh", "-c", (char *)cmd, NULL};
    if (env)
      execve("/bin/sh", argv, env);
    else
      execv("/bin/sh", argv);
    _exit(127);
  }
  close(p[1]);
  size_t len = 0;
  pyoci_error_t *rerr = NULL;
  int rc = pyoci_read_fd(p[0], "probe command output", PROBE_MAX_BODY, out, &len, &rerr);
  close(p[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (rc < 0) {
    *err = rerr;
    return -1;
  }
  *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return 0;
}
