#include "hash_async.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "settings.h"

#define SLOT_SIZE (1u << 20)
#define NSLOTS 4

struct pyoci_sha256_async {
  pyoci_sha256_t *h;
  bool threaded;
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  unsigned char *buf[NSLOTS];
  size_t len[NSLOTS];
  size_t head, tail, count; /* ring of full slots: tail = next to hash */
  size_t fill;              /* bytes in buf[head] not yet handed over */
  bool stop;
};

static void *hasher(void *arg)
{
  pyoci_sha256_async_t *a = arg;
  pthread_mutex_lock(&a->mu);
  for (;;) {
    while (a->count == 0 && !a->stop)
      pthread_cond_wait(&a->cv, &a->mu);
    if (a->count == 0 && a->stop)
      break;
    size_t slot = a->tail;
    pthread_mutex_unlock(&a->mu);
    pyoci_sha256_update(a->h, a->buf[slot], a->len[slot]);
    pthread_mutex_lock(&a->mu);
    a->tail = (a->tail + 1) % NSLOTS;
    a->count--;
    pthread_cond_broadcast(&a->cv);
  }
  pthread_mutex_unlock(&a->mu);
  return NULL;
}

static bool one_thread_only(void)
{
  return pyoci_settings()->threads == 1;
}

pyoci_sha256_async_t *pyoci_sha256_async_new(void)
{
  pyoci_sha256_async_t *a = xcalloc(1, sizeof(*a));
  a->h = pyoci_sha256_new();
  if (one_thread_only())
    return a;
  for (size_t i = 0; i < NSLOTS; i++)
    a->buf[i] = xmalloc(SLOT_SIZE);
  pthread_mutex_init(&a->mu, NULL);
  pthread_cond_init(&a->cv, NULL);
  a->threaded = pthread_create(&a->thread, NULL, hasher, a) == 0;
  return a;
}

/* Hand the filling slot to the hasher; wait for a free one. */
static void submit(pyoci_sha256_async_t *a)
{
  pthread_mutex_lock(&a->mu);
  a->len[a->head] = a->fill;
  a->head = (a->head + 1) % NSLOTS;
  a->count++;
  pthread_cond_broadcast(&a->cv);
  while (a->count == NSLOTS)
    pthread_cond_wait(&a->cv, &a->mu);
  pthread_mutex_unlock(&a->mu);
  a->fill = 0;
}

void pyoci_sha256_async_update(pyoci_sha256_async_t *a, const void *data, size_t len)
{
  if (!a->threaded) {
    pyoci_sha256_update(a->h, data, len);
    return;
  }
  const unsigned char *p = data;
  while (len > 0) {
    size_t n = SLOT_SIZE - a->fill;
    if (n > len)
      n = len;
    memcpy(a->buf[a->head] + a->fill, p, n);
    a->fill += n;
    p += n;
    len -= n;
    if (a->fill == SLOT_SIZE)
      submit(a);
  }
}

static void stop_thread(pyoci_sha256_async_t *a)
{
  if (!a->threaded)
    return;
  pthread_mutex_lock(&a->mu);
  a->stop = true;
  pthread_cond_broadcast(&a->cv);
  pthread_mutex_unlock(&a->mu);
  pthread_join(a->thread, NULL);
  a->threaded = false;
}

static void release(pyoci_sha256_async_t *a)
{
  if (a->buf[0] != NULL) {
    pthread_mutex_destroy(&a->mu);
    pthread_cond_destroy(&a->cv);
  }
  for (size_t i = 0; i < NSLOTS; i++)
    free(a->buf[i]);
  free(a);
}

void pyoci_sha256_async_final(pyoci_sha256_async_t *a, char out[PYOCI_DIGEST_LEN])
{
  if (a->threaded && a->fill > 0)
    submit(a);
  stop_thread(a); /* the hasher drains every submitted slot before it stops */
  pyoci_sha256_final(a->h, out);
  release(a);
}

void pyoci_sha256_async_free(pyoci_sha256_async_t *a)
{
  if (a == NULL)
    return;
  stop_thread(a);
  pyoci_sha256_free(a->h);
  release(a);
}
