/* Debug targets: a pyoci container, a docker container (Docker Engine API
 * over its unix socket), a podman container (podman inspect), or a PID --
 * each resolved to its init process on the host.  Also the target's
 * environment and its cgroups. */
#include <curl/curl.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/json.h"
#include "lib/util/strbuf.h"
#include "debug.h"

#define API_REPLY_MAX (4u << 20)
#define ENVIRON_MAX (1u << 20)
#define DOCKER_NAME_MAX 255
#define PID_MAX_LIMIT (1 << 22) /* the kernel's, for 64-bit */

void pyoci_target_parse(const char *typed, pyoci_target_spec_t *spec)
{
  static const struct {
    const char *scheme;
    pyoci_target_kind_t kind;
  } schemes[] = {{"pyoci://", PYOCI_TARGET_PYOCI},
                 {"docker://", PYOCI_TARGET_DOCKER},
                 {"podman://", PYOCI_TARGET_PODMAN},
                 {"pid://", PYOCI_TARGET_PID}};
  spec->kind = PYOCI_TARGET_AUTO;
  spec->ref = typed;
  for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
    size_t n = strlen(schemes[i].scheme);
    if (strncmp(typed, schemes[i].scheme, n) == 0) {
      spec->kind = schemes[i].kind;
      spec->ref = typed + n;
    }
  }
}

typedef struct {
  strbuf_t body;
  bool too_big;
} reply_t;

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
  reply_t *r = ctx;
  if (r->body.len + size * n > API_REPLY_MAX) {
    r->too_big = true;
    return 0;
  }
  strbuf_add(&r->body, p, size * n);
  return size * n;
}

/* docker's own wording, so the message reads as users know it */
static int connect_error(const char *sock, long os_errno, pyoci_error_t **err)
{
  if (os_errno == EACCES || os_errno == EPERM)
    return pyoci_error_set(err, 0,
                           "permission denied while trying to connect to the Docker daemon socket at unix://%s", sock);
  return pyoci_error_set(err, 0, "Cannot connect to the Docker daemon at unix://%s. Is the docker daemon running?",
                         sock);
}

/* A name fit to print in a message: docker's names are [a-zA-Z0-9_.-],
 * but the reply is outside data. */
static bool printable_name(const char *n)
{
  size_t len = strlen(n);
  if (len == 0 || len > DOCKER_NAME_MAX)
    return false;
  for (const char *p = n; *p; p++)
    if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e)
      return false;
  return true;
}

int pyoci_docker_inspect_parse(const char *body, size_t len, const char *ref, pid_t *pid, char **name,
                               pyoci_error_t **err)
{
  if (len > API_REPLY_MAX)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "docker container inspect %s: reply larger than %u bytes",
                                ref, API_REPLY_MAX);
  cleanup_json json_t *j = pyoci_json_parse_object(body, len, "docker container inspect", err);
  if (j == NULL)
    return -1;
  json_t *state = json_object_get(j, "State");
  if (!json_is_object(state))
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "docker container inspect %s: no .State object", ref);
  if (!json_is_true(json_object_get(state, "Running")))
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "container %s is not running", ref);
  /* Only a PID the kernel could hand out: a 64-bit value cut to pid_t
   * could name some other process on the host. */
  json_t *p = json_object_get(state, "Pid");
  if (!json_is_integer(p) || json_integer_value(p) <= 0 || json_integer_value(p) > PID_MAX_LIMIT)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "docker container %s: no valid .State.Pid", ref);
  const char *n = pyoci_json_str(j, "Name");
  if (n != NULL && n[0] == '/')
    n++;
  *pid = (pid_t)json_integer_value(p);
  *name = xstrdup(n != NULL && printable_name(n) ? n : ref);
  return 0;
}

int pyoci_docker_container_pid(const char *sock, const char *ref, pid_t *pid, char **name, pyoci_error_t **err)
{
  CURL *c = curl_easy_init();
  if (c == NULL)
    return pyoci_error_set(err, 0, "curl_easy_init failed");
  char *esc = curl_easy_escape(c, ref, 0);
  cleanup_free char *url = xasprintf("http://localhost/containers/%s/json", esc ? esc : "");
  curl_free(esc);
  reply_t r = {.body = STRBUF_INIT};
  curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, sock);
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  CURLcode cc = curl_easy_perform(c);
  long status = 0, os_errno = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_getinfo(c, CURLINFO_OS_ERRNO, &os_errno);
  curl_easy_cleanup(c);
  int rc = -1;
  if (cc == CURLE_COULDNT_CONNECT) {
    rc = connect_error(sock, os_errno, err);
  } else if (cc != CURLE_OK) {
    rc = pyoci_error_set(err, 0, "Docker Engine API at unix://%s: %s", sock,
                         r.too_big ? "reply too large" : curl_easy_strerror(cc));
  } else if (status == 404) {
    rc = pyoci_error_set_code(err, PYOCI_E_NOT_FOUND, 0, "No such container: %s", ref);
  } else if (status != 200) {
    rc = pyoci_error_set(err, 0, "Docker Engine API at unix://%s: HTTP %ld for container %s", sock, status, ref);
  } else {
    rc = pyoci_docker_inspect_parse(r.body.buf, r.body.len, ref, pid, name, err);
  }
  strbuf_release(&r.body);
  return rc;
}

/* `podman container inspect --format '{{.State.Pid}}' REF` */
static int podman_pid(const char *podman, const char *ref, pid_t *pid, pyoci_error_t **err)
{
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0)
    return pyoci_error_set(err, errno, "pipe");
  pid_t child = fork();
  if (child == 0) {
    dup2(p[1], STDOUT_FILENO);
    int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, STDERR_FILENO);
    execlp(podman, podman, "container", "inspect", "--format", "{{.State.Pid}}", ref, (char *)NULL);
    _exit(127);
  }
  close(p[1]);
  cleanup_free char *out = NULL;
  pyoci_error_t *ignored = NULL;
  pyoci_read_fd(p[0], "podman inspect", 4096, &out, NULL, &ignored);
  pyoci_error_free(ignored);
  close(p[0]);
  int status = 0;
  while (child > 0 && waitpid(child, &status, 0) < 0 && errno == EINTR)
    ;
  if (child < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return pyoci_error_set_code(err, PYOCI_E_NOT_FOUND, 0, "No such container: %s", ref);
  long v = out ? strtol(out, NULL, 10) : 0;
  if (v <= 0)
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "container %s is not running", ref);
  *pid = (pid_t)v;
  return 0;
}

static int pyoci_pid(const char *store, const char *ref, pid_t *pid, pyoci_error_t **err)
{
  cleanup_container pyoci_container_t *c = NULL;
  if (pyoci_container_find(store, ref, &c, err) < 0)
    return -1;
  *pid = pyoci_container_pid(c);
  if (*pid <= 0)
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "container %s is not running", ref);
  return 0;
}

static int host_pid(const char *ref, pid_t *pid, pyoci_error_t **err)
{
  char *end;
  long v = strtol(ref, &end, 10);
  if (*ref == '\0' || *end || v <= 0 || v > 1 << 22)
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "not a process ID: %s", ref);
  if (kill((pid_t)v, 0) < 0 && errno == ESRCH)
    return pyoci_error_set_code(err, PYOCI_E_NOT_FOUND, 0, "No such process: %s", ref);
  *pid = (pid_t)v;
  return 0;
}

static bool not_found(const pyoci_error_t *e)
{
  return e && e->code == PYOCI_E_NOT_FOUND;
}

/* Docker's and podman's container names ([a-zA-Z0-9][a-zA-Z0-9_.-]*, a
 * leading '/' allowed) and IDs hold no ':' or '@': a ref with either, or
 * with a '/' past the first character, names an image. */
static bool container_name_like(const char *ref)
{
  const char *p = ref[0] == '/' ? ref + 1 : ref;
  if (!isalnum((unsigned char)*p))
    return false;
  for (; *p; p++)
    if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.' && *p != '-')
      return false;
  return true;
}

/* AUTO: the first source that knows ref wins; a source that fails for
 * another reason (a docker socket without permission) is reported.  A ref
 * no engine could hold as a container (an image: "app:1") is not looked up
 * in docker or podman at all -- asking podman may set up its storage on a
 * machine that never ran it. */
static int resolve_auto(const pyoci_target_spec_t *spec, pyoci_target_t *out, pyoci_error_t **err)
{
  pyoci_error_t *e = NULL;
  if (pyoci_pid(spec->store_path, spec->ref, &out->pid, &e) == 0 || !not_found(e)) {
    out->kind = "pyoci";
    *err = e;
    return e ? -1 : 0;
  }
  pyoci_error_release(&e);
  if (strspn(spec->ref, "0123456789") == strlen(spec->ref)) {
    out->kind = "pid";
    return host_pid(spec->ref, &out->pid, err);
  }
  if (!container_name_like(spec->ref))
    return pyoci_error_set_code(err, PYOCI_E_NOT_FOUND, 0, "No such container: %s", spec->ref);
  if (spec->docker_socket && pyoci_path_exists(spec->docker_socket)) {
    out->kind = "docker";
    char *name = NULL;
    if (pyoci_docker_container_pid(spec->docker_socket, spec->ref, &out->pid, &name, &e) == 0 || !not_found(e)) {
      free(name);
      *err = e;
      return e ? -1 : 0;
    }
    pyoci_error_release(&e);
  }
  if (spec->podman && podman_pid(spec->podman, spec->ref, &out->pid, &e) == 0) {
    out->kind = "podman";
    return 0;
  }
  pyoci_error_release(&e);
  return pyoci_error_set_code(err, PYOCI_E_NOT_FOUND, 0, "No such container: %s", spec->ref);
}

int pyoci_target_resolve(const pyoci_target_spec_t *spec, pyoci_target_t *out, pyoci_error_t **err)
{
  memset(out, 0, sizeof(*out));
  out->name = xstrdup(spec->ref);
  char *ignored_name = NULL;
  int rc;
  switch (spec->kind) {
  case PYOCI_TARGET_PYOCI:
    out->kind = "pyoci";
    return pyoci_pid(spec->store_path, spec->ref, &out->pid, err);
  case PYOCI_TARGET_PID:
    out->kind = "pid";
    return host_pid(spec->ref, &out->pid, err);
  case PYOCI_TARGET_DOCKER:
    out->kind = "docker";
    if (spec->docker_socket == NULL)
      return pyoci_error_set(err, 0, "docker://%s: no Docker Engine API socket", spec->ref);
    rc = pyoci_docker_container_pid(spec->docker_socket, spec->ref, &out->pid, &ignored_name, err);
    free(ignored_name);
    return rc;
  case PYOCI_TARGET_PODMAN:
    out->kind = "podman";
    return podman_pid(spec->podman ? spec->podman : "podman", spec->ref, &out->pid, err);
  case PYOCI_TARGET_AUTO:
  default:
    return resolve_auto(spec, out, err);
  }
}

void pyoci_target_release(pyoci_target_t *t)
{
  free(t->name);
  t->name = NULL;
}

int pyoci_target_env(pid_t pid, char ***env, pyoci_error_t **err)
{
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
  cleanup_free char *buf = NULL;
  size_t len = 0;
  if (pyoci_read_file(path, ENVIRON_MAX, &buf, &len, err) < 0)
    return -1;
  pyoci_strv_t v = PYOCI_STRV_INIT;
  for (size_t off = 0; off < len; off += strlen(buf + off) + 1)
    if (buf[off])
      pyoci_strv_push(&v, buf + off);
  *env = pyoci_strv_detach(&v, NULL);
  return 0;
}

/* The directory of one /proc/PID/cgroup line's hierarchy. */
static char *cgroup_dir(const char *controllers, const char *path)
{
  if (*controllers == '\0') { /* v2: unified, alone or beside v1 */
    if (pyoci_path_exists("/sys/fs/cgroup/unified"))
      return xasprintf("/sys/fs/cgroup/unified%s", path);
    return xasprintf("/sys/fs/cgroup%s", path);
  }
  const char *name = strncmp(controllers, "name=", 5) == 0 ? controllers + 5 : controllers;
  return xasprintf("/sys/fs/cgroup/%s%s", name, path);
}

int pyoci_cgroup_join(pid_t target, pid_t pid, pyoci_error_t **err)
{
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)target);
  cleanup_free char *buf = NULL;
  if (pyoci_read_file(path, 1u << 16, &buf, NULL, err) < 0)
    return -1;
  int joined = 0;
  for (char *save = NULL, *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    char *c1 = strchr(line, ':');
    char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (c2 == NULL)
      continue;
    *c2 = '\0';
    cleanup_free char *dir = cgroup_dir(c1 + 1, c2 + 1);
    cleanup_free char *procs = pyoci_path_join(dir, "cgroup.procs");
    cleanup_close int fd = open(procs, O_WRONLY | O_CLOEXEC);
    char num[32];
    int n = snprintf(num, sizeof(num), "%d", (int)pid);
    if (fd >= 0 && write(fd, num, (size_t)n) == n)
      joined++;
  }
  if (joined == 0)
    return pyoci_error_set(err, 0, "cannot join the cgroups of process %d", (int)target);
  return 0;
}
