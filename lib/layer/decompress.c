/* Streaming decompression (see decompress.h).
 *
 * Input is read into a window (WIN_START, growing to WIN_MAX only when a
 * member does not fit).  gzip members are inflated whole by libdeflate into
 * an output buffer (OUT_START); a member that does not fit either bound, or
 * that libdeflate rejects, is streamed through ISA-L's inflate
 * instead, which also gives the precise error for damaged data.  After each
 * member the next one must start with the gzip magic or the input must end:
 * trailing bytes are an error, as in Docker's (Go's) gzip reader. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <libdeflate.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <isa-l/igzip_lib.h>
#include <zstd.h>

#include "lib/util/alloc.h"
#include "lib/util/inflate_limit.h"
#include "codec.h"
#include "decompress.h"
#include "layer_int.h"

#define WIN_START (4u << 20)
#define WIN_MAX (16u << 20)
#define OUT_START (1280u << 10) /* one pyoci member (1 MiB) and room to spare */
#define PLAIN_CHUNK (1u << 20)
#define NSLOTS 3 /* decoded pieces buffered between the two threads */

enum { GZ_BOUNDARY, GZ_STREAM };

struct pyoci_decomp {
  int fd;
  char *what;
  pyoci_comp_t comp;
  pyoci_error_t *sticky; /* first error; repeated on every later call */
  bool done;

  unsigned char *win; /* input window: [pos, len) not yet consumed */
  size_t win_cap, pos, len;
  bool eof;
  bool seekable;
  uint64_t read_total; /* bytes read from fd (the window holds the unused rest) */
  uint64_t out_total;  /* bytes decompressed, for the bomb limits */

  unsigned char *out;
  size_t out_cap;
  const unsigned char *pend; /* pyoci_decomp_read: rest of the last piece */
  size_t pend_len;

  /* gzip */
  int gz_state;
  uint64_t members;
  struct libdeflate_decompressor *ld;
  struct inflate_state *is; /* ISA-L, for members streamed */

  /* Prefetch: a second thread decodes ahead into slots while the caller
   * hashes/parses/writes the previous piece (2 cores: about twice as fast).
   * Only for regular files, so the thread is never stuck in a read. */
  bool threaded;
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  struct {
    unsigned char *buf;
    size_t cap, len;
  } slot[NSLOTS];
  size_t head, count; /* ring of filled slots: the caller takes from head */
  bool held;          /* the caller still has the head slot */
  bool prod_done;     /* producer finished: end (sticky NULL) or error */
  bool stop;
  int prod_rc;        /* -1 when it stopped on an error (in sticky) */

  /* zstd */
  ZSTD_DCtx *zd;
  size_t zret;      /* last ZSTD_decompressStream result: 0 = at a frame end */
  bool zflush;      /* last call filled the output: more may be buffered */
};

static ssize_t fail(pyoci_decomp_t *d, pyoci_error_t **err, int errno_value, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static ssize_t fail(pyoci_decomp_t *d, pyoci_error_t **err, int errno_value, const char *fmt, ...)
{
  if (d->sticky == NULL) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    pyoci_error_set_code(&d->sticky, PYOCI_E_CORRUPT, errno_value, "decompress '%s': %s", d->what, msg);
    if (d->sticky == NULL) /* out of memory for the message */
      return -1;
    if (errno_value != 0)
      d->sticky->code = PYOCI_E_GENERIC;
  }
  if (err != NULL && *err == NULL)
    pyoci_error_copy(err, d->sticky);
  return -1;
}

/* Move the unconsumed input to the front and read until the window is full
 * or the input ends.  Returns -1 on a read error. */
static int fill(pyoci_decomp_t *d, pyoci_error_t **err)
{
  if (d->pos > 0) {
    memmove(d->win, d->win + d->pos, d->len - d->pos);
    d->len -= d->pos;
    d->pos = 0;
  }
  while (!d->eof && d->len < d->win_cap) {
    ssize_t n = read(d->fd, d->win + d->len, d->win_cap - d->len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return (int)fail(d, err, errno, "read");
    if (n == 0)
      d->eof = true;
    d->len += (size_t)n;
    d->read_total += (uint64_t)n;
  }
  return 0;
}

static size_t avail(const pyoci_decomp_t *d)
{
  return d->len - d->pos;
}

static int grow(unsigned char **buf, size_t *cap, size_t want)
{
  unsigned char *n = xrealloc(*buf, want);
  *buf = n;
  *cap = want;
  return 0;
}

/* ---- gzip ---- */

static const char *isal_reason(int rc)
{
  switch (rc) {
  case ISAL_INVALID_BLOCK: return "invalid block";
  case ISAL_INVALID_SYMBOL: return "invalid symbol";
  case ISAL_INVALID_LOOKBACK: return "invalid distance too far back";
  case ISAL_INVALID_WRAPPER: return "invalid gzip header";
  case ISAL_UNSUPPORTED_METHOD: return "unknown compression method";
  case ISAL_INCORRECT_CHECKSUM: return "incorrect data check";
  default: return "inflate error";
  }
}

/* Stream (the rest of) the current member through ISA-L's inflate: fills
 * the output buffer or stops at the member's end (header, CRC and length
 * checked).  Registries' layers are one big gzip member each, so this is
 * the path of every pull check, load and unpack of them: ISA-L inflates
 * them about three times as fast as zlib did. */
static ssize_t gz_stream(pyoci_decomp_t *d, pyoci_error_t **err)
{
  struct inflate_state *is = d->is;
  if (is == NULL) {
    is = d->is = xmalloc(sizeof(*is));
    isal_inflate_init(is);
    is->crc_flag = ISAL_GZIP;
  }
  is->next_out = d->out;
  is->avail_out = (uint32_t)d->out_cap;
  while (is->avail_out > 0) {
    if (avail(d) == 0) {
      if (d->eof)
        return fail(d, err, 0, "truncated gzip data");
      if (fill(d, err) < 0)
        return -1;
      continue;
    }
    size_t in = avail(d) > UINT32_MAX ? UINT32_MAX : avail(d);
    is->next_in = d->win + d->pos;
    is->avail_in = (uint32_t)in;
    int rc = isal_inflate(is);
    d->pos += in - is->avail_in;
    if (rc != ISAL_DECOMP_OK)
      return fail(d, err, 0, "invalid gzip data (%s)", isal_reason(rc));
    if (is->block_state == ISAL_BLOCK_FINISH) {
      isal_inflate_reset(is);
      is->crc_flag = ISAL_GZIP;
      d->gz_state = GZ_BOUNDARY;
      d->members++;
      break;
    }
  }
  return (ssize_t)(d->out_cap - is->avail_out);
}

/* At a member boundary: inflate the next member whole with libdeflate if it
 * fits the bounds, else stream it.  0 = end of the stream. */
static ssize_t gz_member(pyoci_decomp_t *d, pyoci_error_t **err)
{
again:
  /* Keep at least half a window ahead so that members (pyoci's are about
   * 1 MiB uncompressed) are nearly always complete in it. */
  if (!d->eof && avail(d) < d->win_cap / 2 && fill(d, err) < 0)
    return -1;
  if (avail(d) == 0) {
    if (d->members == 0)
      return fail(d, err, 0, "empty gzip data");
    return 0;
  }
  const unsigned char *p = d->win + d->pos;
  if (avail(d) < 2 || p[0] != 0x1f || p[1] != 0x8b) {
    if (avail(d) == 1 && p[0] == 0x1f)
      return fail(d, err, 0, "truncated gzip data");
    if (d->members == 0)
      return fail(d, err, 0, "not gzip data");
    return fail(d, err, 0, "trailing garbage after gzip data");
  }
  /* Reserved header flags: zlib and Go's gzip reader refuse them; ISA-L
   * would not (found by fuzz_decompress, zlib as the oracle). */
  if (avail(d) >= 4 && (p[3] & 0xe0) != 0)
    return fail(d, err, 0, "invalid gzip data (unknown header flags set)");
  if (d->ld == NULL && (d->ld = libdeflate_alloc_decompressor()) == NULL)
    return fail(d, err, ENOMEM, "gzip");
  /* libdeflate skips a header CRC (FHCRC) without checking it; ISA-L checks.
   * Nobody writes one, so let the streaming inflater have those members. */
  if (avail(d) >= 4 && (p[3] & 0x02) != 0) {
    d->gz_state = GZ_STREAM;
    return 0;
  }
  for (;;) {
    size_t in_used = 0, out_used = 0;
    enum libdeflate_result r = libdeflate_gzip_decompress_ex(d->ld, d->win + d->pos, avail(d), d->out, d->out_cap,
                                                            &in_used, &out_used);
    if (r == LIBDEFLATE_SUCCESS) {
      d->pos += in_used;
      d->members++;
      if (out_used > 0)
        return (ssize_t)out_used;
      goto again; /* an empty member: on to the next one */
    }
    /* A member bigger than the output buffer goes to the streaming
     * inflater at once: growing the buffer and trying again inflated up to
     * 22 MB per member only to throw it away, half the CPU of checking a
     * registry's single-member layers.  pyoci's own members (1 MiB) fit. */
    if (r == LIBDEFLATE_INSUFFICIENT_SPACE)
      break;
    if (r == LIBDEFLATE_BAD_DATA && !d->eof) {
      /* Maybe only part of the member is in the window: read more. */
      if (d->pos == 0 && d->len == d->win_cap) {
        if (d->win_cap >= WIN_MAX)
          break;
        size_t want = d->win_cap * 2 > WIN_MAX ? WIN_MAX : d->win_cap * 2;
        if (grow(&d->win, &d->win_cap, want) < 0)
          return fail(d, err, ENOMEM, "gzip");
      }
      if (fill(d, err) < 0)
        return -1;
      continue;
    }
    break;
  }
  /* Too big for the fast path, or damaged: the streaming inflater decides. */
  d->gz_state = GZ_STREAM;
  return 0;
}

static ssize_t gz_next(pyoci_decomp_t *d, pyoci_error_t **err)
{
  for (;;) {
    ssize_t n;
    if (d->gz_state == GZ_BOUNDARY) {
      n = gz_member(d, err);
      if (n != 0 || d->gz_state == GZ_BOUNDARY)
        return n;
    }
    n = gz_stream(d, err);
    if (n != 0)
      return n;
  }
}

/* ---- zstd ---- */

static ssize_t zstd_next(pyoci_decomp_t *d, pyoci_error_t **err)
{
  if (d->zd == NULL && (d->zd = ZSTD_createDCtx()) == NULL)
    return fail(d, err, ENOMEM, "zstd");
  ZSTD_outBuffer ob = {d->out, d->out_cap, 0};
  while (ob.pos < ob.size) {
    if (avail(d) == 0 && !d->zflush) {
      if (d->eof) {
        if (d->zret != 0)
          return fail(d, err, 0, "truncated zstd data");
        break;
      }
      if (fill(d, err) < 0)
        return -1;
      continue;
    }
    ZSTD_inBuffer ib = {d->win + d->pos, avail(d), 0};
    size_t before = ob.pos;
    size_t rc = ZSTD_decompressStream(d->zd, &ob, &ib);
    d->pos += ib.pos;
    if (ZSTD_isError(rc))
      return fail(d, err, 0, "invalid zstd data (%s)", ZSTD_getErrorName(rc));
    d->zret = rc;
    d->zflush = ob.pos == ob.size;
    if (ib.pos == 0 && ob.pos == before && avail(d) > 0)
      return fail(d, err, 0, "invalid zstd data (no progress)");
  }
  return (ssize_t)ob.pos;
}

/* ---- plain ---- */

static ssize_t plain_next(pyoci_decomp_t *d, const void **buf, pyoci_error_t **err)
{
  if (avail(d) == 0) {
    if (d->eof)
      return 0;
    d->pos = d->len = 0;
    if (fill(d, err) < 0)
      return -1;
    if (avail(d) == 0)
      return 0;
  }
  size_t n = avail(d) > PLAIN_CHUNK ? PLAIN_CHUNK : avail(d);
  *buf = d->win + d->pos;
  d->pos += n;
  return (ssize_t)n;
}

/* ---- the codec table's operations (codec.c) ---- */

/* d->out may move while a piece is decoded: point at it afterwards. */
static ssize_t gz_next_op(pyoci_decomp_t *d, const void **buf, pyoci_error_t **err)
{
  ssize_t n = gz_next(d, err);
  *buf = d->out;
  return n;
}

static ssize_t zstd_next_op(pyoci_decomp_t *d, const void **buf, pyoci_error_t **err)
{
  ssize_t n = zstd_next(d, err);
  *buf = d->out;
  return n;
}

const struct pyoci_codec_dec pyoci_dec_plain = {plain_next};
const struct pyoci_codec_dec pyoci_dec_gzip = {gz_next_op};
const struct pyoci_codec_dec pyoci_dec_zstd = {zstd_next_op};

/* ---- public ---- */

/* gzip and zstd are decompressed here; anything else passes through as is
 * (the tar reader reports what it is not). */
static pyoci_comp_t sniff(const unsigned char *b, size_t len)
{
  pyoci_comp_t c = pyoci_codec_sniff(b, len);
  return pyoci_codec_get(c)->layers ? c : PYOCI_COMP_NONE;
}

static void start_thread(pyoci_decomp_t *d);

pyoci_decomp_t *pyoci_decomp_open(int fd, int comp, const char *what, pyoci_error_t **err)
{
  pyoci_decomp_t *d = xcalloc(1, sizeof(*d));
  if (d == NULL || (d->what = xstrdup(what)) == NULL) {
    pyoci_decomp_free(d);
    pyoci_error_set(err, ENOMEM, "decompress '%s'", what);
    return NULL;
  }
  d->fd = fd;
  d->zret = 1;
  struct stat st;
  d->seekable = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  /* Plain input needs no big window; small regular files neither. */
  size_t win = WIN_START;
  if (comp == PYOCI_COMP_NONE)
    win = PLAIN_CHUNK;
  if (d->seekable && st.st_size >= 0 && (uint64_t)st.st_size < win)
    win = (size_t)st.st_size + 1 > 4096 ? (size_t)st.st_size + 1 : 4096;
  if (grow(&d->win, &d->win_cap, win) < 0) {
    pyoci_decomp_free(d);
    pyoci_error_set(err, ENOMEM, "decompress '%s'", what);
    return NULL;
  }
  if (fill(d, err) < 0) {
    pyoci_decomp_free(d);
    return NULL;
  }
  d->comp = comp == PYOCI_DECOMP_AUTO ? sniff(d->win, d->len) : (pyoci_comp_t)comp;
  if (d->comp != PYOCI_COMP_NONE && grow(&d->out, &d->out_cap, OUT_START) < 0) {
    pyoci_decomp_free(d);
    pyoci_error_set(err, ENOMEM, "decompress '%s'", what);
    return NULL;
  }
  /* Small inputs are not worth a thread. */
  if (d->comp != PYOCI_COMP_NONE && d->seekable && !d->eof && pyoci_layer_threads(0) > 1)
    start_thread(d);
  return d;
}

pyoci_comp_t pyoci_decomp_kind(const pyoci_decomp_t *d)
{
  return d->comp;
}

/* Decompression bombs: the output so far against the compressed bytes used
 * (inflate_limit.h).  Plain input is measured by whoever decompresses it
 * (libarchive's xz and bzip2 filters in tar_read.c). */
static int check_bomb(pyoci_decomp_t *d, size_t n, pyoci_error_t **err)
{
  d->out_total += n;
  pyoci_error_t *e = NULL;
  if (pyoci_inflate_check(d->what, d->read_total - avail(d), d->out_total, &e) == 0)
    return 0;
  if (d->sticky == NULL)
    d->sticky = e;
  else
    pyoci_error_free(e);
  if (err != NULL && *err == NULL)
    pyoci_error_copy(err, d->sticky);
  return -1;
}

/* One piece, decoded in the calling thread. */
static ssize_t decode_next(pyoci_decomp_t *d, const void **buf, pyoci_error_t **err)
{
  if (d->sticky != NULL)
    return fail(d, err, 0, "failed before");
  if (d->done)
    return 0;
  const pyoci_codec_t *codec = pyoci_codec_get(d->comp);
  if (codec->comp != d->comp || codec->dec == NULL)
    return fail(d, err, 0, "unknown compression %d", (int)d->comp);
  ssize_t n = codec->dec->next(d, buf, err);
  if (n == 0)
    d->done = true;
  if (n > 0 && d->comp != PYOCI_COMP_NONE && check_bomb(d, (size_t)n, err) < 0)
    return -1;
  return n;
}

static void *producer(void *arg)
{
  pyoci_decomp_t *d = arg;
  for (;;) {
    const void *buf = NULL;
    ssize_t n = decode_next(d, &buf, NULL);
    pthread_mutex_lock(&d->mu);
    if (n <= 0 || d->stop) {
      d->prod_rc = n < 0 ? -1 : 0;
      d->prod_done = true;
      pthread_cond_broadcast(&d->cv);
      pthread_mutex_unlock(&d->mu);
      return NULL;
    }
    while (!d->stop && d->count == NSLOTS)
      pthread_cond_wait(&d->cv, &d->mu);
    if (d->stop) {
      pthread_mutex_unlock(&d->mu);
      return NULL;
    }
    /* Hand the output buffer over and take the free slot's in exchange. */
    size_t i = (d->head + d->count) % NSLOTS;
    unsigned char *b = d->slot[i].buf;
    size_t cap = d->slot[i].cap;
    d->slot[i].buf = d->out;
    d->slot[i].cap = d->out_cap;
    d->slot[i].len = (size_t)n;
    d->out = b;
    d->out_cap = cap;
    d->count++;
    pthread_cond_broadcast(&d->cv);
    pthread_mutex_unlock(&d->mu);
  }
}

static ssize_t threaded_next(pyoci_decomp_t *d, const void **buf, pyoci_error_t **err)
{
  pthread_mutex_lock(&d->mu);
  if (d->held) {
    d->head = (d->head + 1) % NSLOTS;
    d->count--;
    d->held = false;
    pthread_cond_broadcast(&d->cv);
  }
  while (d->count == 0 && !d->prod_done)
    pthread_cond_wait(&d->cv, &d->mu);
  ssize_t n;
  if (d->count > 0) {
    *buf = d->slot[d->head].buf;
    n = (ssize_t)d->slot[d->head].len;
    d->held = true;
  } else {
    n = d->prod_rc < 0 ? fail(d, err, 0, "failed") : 0;
  }
  pthread_mutex_unlock(&d->mu);
  return n;
}

static void start_thread(pyoci_decomp_t *d)
{
  for (size_t i = 0; i < NSLOTS; i++) {
    if (grow(&d->slot[i].buf, &d->slot[i].cap, OUT_START) < 0)
      return;
  }
  if (pthread_mutex_init(&d->mu, NULL) != 0)
    return;
  if (pthread_cond_init(&d->cv, NULL) != 0) {
    pthread_mutex_destroy(&d->mu);
    return;
  }
  if (pthread_create(&d->thread, NULL, producer, d) != 0) {
    pthread_cond_destroy(&d->cv);
    pthread_mutex_destroy(&d->mu);
    return;
  }
  d->threaded = true;
}

ssize_t pyoci_decomp_next(pyoci_decomp_t *d, const void **buf, pyoci_error_t **err)
{
  if (d->threaded)
    return threaded_next(d, buf, err);
  return decode_next(d, buf, err);
}

ssize_t pyoci_decomp_read(pyoci_decomp_t *d, void *buf, size_t len, pyoci_error_t **err)
{
  if (d->pend_len == 0) {
    const void *p = NULL;
    ssize_t n = pyoci_decomp_next(d, &p, err);
    if (n <= 0)
      return n;
    d->pend = p;
    d->pend_len = (size_t)n;
  }
  size_t n = len < d->pend_len ? len : d->pend_len;
  memcpy(buf, d->pend, n);
  d->pend += n;
  d->pend_len -= n;
  return (ssize_t)n;
}

int64_t pyoci_decomp_skip(pyoci_decomp_t *d, int64_t n)
{
  if (d->comp != PYOCI_COMP_NONE || d->sticky != NULL || n <= 0)
    return 0;
  if ((uint64_t)n <= avail(d)) {
    d->pos += (size_t)n;
    return n;
  }
  if (!d->seekable || d->eof)
    return 0;
  /* Drop the window and seek past the rest, but never beyond the end: the
   * caller learns about a short file from the next read. */
  int64_t beyond = n - (int64_t)avail(d);
  off_t cur = lseek(d->fd, 0, SEEK_CUR);
  struct stat st;
  if (cur < 0 || fstat(d->fd, &st) < 0 || st.st_size - cur < beyond)
    return 0;
  if (lseek(d->fd, beyond, SEEK_CUR) < 0)
    return 0;
  d->pos = d->len = 0;
  return n;
}

void pyoci_decomp_free(pyoci_decomp_t *d)
{
  if (d == NULL)
    return;
  if (d->threaded) {
    pthread_mutex_lock(&d->mu);
    d->stop = true;
    pthread_cond_broadcast(&d->cv);
    pthread_mutex_unlock(&d->mu);
    pthread_join(d->thread, NULL);
    pthread_cond_destroy(&d->cv);
    pthread_mutex_destroy(&d->mu);
  }
  for (size_t i = 0; i < NSLOTS; i++)
    free(d->slot[i].buf);
  free(d->is);
  libdeflate_free_decompressor(d->ld);
  ZSTD_freeDCtx(d->zd);
  pyoci_error_free(d->sticky);
  free(d->win);
  free(d->out);
  free(d->what);
  free(d);
}

int pyoci_decompress_fd(int fd, int comp, const char *what, pyoci_sink_fn sink, void *ctx, pyoci_error_t **err)
{
  pyoci_decomp_t *d = pyoci_decomp_open(fd, comp, what, err);
  if (d == NULL)
    return -1;
  int rc = 0;
  for (;;) {
    const void *buf = NULL;
    ssize_t n = pyoci_decomp_next(d, &buf, err);
    if (n < 0)
      rc = -1;
    if (n <= 0)
      break;
    if (sink != NULL && sink(ctx, buf, (size_t)n, err) < 0) {
      rc = -1;
      break;
    }
  }
  pyoci_decomp_free(d);
  return rc;
}
