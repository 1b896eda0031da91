/* The trace: fanotify on the overlay's file system, the app in runc, the
 * probes from the host.
 *
 * Why fanotify (FAN_MARK_FILESYSTEM on the overlay) and not ptrace: the mark
 * covers every mount of that superblock, the container's own bind of its
 * root included, so no process inside needs to be traced, nothing slows the
 * app down, and threads, forks and exec'd helpers are all seen.  Each event
 * carries an open descriptor, so the path is the file's real one.  What it
 * does not see (and ptrace would): stat/access/readlink-only checks, the
 * names of symlinks followed on the way (keep.c resolves chains itself), and
 * directory listings; files reached through other mounts (/proc, the bound
 * /etc/hosts and resolv.conf) are not the image's anyway.  What neither sees:
 * code paths the probes never drive -- pyclosure.c covers Python's. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/strbuf.h"
#include "distill_int.h"

static double now_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The event's file as a path relative to the root.  readlink of the fd
 * gives the path in whichever mount namespace it was opened: ours
 * (ROOTFS/...) or the container's (/...); the inode check makes sure it
 * names the same file in our view. */
static char *event_path(const char *rootfs, int fd)
{
  char link[64], buf[4096];
  snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, buf, sizeof(buf) - 1);
  if (n <= 0)
    return NULL;
  buf[n] = '\0';
  size_t rl = strlen(rootfs);
  const char *rel = buf;
  if (strncmp(buf, rootfs, rl) == 0 && buf[rl] == '/')
    rel = buf + rl;
  while (*rel == '/')
    rel++;
  if (*rel == '\0')
    return NULL;
  struct stat a, b;
  cleanup_free char *mine = pyoci_path_join(rootfs, rel);
  if (fstat(fd, &a) < 0 || lstat(mine, &b) < 0 || a.st_ino != b.st_ino || a.st_dev != b.st_dev)
    return NULL;
  return xstrdup(rel);
}

static void drain(int fan, const char *rootfs, json_t *traced)
{
  char buf[64 * 1024] __attribute__((aligned(__alignof__(struct fanotify_event_metadata))));
  for (;;) {
    ssize_t n = read(fan, buf, sizeof(buf));
    if (n <= 0)
      return;
    struct fanotify_event_metadata *m = (struct fanotify_event_metadata *)buf;
    for (; FAN_EVENT_OK(m, n); m = FAN_EVENT_NEXT(m, n)) {
      if (m->fd < 0)
        continue;
      cleanup_free char *rel = traced ? event_path(rootfs, m->fd) : NULL;
      close(m->fd);
      if (rel == NULL)
        continue;
      bool exec = (m->mask & FAN_OPEN_EXEC) != 0;
      if (exec || json_object_get(traced, rel) == NULL)
        json_object_set_new(traced, rel, json_string(exec ? "exec" : "open"));
    }
  }
}

/* The last lines of the app's log, for an error message. */
static char *log_tail(const char *path)
{
  cleanup_free char *text = NULL;
  size_t len = 0;
  pyoci_error_t *ignored = NULL;
  if (pyoci_read_file(path, 1 << 20, &text, &len, &ignored) < 0) {
    pyoci_error_free(ignored);
    return xstrdup("");
  }
  while (len > 0 && text[len - 1] == '\n')
    text[--len] = '\0';
  size_t start = len;
  for (int lines = 0; start > 0 && lines < 6; start--)
    if (text[start - 1] == '\n' && ++lines == 6)
      break;
  strbuf_t sb = STRBUF_INIT;
  strbuf_addstr(&sb, len ? "; its last output:\n  " : "; it printed nothing");
  for (const char *p = text + start; *p; p++) {
    strbuf_addch(&sb, *p);
    if (*p == '\n')
      strbuf_addstr(&sb, "  ");
  }
  return strbuf_detach(&sb);
}

static int app_exited(pyoci_trace_t *t, pyoci_container_proc_t *proc, const char *log, const char *what,
                      pyoci_error_t **err)
{
  int code = 0;
  if (pyoci_runtime_poll(proc, &code, err) <= 0)
    return 0;
  cleanup_free char *tail = log_tail(log);
  return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "the image's entrypoint (%s) exited with status %d %s%s",
                              t->spec->argv[0], code, what, tail);
}

/* Wait until the first probe gets any HTTP answer. */
static int wait_ready(pyoci_trace_t *t, int fan, pyoci_container_proc_t *proc, const char *log, pyoci_error_t **err)
{
  double deadline = now_s() + t->duration;
  const char *url = t->probes[0];
  for (;;) {
    drain(fan, t->rootfs, t->traced);
    cleanup_free char *what = xasprintf("before answering %s", url);
    if (app_exited(t, proc, log, what, err) < 0)
      return -1;
    long status = 0;
    cleanup_free char *body = NULL;
    size_t len = 0;
    if (pyoci_probe_get(url, 2000, &status, &body, &len, err) < 0)
      return -1;
    if (status > 0)
      return 0;
    if (now_s() > deadline) {
      cleanup_free char *tail = log_tail(log);
      return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "no answer from %s within %d s (--duration)%s", url,
                                  t->duration, tail);
    }
    usleep(200 * 1000);
  }
}

static void answer(pyoci_trace_t *t, const char *probe, long status, json_t *body)
{
  json_array_append_new(t->answers, json_pack("{s:s, s:I, s:o}", "probe", probe, "status", (json_int_t)status,
                                              "body", body));
}

/* No HTTP probe: the app runs for --duration.  Exiting with 0 in that time
 * ends the trace (a batch job; its status is compared by verify), another
 * status fails it. */
static int run_for_duration(pyoci_trace_t *t, int fan, pyoci_container_proc_t *proc, const char *log,
                            pyoci_error_t **err)
{
  for (double end = now_s() + t->duration; now_s() < end;) {
    drain(fan, t->rootfs, t->traced);
    int code = 0, rc = pyoci_runtime_poll(proc, &code, err);
    if (rc < 0)
      return -1;
    if (rc == 1 && code != 0) {
      cleanup_free char *tail = log_tail(log);
      return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "the image's entrypoint (%s) exited with status %d "
                                  "during the trace%s", t->spec->argv[0], code, tail);
    }
    if (rc == 1) {
      answer(t, "exit status", code, json_string(""));
      return 0;
    }
    usleep(200 * 1000);
  }
  return 0;
}

static int drive_probes(pyoci_trace_t *t, int fan, pyoci_container_proc_t *proc, const char *log, pyoci_error_t **err)
{
  for (const char *const *p = t->probes; *p; p++) {
    long status = 0;
    char *body = NULL;
    size_t len = 0;
    if (pyoci_probe_get(*p, 30000, &status, &body, &len, err) < 0)
      return -1;
    answer(t, *p, status, json_stringn_nocheck(body, len));
    free(body);
    drain(fan, t->rootfs, t->traced);
  }
  if (t->probes[0] == NULL && run_for_duration(t, fan, proc, log, err) < 0)
    return -1;
  if (t->probe_cmd) {
    int code = 0;
    char *out = NULL;
    if (pyoci_probe_cmd(t->probe_cmd, t->host_env, &code, &out, err) < 0)
      return -1;
    answer(t, t->probe_cmd, code, json_string_nocheck(out ? out : ""));
    free(out);
  }
  return 0;
}

int pyoci_distill_trace(pyoci_trace_t *t, pyoci_error_t **err)
{
  cleanup_close int fan = fanotify_init(FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_NONBLOCK | FAN_UNLIMITED_QUEUE,
                                        O_RDONLY | O_LARGEFILE | O_CLOEXEC);
  if (fan < 0)
    return pyoci_error_set(err, errno, "fanotify_init (distill needs root and Linux 5.1+)");
  if (fanotify_mark(fan, FAN_MARK_ADD | FAN_MARK_FILESYSTEM, FAN_OPEN | FAN_OPEN_EXEC, AT_FDCWD, t->rootfs) < 0)
    return pyoci_error_set(err, errno, "fanotify_mark '%s'", t->rootfs);
  cleanup_free char *log = pyoci_path_join(t->scratch, "app.log");
  cleanup_close int logfd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (logfd < 0)
    return pyoci_error_set(err, errno, "create '%s'", log);
  pyoci_container_proc_t proc;
  if (pyoci_runtime_start(t->spec, t->scratch, logfd, &proc, err) < 0)
    return -1;
  int rc = t->probes[0] ? wait_ready(t, fan, &proc, log, err) : 0;
  if (rc == 0)
    rc = drive_probes(t, fan, &proc, log, err);
  pyoci_error_t *stop_err = NULL;
  if (pyoci_runtime_stop(&proc, NULL, &stop_err) < 0 && rc == 0) {
    *err = stop_err;
    rc = -1;
  } else {
    pyoci_error_free(stop_err);
  }
  drain(fan, t->rootfs, t->traced);
  return rc;
}
