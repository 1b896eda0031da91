/* Output plumbing shared by every verb: error printing, usage errors, and
 * the stderr renderers for the library's log and progress callbacks. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/util/alloc.h"
#include "lib/util/inflate_limit.h"
#include "lib/util/log.h"
#include "cli.h"
#include "registry_cli.h"
#include "human.h"

struct pyoci_globals pyoci_globals;

/* One row per PYOCI_E_* code.  A missing image exits 1, as `docker inspect`
 * and `docker rmi` do (scripts test for it), not a status of its own. */
static const struct {
  int code;
  int status;
} exit_statuses[] = {
    {PYOCI_E_GENERIC, EXIT_FAILURE_}, {PYOCI_E_NOT_FOUND, EXIT_FAILURE_}, {PYOCI_E_INVALID, EXIT_FAILURE_},
    {PYOCI_E_CORRUPT, EXIT_FAILURE_}, {PYOCI_E_USAGE, EXIT_USAGE},
};

int cli_exit_status(const pyoci_error_t *err)
{
  for (size_t i = 0; err != NULL && i < sizeof(exit_statuses) / sizeof(exit_statuses[0]); i++)
    if (exit_statuses[i].code == err->code)
      return exit_statuses[i].status;
  return EXIT_FAILURE_;
}

/* An error is one line, whatever it quotes: a name, path or archive member
 * from outside may hold a newline (a forged second message) or terminal
 * escapes.  Control bytes are shown as C escapes; UTF-8 passes. */
void cli_put_escaped(const char *s, FILE *f)
{
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '\n')
      fputs("\\n", f);
    else if (*p == '\r')
      fputs("\\r", f);
    else if (*p == '\t')
      fputs("\\t", f);
    else if (*p < 0x20 || *p == 0x7f)
      fprintf(f, "\\x%02x", *p);
    else
      fputc(*p, f);
  }
}

int cli_fail(pyoci_error_t *err)
{
  fputs("pyoci: ", stderr);
  cli_put_escaped(err && err->msg ? err->msg : "unknown error", stderr);
  fputc('\n', stderr);
  return cli_exit_status(err);
}

int cli_usage_error(const char *verb, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  char *msg = pyoci_xvasprintf(fmt, ap);
  va_end(ap);
  fprintf(stderr, "pyoci %s: ", verb);
  cli_put_escaped(msg, stderr);
  free(msg);
  fprintf(stderr, "\nSee 'pyoci %s --help'.\n", verb);
  return EXIT_USAGE;
}

int cli_bad_option(const char *verb)
{
  fprintf(stderr, "See 'pyoci %s --help'.\n", verb);
  return EXIT_USAGE;
}

int cli_getopt(const char *verb, int argc, char **argv, const char *shortopts, const struct option *longopts,
               const cli_optset_t *sets, struct cli_registry *reg, const char *help)
{
  int c;
  while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
    int r = reg ? cli_registry_option(reg, verb, c, optarg) : cli_common_option(c, optarg);
    if (r < 0)
      return EXIT_USAGE; /* cli_registry_option printed why */
    if (r > 0)
      continue;
    if (c == 'h')
      return cli_help(help);
    const cli_optset_t *s = sets;
    while (s != NULL && s->opt != 0 && s->opt != c)
      s++;
    if (s == NULL || s->opt == 0)
      return cli_bad_option(verb); /* getopt named the option */
    if (s->flag)
      *s->flag = true;
    if (s->str)
      *s->str = optarg; /* both: an optional argument (--attach[=REF]) */
    if (s->parse) {
      int st = s->parse(optarg, s->dst);
      if (st != 0)
        return st;
    }
  }
  return -1;
}

int cli_help(const char *text)
{
  fputs(text, stdout);
  return 0;
}

/* --max-compression-ratio / --max-decompressed-size: the library's
 * process-wide decompression limits (lib/util/inflate_limit.h). */
static void set_limit(int opt, const char *v)
{
  pyoci_inflate_limits_t l = pyoci_inflate_limits();
  uint64_t n = 0;
  char *end = NULL;
  if (opt == CLI_OPT_MAX_RATIO) {
    errno = 0;
    unsigned long long r = strtoull(v, &end, 10);
    if (*v < '0' || *v > '9' || *end != '\0' || errno != 0) {
      fputs("pyoci: --max-compression-ratio '", stderr);
      cli_put_escaped(v, stderr);
      fputs("': not a whole number (0 = no limit)\n", stderr);
      exit(EXIT_USAGE);
    }
    l.max_ratio = r;
  } else {
    if (cli_parse_bytes(v, &n) < 0) {
      fputs("pyoci: --max-decompressed-size '", stderr);
      cli_put_escaped(v, stderr);
      fputs("': not a size (like 8GiB; 0 = no limit)\n", stderr);
      exit(EXIT_USAGE);
    }
    l.max_size = n;
  }
  pyoci_inflate_limits_set(&l);
}

bool cli_common_option(int opt, const char *optarg_value)
{
  switch (opt) {
  case CLI_OPT_STORE:
    pyoci_globals.store = optarg_value;
    return true;
  case 'q':
    pyoci_globals.quiet = true;
    return true;
  case CLI_OPT_MAX_RATIO:
  case CLI_OPT_MAX_SIZE:
    set_limit(opt, optarg_value);
    return true;
  default:
    return false;
  }
}

static void log_to_stderr(int level, const char *msg, void *data)
{
  if (level == PYOCI_LOG_DEBUG && !pyoci_globals.debug)
    return;
  if (level == PYOCI_LOG_INFO && pyoci_globals.quiet)
    return;
  fputs(level == PYOCI_LOG_WARN ? "warning: " : "", stderr);
  cli_put_escaped(msg, stderr); /* one line each, like errors */
  fputc('\n', stderr);
}

static double now_seconds(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Progress goes to a terminal only, and only for work that has run more than
 * a second, redrawn at most ten times a second. */
static void progress_to_tty(const char *label, uint64_t done, uint64_t total, int finished, void *data)
{
  static double started, last_draw;
  static char last_label[128];
  static int drawn;
  if (pyoci_globals.quiet || !isatty(STDERR_FILENO))
    return;
  double t = now_seconds();
  if (strncmp(last_label, label, sizeof(last_label) - 1) != 0) {
    snprintf(last_label, sizeof(last_label), "%s", label);
    started = t;
    drawn = 0;
  }
  if (finished) {
    if (drawn)
      fprintf(stderr, "\r\033[K");
    last_label[0] = '\0';
    return;
  }
  if (t - started < 1.0 || t - last_draw < 0.1)
    return;
  last_draw = t;
  drawn = 1;
  /* Units differ by caller (bytes, layers, records): show a share when the
   * total is known, else the running count. */
  if (total > 0)
    fprintf(stderr, "\r\033[K%s %d%%", label, (int)(done * 100 / total));
  else
    fprintf(stderr, "\r\033[K%s %llu", label, (unsigned long long)done);
}

void cli_setup_output(void)
{
  pyoci_set_log_handler(log_to_stderr, NULL);
  pyoci_set_progress_handler(progress_to_tty, NULL);
}
