/* HTTP(S) downloads with libcurl, for `pyoci db update` and ADD <url>. */
#include "http.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"
#include "log.h"

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init(void)
{
  curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct sink {
  int fd;
  uint64_t written, max;
  bool too_big;
  int write_errno;
  char label[256];
};

static size_t on_data(char *data, size_t size, size_t nmemb, void *user)
{
  struct sink *s = user;
  size_t n = size * nmemb;
  if (s->written + n > s->max) {
    s->too_big = true;
    return 0;
  }
  pyoci_error_t *err = NULL;
  if (pyoci_write_all(s->fd, data, n, "download", &err) < 0) {
    s->write_errno = err->errno_value ? err->errno_value : EIO;
    pyoci_error_free(err);
    return 0;
  }
  s->written += n;
  return n;
}

static int on_progress(void *user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
  (void)ultotal;
  (void)ulnow;
  struct sink *s = user;
  pyoci_progress(s->label, (uint64_t)dlnow, (uint64_t)dltotal, 0);
  return 0;
}

static void set_options(CURL *c, const char *url, const pyoci_http_opts_t *o, struct sink *s, char *errbuf)
{
  const char *protocols = o->allow_http ? "http,https" : "https";
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, protocols);
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, protocols);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
  curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L); /* bytes/s ... */
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);    /* ... for this long aborts */
  curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)o->max_bytes);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "pyoci");
  curl_easy_setopt(c, CURLOPT_FILETIME, 1L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, s);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, s);
}

/* The error for one finished transfer, in pyoci_http_download's words. */
static int transfer_error(const char *url, const struct sink *s, CURLcode rc, const char *errbuf,
                          const pyoci_http_opts_t *o, pyoci_error_t **err)
{
  if (s->too_big || rc == CURLE_FILESIZE_EXCEEDED)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "download '%s': larger than the limit of %llu bytes", url,
                                (unsigned long long)o->max_bytes);
  if (s->write_errno)
    return pyoci_error_set(err, s->write_errno, "download '%s': write", url);
  if (rc != CURLE_OK)
    return pyoci_error_set(err, 0, "download '%s': %s", url, errbuf[0] ? errbuf : curl_easy_strerror(rc));
  return 0;
}

int pyoci_http_download(const char *url, int fd, const pyoci_http_opts_t *o, pyoci_http_info_t *info,
                        pyoci_error_t **err)
{
  pthread_once(&curl_once, curl_init);
  struct sink s = {.fd = fd, .max = o->max_bytes};
  snprintf(s.label, sizeof(s.label), "%s", o->label ? o->label : "downloading");
  CURL *c = curl_easy_init();
  if (c == NULL)
    return pyoci_error_set(err, 0, "download '%s': cannot initialise libcurl", url);
  char errbuf[CURL_ERROR_SIZE] = "";
  set_options(c, url, o, &s, errbuf);
  CURLcode rc = curl_easy_perform(c);
  pyoci_progress(s.label, s.written, 0, 1);
  curl_off_t filetime = -1;
  if (rc == CURLE_OK && curl_easy_getinfo(c, CURLINFO_FILETIME_T, &filetime) != CURLE_OK)
    filetime = -1;
  curl_easy_cleanup(c);
  if (transfer_error(url, &s, rc, errbuf, o, err) < 0)
    return -1;
  if (info) {
    info->size = s.written;
    info->last_modified = filetime >= 0 ? (time_t)filetime : (time_t)-1;
  }
  return 0;
}

struct many_slot {
  CURL *c;
  size_t job;
  struct sink s;
  char errbuf[CURL_ERROR_SIZE];
};

static void many_start(CURLM *m, struct many_slot *slot, const pyoci_http_job_t *job, size_t i,
                       const pyoci_http_opts_t *o)
{
  memset(&slot->s, 0, sizeof(slot->s));
  slot->s.fd = job->fd;
  slot->s.max = o->max_bytes;
  snprintf(slot->s.label, sizeof(slot->s.label), "%s", o->label ? o->label : "downloading");
  slot->errbuf[0] = '\0';
  slot->job = i;
  curl_easy_reset(slot->c);
  set_options(slot->c, job->url, o, &slot->s, slot->errbuf);
  /* One progress line for the batch, not one per file. */
  curl_easy_setopt(slot->c, CURLOPT_NOPROGRESS, 1L);
  curl_easy_setopt(slot->c, CURLOPT_PRIVATE, slot);
  curl_multi_add_handle(m, slot->c);
}

int pyoci_http_download_many(const pyoci_http_job_t *jobs, size_t n, int parallel, const pyoci_http_opts_t *o,
                             size_t *failed, pyoci_error_t **err)
{
  pthread_once(&curl_once, curl_init);
  if (n == 0)
    return 0;
  size_t nslots = parallel > 0 ? (size_t)parallel : 8;
  if (nslots > n)
    nslots = n;
  CURLM *m = curl_multi_init();
  struct many_slot *slots = calloc(nslots, sizeof(*slots));
  if (m == NULL || slots == NULL)
    abort();
  curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, (long)nslots);
  size_t next = 0, done = 0, running_slots = 0;
  int rc = 0;
  for (size_t i = 0; i < nslots; i++) {
    slots[i].c = curl_easy_init();
    if (slots[i].c == NULL)
      abort();
    many_start(m, &slots[i], &jobs[next], next, o);
    next++;
    running_slots++;
  }
  while (rc == 0 && running_slots > 0) {
    int still = 0;
    curl_multi_perform(m, &still);
    CURLMsg *msg;
    int left;
    while (rc == 0 && (msg = curl_multi_info_read(m, &left)) != NULL) {
      if (msg->msg != CURLMSG_DONE)
        continue;
      struct many_slot *slot = NULL;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&slot);
      CURLcode res = msg->data.result;
      curl_multi_remove_handle(m, slot->c);
      running_slots--;
      if (transfer_error(jobs[slot->job].url, &slot->s, res, slot->errbuf, o, err) < 0) {
        if (failed)
          *failed = slot->job;
        rc = -1;
        break;
      }
      done++;
      pyoci_progress(o->label ? o->label : "downloading", done, n, done == n);
      if (next < n) {
        many_start(m, slot, &jobs[next], next, o);
        next++;
        running_slots++;
      }
    }
    if (rc == 0 && running_slots > 0)
      curl_multi_poll(m, NULL, 0, 1000, NULL);
  }
  for (size_t i = 0; i < nslots; i++) {
    curl_multi_remove_handle(m, slots[i].c);
    curl_easy_cleanup(slots[i].c);
  }
  free(slots);
  curl_multi_cleanup(m);
  return rc;
}
