/* Output plumbing shared by every verb: error printing, usage errors, and
 * the stderr renderers for the library's log and progress callbacks. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/util/log.h"
#include "cli.h"

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

int cli_fail(pyoci_error_t *err)
{
  fprintf(stderr, "pyoci: %s\n", err && err->msg ? err->msg : "unknown error");
  return cli_exit_status(err);
}

int cli_usage_error(const char *verb, const char *fmt, ...)
{
  va_list ap;
  fprintf(stderr, "pyoci %s: ", verb);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\nSee 'pyoci %s --help'.\n", verb);
  return EXIT_USAGE;
}

int cli_help(const char *text)
{
  fputs(text, stdout);
  return 0;
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
  fprintf(stderr, "%s%s\n", level == PYOCI_LOG_WARN ? "warning: " : "", msg);
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
