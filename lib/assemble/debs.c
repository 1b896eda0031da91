/* Installing the closure's .debs.  Decompressing data.tar (xz, mostly) is
 * the largest CPU cost of an assemble whose .debs are cached, so worker
 * threads decode the next .debs into temporary files while the caller
 * applies them to the root strictly in the plan's order: the tree, and so
 * the layer's digest, is the one a single thread makes.  At most `window`
 * decoded .debs wait to be applied, which bounds the temporary space. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/layer/layer.h"
#include "asm_int.h"

typedef struct {
  int fd; /* the decoded data.tar, -1 until decoded (or on error) */
  pyoci_deb_info_t info;
  pyoci_error_t *err;
  bool done;
} slot_t;

typedef struct {
  const pyoci_debs_t *d;
  slot_t *slots;
  size_t next;    /* the next .deb to decode */
  size_t applied; /* .debs applied so far */
  size_t window;
  bool stop;
  pthread_mutex_t mu;
  pthread_cond_t cv;
} pool_t;

/* An unnamed file beside the root (the page cache may write it out), or
 * memory where the file system has no O_TMPFILE. */
static int temp_fd(const char *dir)
{
  int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  return fd >= 0 ? fd : memfd_create("deb-data", MFD_CLOEXEC);
}

static void decode_one(pool_t *p, size_t i)
{
  slot_t *s = &p->slots[i];
  cleanup_close int in = open(p->d->paths[i], O_RDONLY | O_CLOEXEC);
  int out = in < 0 ? -1 : temp_fd(p->d->tmpdir);
  if (in < 0)
    pyoci_error_set(&s->err, errno, "open '%s'", p->d->paths[i]);
  else if (out < 0)
    pyoci_error_set(&s->err, errno, "a temporary file in '%s'", p->d->tmpdir);
  else if (pyoci_deb_decode(in, p->d->whats[i], out, &s->info, &s->err) == 0)
    s->fd = steal_fd(&out);
  if (out >= 0)
    close(out);
}

/* Claim the next .deb to decode (p->mu held); false when there is none
 * or the window is full. */
static bool claim(pool_t *p, size_t *i)
{
  if (p->stop || p->next >= p->d->n || p->next >= p->applied + p->window)
    return false;
  *i = p->next++;
  return true;
}

static void decode_claimed(pool_t *p, size_t i)
{
  pthread_mutex_unlock(&p->mu);
  decode_one(p, i);
  pthread_mutex_lock(&p->mu);
  p->slots[i].done = true;
  pthread_cond_broadcast(&p->cv);
}

static void *worker(void *arg)
{
  pool_t *p = arg;
  pthread_mutex_lock(&p->mu);
  while (!p->stop && p->next < p->d->n) {
    size_t i;
    if (claim(p, &i))
      decode_claimed(p, i);
    else
      pthread_cond_wait(&p->cv, &p->mu);
  }
  pthread_mutex_unlock(&p->mu);
  return NULL;
}

/* Wait until .deb i is decoded, decoding it (and only it) here when no
 * worker has taken it: with no workers this is the single-threaded path. */
static void wait_decoded(pool_t *p, size_t i)
{
  pthread_mutex_lock(&p->mu);
  while (!p->slots[i].done) {
    size_t k;
    if (p->next == i && claim(p, &k))
      decode_claimed(p, k);
    else
      pthread_cond_wait(&p->cv, &p->mu);
  }
  pthread_mutex_unlock(&p->mu);
}

static int apply_one(pool_t *p, size_t i, pyoci_error_t **err)
{
  slot_t *s = &p->slots[i];
  int rc = -1;
  if (s->err != NULL)
    rc = pyoci_error_propagate(err, &s->err);
  else if (pyoci_deb_apply(s->fd, p->d->whats[i], p->d->root_fd, p->d->filter, &s->info, err) == 0)
    rc = p->d->done(p->d->ctx, i, &s->info, err);
  if (s->fd >= 0)
    close(s->fd);
  s->fd = -1;
  pyoci_deb_info_release(&s->info);
  pthread_mutex_lock(&p->mu);
  p->applied = i + 1;
  pthread_cond_broadcast(&p->cv);
  pthread_mutex_unlock(&p->mu);
  return rc;
}

static void pool_finish(pool_t *p, pthread_t *threads, size_t n_threads)
{
  pthread_mutex_lock(&p->mu);
  p->stop = true;
  pthread_cond_broadcast(&p->cv);
  pthread_mutex_unlock(&p->mu);
  for (size_t t = 0; t < n_threads; t++)
    pthread_join(threads[t], NULL);
  for (size_t i = 0; i < p->d->n; i++) {
    if (p->slots[i].fd >= 0)
      close(p->slots[i].fd);
    pyoci_deb_info_release(&p->slots[i].info);
    pyoci_error_free(p->slots[i].err);
  }
  pthread_mutex_destroy(&p->mu);
  pthread_cond_destroy(&p->cv);
  free(p->slots);
}

int pyoci_debs_install(const pyoci_debs_t *d, pyoci_error_t **err)
{
  /* The caller applies (and decodes when it catches up): one worker
   * fewer than the threads asked for keeps the cores busy, not crowded. */
  size_t n_threads = (size_t)pyoci_layer_threads(d->threads) - 1;
  if (n_threads > d->n)
    n_threads = d->n;
  pool_t p = {.d = d, .slots = xcalloc(d->n + 1, sizeof(slot_t)), .window = 2 * n_threads + 2};
  for (size_t i = 0; i < d->n; i++)
    p.slots[i].fd = -1;
  pthread_mutex_init(&p.mu, NULL);
  pthread_cond_init(&p.cv, NULL);
  pthread_t *threads = xcalloc(n_threads + 1, sizeof(pthread_t));
  size_t started = 0;
  while (started < n_threads && pthread_create(&threads[started], NULL, worker, &p) == 0)
    started++;
  int rc = 0;
  for (size_t i = 0; i < d->n && rc == 0; i++) {
    wait_decoded(&p, i);
    rc = apply_one(&p, i, err);
  }
  pool_finish(&p, threads, started);
  free(threads);
  return rc;
}
