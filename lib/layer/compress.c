/* Layer compression: none, gzip (libdeflate, parallel) and zstd (libzstd).
 *
 * gzip: the input is cut into fixed 1 MiB chunks and every chunk becomes its
 * own gzip member (gzip readers concatenate members).  The chunk size does not
 * depend on the thread count, and libdeflate writes a fixed header (mtime 0,
 * OS 255), so the output is byte-identical for 1 or N threads.  Chunks go to
 * a ring of slots: the caller fills the next slot, workers compress pending
 * slots, and the caller writes finished slots to the sink strictly in order.
 * Memory is bounded by the ring (2 slots per thread).
 *
 * zstd: always nbWorkers >= 1, because libzstd's multi-threaded output is
 * the same for any worker count but differs from single-threaded mode. */
#include <errno.h>
#include <libdeflate.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "lib/util/alloc.h"
#include "lib/util/settings.h"
#include "layer.h"
#include "codec.h"
#include "layer_int.h"

#define GZ_CHUNK (1u << 20)
#define MAX_THREADS 64

enum { SLOT_FREE, SLOT_FILLING, SLOT_PENDING, SLOT_RUNNING, SLOT_DONE };

typedef struct {
  int state;
  unsigned char *in;
  size_t in_len;
  unsigned char *out;
  size_t out_len; /* 0 after a failed compression */
} gz_slot_t;

struct pyoci_compressor {
  pyoci_comp_t comp;
  const struct pyoci_codec_enc *enc; /* the codec row's encoder */
  int level;
  pyoci_sink_fn sink;
  void *ctx;
  pyoci_error_t *sticky; /* first sink error; later writes fail with it */

  /* gzip */
  int nthreads; /* worker threads; 0 = compress inline in the caller */
  size_t nslots;
  gz_slot_t *slots;
  size_t fill;  /* slot being filled (index) */
  size_t emit;  /* next slot to write to the sink */
  size_t next;  /* next slot for workers to look at */
  uint64_t members;
  struct libdeflate_compressor *inline_comp;
  size_t bound; /* libdeflate's worst case for one chunk */
  pthread_t *workers;
  bool sync_init;
  pthread_mutex_t mu;
  pthread_cond_t work_cv, done_cv;
  bool stop;

  /* zstd */
  ZSTD_CCtx *zc;
  unsigned char *zbuf;
  size_t zbuf_len;
};

int pyoci_layer_threads(int n)
{
  if (n > 0)
    return n > MAX_THREADS ? MAX_THREADS : n;
  int v = pyoci_settings()->threads;
  if (v > 0)
    return v > MAX_THREADS ? MAX_THREADS : v;
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  if (cpus < 1)
    cpus = 1;
  return cpus > MAX_THREADS ? MAX_THREADS : (int)cpus;
}

static void gz_compress_slot(const pyoci_compressor_t *c, struct libdeflate_compressor *dc, gz_slot_t *s)
{
  s->out_len = libdeflate_gzip_compress(dc, s->in, s->in_len, s->out, c->bound);
}

static void *gz_worker(void *arg)
{
  pyoci_compressor_t *c = arg;
  struct libdeflate_compressor *dc = libdeflate_alloc_compressor(c->level);
  pthread_mutex_lock(&c->mu);
  for (;;) {
    while (!c->stop && c->slots[c->next].state != SLOT_PENDING)
      pthread_cond_wait(&c->work_cv, &c->mu);
    if (c->stop)
      break;
    gz_slot_t *s = &c->slots[c->next];
    c->next = (c->next + 1) % c->nslots;
    s->state = SLOT_RUNNING;
    pthread_mutex_unlock(&c->mu);
    if (dc != NULL)
      gz_compress_slot(c, dc, s);
    else
      s->out_len = 0;
    pthread_mutex_lock(&c->mu);
    s->state = SLOT_DONE;
    pthread_cond_broadcast(&c->done_cv);
  }
  pthread_mutex_unlock(&c->mu);
  libdeflate_free_compressor(dc);
  return NULL;
}

static int emit(pyoci_compressor_t *c, const void *buf, size_t len, pyoci_error_t **err)
{
  if (c->sticky == NULL && c->sink(c->ctx, buf, len, &c->sticky) < 0 && c->sticky == NULL)
    pyoci_error_set(&c->sticky, 0, "compress: output failed");
  if (c->sticky != NULL)
    return pyoci_error_copy(err, c->sticky);
  return 0;
}

/* Wait for the oldest slot, write it out and free it. */
static int gz_emit_oldest(pyoci_compressor_t *c, pyoci_error_t **err)
{
  gz_slot_t *s = &c->slots[c->emit];
  pthread_mutex_lock(&c->mu);
  while (s->state != SLOT_DONE)
    pthread_cond_wait(&c->done_cv, &c->mu);
  pthread_mutex_unlock(&c->mu);
  int r = 0;
  if (s->out_len == 0)
    r = pyoci_error_set(err, ENOMEM, "gzip: compressing a chunk failed");
  else
    r = emit(c, s->out, s->out_len, err);
  /* Slot states are shared with the workers: change them under the lock
   * (a worker never looks at a FREE slot, but that is no excuse for a race). */
  pthread_mutex_lock(&c->mu);
  s->state = SLOT_FREE;
  pthread_mutex_unlock(&c->mu);
  s->in_len = 0;
  c->emit = (c->emit + 1) % c->nslots;
  return r;
}

/* The filling slot is complete: compress it (inline or by the pool). */
static int gz_submit(pyoci_compressor_t *c, pyoci_error_t **err)
{
  gz_slot_t *s = &c->slots[c->fill];
  c->members++;
  if (c->nthreads == 0) {
    gz_compress_slot(c, c->inline_comp, s);
    s->state = SLOT_DONE;
    int r = gz_emit_oldest(c, err);
    s->state = SLOT_FILLING;
    return r;
  }
  pthread_mutex_lock(&c->mu);
  s->state = SLOT_PENDING;
  pthread_cond_signal(&c->work_cv);
  pthread_mutex_unlock(&c->mu);
  c->fill = (c->fill + 1) % c->nslots;
  /* The ring is full when the next slot to fill is still owned by a chunk
   * not yet written: write that one first (this is the back-pressure). */
  pthread_mutex_lock(&c->mu);
  bool busy = c->slots[c->fill].state != SLOT_FREE;
  pthread_mutex_unlock(&c->mu);
  if (busy && gz_emit_oldest(c, err) < 0)
    return -1;
  pthread_mutex_lock(&c->mu);
  c->slots[c->fill].state = SLOT_FILLING;
  pthread_mutex_unlock(&c->mu);
  return 0;
}

static int gz_write(pyoci_compressor_t *c, const unsigned char *p, size_t len, pyoci_error_t **err)
{
  while (len > 0) {
    gz_slot_t *s = &c->slots[c->fill];
    pyoci_buf_fill(s->in, &s->in_len, GZ_CHUNK, &p, &len);
    if (s->in_len == GZ_CHUNK && gz_submit(c, err) < 0)
      return -1;
  }
  return 0;
}

static int gz_finish(pyoci_compressor_t *c, pyoci_error_t **err)
{
  gz_slot_t *s = &c->slots[c->fill];
  /* Empty input still yields one (empty) member: a valid gzip file. */
  if ((s->in_len > 0 || c->members == 0) && gz_submit(c, err) < 0)
    return -1;
  if (c->nthreads == 0)
    return 0;
  while (c->emit != c->fill)
    if (gz_emit_oldest(c, err) < 0)
      return -1;
  return 0;
}

static int gz_init(pyoci_compressor_t *c, int threads)
{
  if (c->level <= 0)
    c->level = 6;
  if (c->level > 12)
    c->level = 12;
  c->nthreads = threads <= 1 ? 0 : threads;
  c->nslots = c->nthreads == 0 ? 1 : (size_t)c->nthreads * 2;
  c->inline_comp = libdeflate_alloc_compressor(c->level);
  if (c->inline_comp == NULL)
    return -1;
  c->bound = libdeflate_gzip_compress_bound(c->inline_comp, GZ_CHUNK);
  c->slots = xcalloc(c->nslots, sizeof(*c->slots));
  for (size_t i = 0; i < c->nslots; i++) {
    c->slots[i].in = xmalloc(GZ_CHUNK);
    c->slots[i].out = xmalloc(c->bound);
    if (c->slots[i].in == NULL || c->slots[i].out == NULL)
      return -1;
  }
  c->slots[0].state = SLOT_FILLING;
  pthread_mutex_init(&c->mu, NULL);
  pthread_cond_init(&c->work_cv, NULL);
  pthread_cond_init(&c->done_cv, NULL);
  c->sync_init = true;
  if (c->nthreads == 0)
    return 0;
  c->workers = xcalloc((size_t)c->nthreads, sizeof(pthread_t));
  for (int i = 0; i < c->nthreads; i++)
    if (pthread_create(&c->workers[i], NULL, gz_worker, c) != 0) {
      c->nthreads = i; /* join what started */
      return -1;
    }
  return 0;
}

static void gz_free(pyoci_compressor_t *c)
{
  if (c->workers != NULL) {
    pthread_mutex_lock(&c->mu);
    c->stop = true;
    pthread_cond_broadcast(&c->work_cv);
    pthread_mutex_unlock(&c->mu);
    for (int i = 0; i < c->nthreads; i++)
      pthread_join(c->workers[i], NULL);
    free(c->workers);
  }
  if (c->sync_init) {
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->work_cv);
    pthread_cond_destroy(&c->done_cv);
  }
  if (c->slots != NULL)
    for (size_t i = 0; i < c->nslots; i++) {
      free(c->slots[i].in);
      free(c->slots[i].out);
    }
  free(c->slots);
  libdeflate_free_compressor(c->inline_comp);
}

/* ---- zstd ---- */

static int zstd_init(pyoci_compressor_t *c, int threads)
{
  if (c->level <= 0)
    c->level = 3;
  if (c->level > ZSTD_maxCLevel())
    c->level = ZSTD_maxCLevel();
  c->zc = ZSTD_createCCtx();
  c->zbuf_len = ZSTD_CStreamOutSize();
  c->zbuf = xmalloc(c->zbuf_len);
  if (c->zc == NULL || c->zbuf == NULL)
    return -1;
  ZSTD_CCtx_setParameter(c->zc, ZSTD_c_compressionLevel, c->level);
  ZSTD_CCtx_setParameter(c->zc, ZSTD_c_checksumFlag, 1);
  /* A libzstd without threads rejects nbWorkers; it then runs in the
   * caller (still deterministic for that library). */
  ZSTD_CCtx_setParameter(c->zc, ZSTD_c_nbWorkers, threads < 1 ? 1 : threads);
  return 0;
}

static int zstd_push(pyoci_compressor_t *c, const void *buf, size_t len, ZSTD_EndDirective mode,
                     pyoci_error_t **err)
{
  ZSTD_inBuffer in = {buf, len, 0};
  for (;;) {
    ZSTD_outBuffer out = {c->zbuf, c->zbuf_len, 0};
    size_t left = ZSTD_compressStream2(c->zc, &out, &in, mode);
    if (ZSTD_isError(left))
      return pyoci_error_set(err, 0, "zstd: %s", ZSTD_getErrorName(left));
    if (out.pos > 0 && emit(c, c->zbuf, out.pos, err) < 0)
      return -1;
    if (mode == ZSTD_e_end ? left == 0 : in.pos == in.size)
      return 0;
  }
}

/* ---- the codec table's operations (codec.c) ---- */

static int gz_write_op(pyoci_compressor_t *c, const void *buf, size_t len, pyoci_error_t **err)
{
  return gz_write(c, buf, len, err);
}

static int zstd_write_op(pyoci_compressor_t *c, const void *buf, size_t len, pyoci_error_t **err)
{
  return zstd_push(c, buf, len, ZSTD_e_continue, err);
}

static int zstd_finish_op(pyoci_compressor_t *c, pyoci_error_t **err)
{
  return zstd_push(c, NULL, 0, ZSTD_e_end, err);
}

const struct pyoci_codec_enc pyoci_enc_plain = {NULL, emit, NULL};
const struct pyoci_codec_enc pyoci_enc_gzip = {gz_init, gz_write_op, gz_finish};
const struct pyoci_codec_enc pyoci_enc_zstd = {zstd_init, zstd_write_op, zstd_finish_op};

/* ---- public ---- */

pyoci_compressor_t *pyoci_compressor_new(pyoci_comp_t comp, int level, int threads, pyoci_sink_fn sink, void *ctx)
{
  pyoci_compressor_t *c = xcalloc(1, sizeof(*c));
  c->comp = comp;
  c->level = level;
  c->sink = sink;
  c->ctx = ctx;
  threads = pyoci_layer_threads(threads);
  c->enc = pyoci_codec_get(comp)->enc;
  if (c->enc == NULL || pyoci_codec_get(comp)->comp != comp || (c->enc->init && c->enc->init(c, threads) < 0)) {
    pyoci_compressor_free(c);
    return NULL;
  }
  return c;
}

int pyoci_compressor_write(pyoci_compressor_t *c, const void *buf, size_t len, pyoci_error_t **err)
{
  if (c->sticky != NULL)
    return pyoci_error_copy(err, c->sticky);
  if (len == 0)
    return 0;
  return c->enc->write(c, buf, len, err);
}

int pyoci_compressor_finish(pyoci_compressor_t *c, pyoci_error_t **err)
{
  int r = 0;
  if (c->sticky != NULL)
    r = pyoci_error_copy(err, c->sticky);
  else if (c->enc->finish != NULL)
    r = c->enc->finish(c, err);
  pyoci_compressor_free(c);
  return r;
}

void pyoci_compressor_free(pyoci_compressor_t *c)
{
  if (c == NULL)
    return;
  gz_free(c);
  ZSTD_freeCCtx(c->zc);
  free(c->zbuf);
  pyoci_error_free(c->sticky);
  free(c);
}
