/* Container logs in docker's json-file format, one record a line:
 *   {"log":"Hello\n","stream":"stdout","time":"2026-01-01T00:00:00.000000000Z"}
 * written by the monitor, read back by `pyoci logs`. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/json.h"
#include "lib/util/strbuf.h"
#include "container_int.h"

#define LOG_LINE_MAX (1u << 20)

int pyoci_log_record(int fd, const char *stream, const char *data, size_t len)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  char when[64];
  snprintf(when, sizeof(when), "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
           tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long)ts.tv_nsec);
  cleanup_json json_t *j = json_pack("{s:s%, s:s, s:s}", "log", data, len, "stream", stream, "time", when);
  if (j == NULL)
    return -1;
  cleanup_free char *text = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
  if (text == NULL)
    return -1;
  strbuf_t line = STRBUF_INIT;
  strbuf_addstr(&line, text);
  strbuf_addch(&line, '\n');
  pyoci_error_t *ignored = NULL;
  int rc = pyoci_write_all(fd, line.buf, line.len, "log", &ignored); /* O_APPEND: one write per record */
  pyoci_error_free(ignored);
  strbuf_release(&line);
  return rc;
}

/* Print one record; false when the line is not a record (skipped). */
static bool emit(const char *line, size_t len, int out_fd, int err_fd, bool timestamps)
{
  pyoci_error_t *ignored = NULL;
  cleanup_json json_t *j = pyoci_json_parse_object(line, len, "log record", &ignored);
  pyoci_error_free(ignored);
  const char *stream = pyoci_json_str(j, "stream");
  json_t *log = json_object_get(j, "log");
  if (stream == NULL || !json_is_string(log))
    return false;
  int fd = strcmp(stream, "stderr") == 0 ? err_fd : out_fd;
  strbuf_t b = STRBUF_INIT;
  if (timestamps)
    strbuf_addf(&b, "%s ", pyoci_json_str(j, "time") ? pyoci_json_str(j, "time") : "");
  strbuf_add(&b, json_string_value(log), json_string_length(log));
  pyoci_write_all(fd, b.buf, b.len, stream, &ignored);
  pyoci_error_free(ignored);
  strbuf_release(&b);
  return true;
}

/* Offsets of the last `tail` complete lines of buf. */
static size_t tail_start(const char *buf, size_t len, long tail)
{
  if (tail < 0)
    return 0;
  size_t pos = len;
  long seen = 0;
  if (pos > 0 && buf[pos - 1] == '\n')
    pos--;
  while (pos > 0) {
    if (buf[pos - 1] == '\n' && ++seen == tail)
      return pos;
    pos--;
  }
  return tail == 0 ? len : 0;
}

/* Print the complete lines of buf[start..len); returns where the next
 * (incomplete) line starts. */
static size_t emit_lines(const char *buf, size_t start, size_t len, int out_fd, int err_fd, bool timestamps)
{
  size_t pos = start;
  const char *nl;
  while (pos < len && (nl = memchr(buf + pos, '\n', len - pos)) != NULL) {
    size_t n = (size_t)(nl - (buf + pos));
    if (n > 0 && n < LOG_LINE_MAX)
      emit(buf + pos, n, out_fd, err_fd, timestamps);
    pos += n + 1;
  }
  return pos;
}

int pyoci_container_logs(const pyoci_container_t *c, int out_fd, int err_fd, bool follow, bool timestamps,
                         long tail, pyoci_error_t **err)
{
  cleanup_free char *path = pyoci_container_path(c, "log.json");
  cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno != ENOENT)
    return pyoci_error_set(err, errno, "open '%s'", path);
  strbuf_t buf = STRBUF_INIT;
  bool first = true;
  size_t done = 0;
  for (;;) {
    char chunk[65536];
    ssize_t n;
    while (fd >= 0 && (n = read(fd, chunk, sizeof(chunk))) > 0)
      strbuf_add(&buf, chunk, (size_t)n);
    size_t start = first ? tail_start(buf.buf ? buf.buf : "", buf.len, tail) : done;
    first = false;
    done = emit_lines(buf.buf ? buf.buf : "", start, buf.len, out_fd, err_fd, timestamps);
    if (done > 0) { /* keep only the incomplete tail */
      memmove(buf.buf, buf.buf + done, buf.len - done);
      buf.len -= done;
      done = 0;
    }
    if (!follow)
      break;
    /* follow: until the monitor is gone and everything is read */
    pyoci_container_t *now = NULL;
    pyoci_error_t *ignored = NULL;
    bool running = pyoci_container_load(c->dir, &now, &ignored) == 0 &&
                   (strcmp(now->status, "created") == 0 || pyoci_container_running(now));
    pyoci_container_free(now);
    pyoci_error_free(ignored);
    if (!running && (fd < 0 || read(fd, chunk, 0) == 0)) {
      while (fd >= 0 && (n = read(fd, chunk, sizeof(chunk))) > 0)
        strbuf_add(&buf, chunk, (size_t)n);
      emit_lines(buf.buf ? buf.buf : "", 0, buf.len, out_fd, err_fd, timestamps);
      break;
    }
    usleep(100000);
    if (fd < 0)
      fd = open(path, O_RDONLY | O_CLOEXEC);
  }
  strbuf_release(&buf);
  return 0;
}
