/* Parallel blob transfers: a few threads, each with its own kept
 * connection, take the next job from a shared counter; the first failure
 * stops the others from starting new jobs and is the one reported. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "registry_int.h"

struct pool {
  reg_job_fn fn;
  void *ctx;
  size_t n, next;
  pthread_mutex_t mu;
  pyoci_error_t *err;
};

static void *worker(void *arg)
{
  struct pool *p = arg;
  pyoci_http_conn_t *c = pyoci_http_conn_new();
  for (;;) {
    pthread_mutex_lock(&p->mu);
    bool stop = p->err != NULL || p->next >= p->n || c == NULL;
    size_t i = p->next++;
    if (c == NULL && p->err == NULL)
      pyoci_error_set(&p->err, 0, "cannot initialise libcurl");
    pthread_mutex_unlock(&p->mu);
    if (stop)
      break;
    pyoci_error_t *e = NULL;
    if (p->fn(p->ctx, c, i, &e) < 0) {
      pthread_mutex_lock(&p->mu);
      if (p->err == NULL)
        p->err = e;
      else
        pyoci_error_free(e);
      pthread_mutex_unlock(&p->mu);
    }
  }
  pyoci_http_conn_free(c);
  return NULL;
}

int pyoci_reg_pool_run(unsigned jobs, size_t n, reg_job_fn fn, void *ctx, pyoci_error_t **err)
{
  struct pool p = {.fn = fn, .ctx = ctx, .n = n};
  pthread_mutex_init(&p.mu, NULL);
  unsigned nt = jobs ? jobs : 4;
  if (nt > n)
    nt = (unsigned)n;
  if (nt > 32)
    nt = 32;
  pthread_t th[32];
  unsigned started = 0;
  for (; started < nt; started++)
    if (pthread_create(&th[started], NULL, worker, &p) != 0)
      break;
  if (started == 0 && n > 0)
    worker(&p); /* no thread to be had: do the work here */
  for (unsigned i = 0; i < started; i++)
    pthread_join(th[i], NULL);
  pthread_mutex_destroy(&p.mu);
  if (p.err != NULL) {
    if (err && *err == NULL)
      *err = p.err;
    else
      pyoci_error_free(p.err);
    return -1;
  }
  return 0;
}
