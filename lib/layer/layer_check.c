/* Checking a layer's entries while its bytes stream in (pyoci pull).
 *
 * A download hands each chunk to pyoci_layer_check_feed, which copies it
 * into a pipe; a thread reads the other end with pyoci_layer_validate, the
 * same check load and import run.  So a hostile layer is refused before its
 * blob is published, without a second pass over the file, and the tar is
 * decompressed on another core while the network is still busy.
 *
 * The thread drains the pipe to its end even after the tar's end-of-archive
 * (or after a refusal), so a feeder can never block on a full pipe; a
 * refusal is seen by the next feed, which stops the download early. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/util/alloc.h"
#include "layer.h"

struct pyoci_layer_check {
  int wfd, rfd;
  pthread_t thread;
  bool joined;
  int failed;              /* set by the thread (atomic): the check refused the layer */
  pyoci_error_t *err;      /* the thread's verdict, read after join */
  char *what;
  char *diff_id;           /* NULL: the uncompressed hash is not checked */
};

static void *check_thread(void *arg)
{
  pyoci_layer_check_t *c = arg;
  if (pyoci_layer_validate(c->rfd, c->what, c->diff_id, &c->err) < 0)
    __atomic_store_n(&c->failed, 1, __ATOMIC_RELEASE);
  char buf[65536];
  for (;;) {
    ssize_t n = read(c->rfd, buf, sizeof(buf));
    if (n == 0 || (n < 0 && errno != EINTR))
      break;
  }
  return NULL;
}

int pyoci_layer_check_start(const char *what, const char *diff_id, pyoci_layer_check_t **out, pyoci_error_t **err)
{
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0)
    return pyoci_error_set(err, errno, "check layer '%s': pipe", what);
  /* Fewer wake-ups: a bigger pipe than the default 64 KiB (best effort). */
  (void)fcntl(p[1], F_SETPIPE_SZ, 1 << 20);
  pyoci_layer_check_t *c = xcalloc(1, sizeof(*c));
  c->rfd = p[0];
  c->wfd = p[1];
  c->what = xstrdup(what);
  c->diff_id = diff_id ? xstrdup(diff_id) : NULL;
  int rc = pthread_create(&c->thread, NULL, check_thread, c);
  if (rc != 0) {
    close(c->rfd);
    close(c->wfd);
    free(c->what);
    free(c->diff_id);
    free(c);
    return pyoci_error_set(err, rc, "check layer '%s': thread", what);
  }
  *out = c;
  return 0;
}

/* Close our end, wait for the thread; its verdict moves to err. */
static int join(pyoci_layer_check_t *c, pyoci_error_t **err)
{
  if (!c->joined) {
    if (c->wfd >= 0)
      close(c->wfd);
    c->wfd = -1;
    pthread_join(c->thread, NULL);
    close(c->rfd);
    c->joined = true;
  }
  return c->err == NULL ? 0 : pyoci_error_propagate(err, &c->err);
}

int pyoci_layer_check_feed(pyoci_layer_check_t *c, const void *buf, size_t len, pyoci_error_t **err)
{
  if (c->joined || __atomic_load_n(&c->failed, __ATOMIC_ACQUIRE))
    return join(c, err) < 0 ? -1 : pyoci_error_set(err, 0, "check layer '%s': already finished", c->what);
  const char *p = buf;
  while (len > 0) {
    ssize_t n = write(c->wfd, p, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return pyoci_error_set(err, errno, "check layer '%s': write", c->what);
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

int pyoci_layer_check_finish(pyoci_layer_check_t *c, pyoci_error_t **err)
{
  int rc = join(c, err);
  pyoci_layer_check_abort(c);
  return rc;
}

void pyoci_layer_check_abort(pyoci_layer_check_t *c)
{
  if (c == NULL)
    return;
  if (!c->joined) /* the thread sees a truncated stream and ends */
    (void)join(c, NULL);
  pyoci_error_free(c->err);
  free(c->what);
  free(c->diff_id);
  free(c);
}
