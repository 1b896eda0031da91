/* Shared plumbing of the registry verbs: environment -> options, common
 * option parsing, and docker-like per-layer progress on a terminal. */
#include "registry_cli.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/util/alloc.h"
#include "cli.h"
#include "env.h"

#define DEFAULT_CERTS_D "/etc/docker/certs.d"
#define MAX_BARS 64

/* ---- progress: one line per blob, redrawn in place ---- */

struct bar {
  char id[13];
  pyoci_blob_state_t st;
  uint64_t done, total;
};

static struct {
  pthread_mutex_t mu;
  struct bar bars[MAX_BARS];
  size_t n, drawn;
  double last;
} prog = {.mu = PTHREAD_MUTEX_INITIALIZER};

static double now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *state_word(pyoci_blob_state_t st)
{
  static const char *const words[] = {"Waiting", "Already exists", "Transferring", "Retrying", "Complete", "Mounted"};
  return words[st];
}

static void human(uint64_t n, char *out, size_t cap)
{
  if (n >= 1000000)
    snprintf(out, cap, "%.1fMB", (double)n / 1e6);
  else if (n >= 1000)
    snprintf(out, cap, "%.1fkB", (double)n / 1e3);
  else
    snprintf(out, cap, "%lluB", (unsigned long long)n);
}

static void draw_bar(const struct bar *b)
{
  fprintf(stderr, "\033[K%s: %s", b->id, state_word(b->st));
  if (b->st == PYOCI_BLOB_MOVING && b->total > 0) {
    int w = (int)(b->done * 40 / b->total);
    char d[16], t[16];
    human(b->done, d, sizeof(d));
    human(b->total, t, sizeof(t));
    fprintf(stderr, " [%.*s>%*s] %s/%s", w, "========================================", 40 - w, "", d, t);
  }
  fputc('\n', stderr);
}

static void redraw(bool force)
{
  double t = now();
  if (!force && t - prog.last < 0.1)
    return;
  prog.last = t;
  if (prog.drawn > 0)
    fprintf(stderr, "\033[%zuA", prog.drawn);
  for (size_t i = 0; i < prog.n; i++)
    draw_bar(&prog.bars[i]);
  prog.drawn = prog.n;
  fflush(stderr);
}

static void on_blob(void *ctx, const char *digest, pyoci_blob_state_t st, uint64_t done, uint64_t total)
{
  pthread_mutex_lock(&prog.mu);
  const char *hex = strncmp(digest, "sha256:", 7) == 0 ? digest + 7 : digest;
  struct bar *b = NULL;
  for (size_t i = 0; i < prog.n && b == NULL; i++)
    if (strncmp(prog.bars[i].id, hex, 12) == 0)
      b = &prog.bars[i];
  if (b == NULL && prog.n < MAX_BARS) {
    b = &prog.bars[prog.n++];
    snprintf(b->id, sizeof(b->id), "%.12s", hex);
  }
  if (b != NULL) {
    b->st = st;
    b->done = done;
    b->total = total ? total : b->total;
  }
  redraw(st != PYOCI_BLOB_MOVING);
  pthread_mutex_unlock(&prog.mu);
}

void cli_registry_progress_end(void)
{
  pthread_mutex_lock(&prog.mu);
  if (prog.n > 0)
    redraw(true);
  prog.n = prog.drawn = 0;
  pthread_mutex_unlock(&prog.mu);
}

/* ---- options ---- */

void cli_registry_progress_start(struct cli_registry *c)
{
  if (!pyoci_globals.quiet && isatty(STDERR_FILENO))
    c->o.progress = on_blob;
}

void cli_registry_init(struct cli_registry *c)
{
  memset(c, 0, sizeof(*c));
  const char *dc = cli_env()->docker_config, *certs = cli_env()->certs_d;
  c->config_path = dc ? xstrdup(dc) : NULL;
  c->o.docker_config = c->config_path;
  c->o.certs_dir = certs ? certs : DEFAULT_CERTS_D;
  c->o.tls_verify = true;
}

static int parse_bool(const char *s, bool *out)
{
  if (s == NULL || strcmp(s, "true") == 0 || strcmp(s, "1") == 0)
    *out = true;
  else if (strcmp(s, "false") == 0 || strcmp(s, "0") == 0)
    *out = false;
  else
    return -1;
  return 0;
}

int cli_registry_option(struct cli_registry *c, const char *verb, int opt, const char *arg)
{
  char *end = NULL;
  if (cli_common_option(opt, arg))
    return 1;
  switch (opt) {
  case CLI_OPT_TLS_VERIFY:
    if (parse_bool(arg, &c->o.tls_verify) < 0)
      return cli_usage_error(verb, "--tls-verify takes true or false, not '%s'", arg), -1;
    return 1;
  case CLI_OPT_JOBS: {
    long n = strtol(arg, &end, 10);
    if (*end != '\0' || n < 1 || n > 32)
      return cli_usage_error(verb, "--jobs takes a number from 1 to 32"), -1;
    c->o.jobs = (unsigned)n;
    return 1;
  }
  case CLI_OPT_RETRIES: {
    long n = strtol(arg, &end, 10);
    if (*end != '\0' || n < 1 || n > 20)
      return cli_usage_error(verb, "--retries takes a number from 1 to 20"), -1;
    c->o.retries = (unsigned)n;
    return 1;
  }
  case CLI_OPT_CREDS: {
    free(c->user);
    free(c->pass);
    c->user = xstrdup(arg);
    char *colon = strchr(c->user, ':');
    c->pass = xstrdup(colon ? colon + 1 : "");
    if (colon)
      *colon = '\0';
    c->o.username = c->user;
    c->o.password = c->pass;
    return 1;
  }
  default:
    return 0;
  }
}

int cli_registry_attach(const char *image, const char *dest, const char *artifact_type,
                        const char *layer_media_type, const char *bytes, size_t len)
{
  struct cli_registry c __attribute__((cleanup(cli_registry_free)));
  cli_registry_init(&c);
  pyoci_error_t *err = NULL;
  pyoci_store_t *s = NULL;
  char digest[PYOCI_DIGEST_LEN];
  int rc = pyoci_store_open(pyoci_globals.store, &s, &err);
  if (rc == 0)
    rc = pyoci_registry_attach(s, image, dest, artifact_type, layer_media_type, bytes, len, &c.o, digest, &err);
  pyoci_store_close(s);
  if (rc < 0) {
    int st = cli_fail(err);
    pyoci_error_free(err);
    return st;
  }
  if (!pyoci_globals.quiet)
    fprintf(stderr, "Attached %s to %s: %s\n", artifact_type, dest ? dest : image, digest);
  return 0;
}

int cli_registry_inspect(const char *ref, bool raw)
{
  struct cli_registry c __attribute__((cleanup(cli_registry_free)));
  cli_registry_init(&c);
  pyoci_error_t *err = NULL;
  pyoci_remote_image_t r;
  if (pyoci_registry_inspect(ref, &c.o, NULL, raw, &r, &err) < 0) {
    int st = cli_fail(err);
    pyoci_error_free(err);
    return st;
  }
  if (raw) {
    fwrite(r.manifest, 1, r.manifest_len, stdout);
  } else {
    char *text = pyoci_remote_image_json(&r);
    fputs(text, stdout);
    free(text);
  }
  pyoci_remote_image_free(&r);
  return fflush(stdout) == 0 ? 0 : 1;
}

void cli_registry_free(struct cli_registry *c)
{
  free(c->config_path);
  free(c->user);
  if (c->pass)
    memset(c->pass, 0, strlen(c->pass));
  free(c->pass);
}
