/* pyoci ps: docker ps's columns for pyoci's containers, newest first. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/container/container.h"
#include "lib/util/cleanup.h"
#include "lib/util/strbuf.h"
#include "cli.h"
#include "ctr_opts.h"
#include "human.h"

static const char ps_help[] =
    "Usage: pyoci ps [OPTIONS]\n"
    "\n"
    "List containers (running ones; -a for all), as docker ps does.\n"
    "\n"
    "Options:\n"
    "  -a, --all          show all containers, not only running ones\n"
    "  -q, --quiet        only show container IDs\n"
    "      --no-trunc     don't truncate IDs and commands\n"
    "      --store DIR    image store\n"
    "  -h, --help         show this help\n";

/* "Up 5 seconds", "Exited (0) 2 minutes ago", "Created". */
static void status_text(const pyoci_container_t *c, int64_t now, char *buf, size_t len)
{
  char t[64];
  if (pyoci_container_running(c)) {
    cli_human_duration(now - c->started_unix, t, sizeof(t));
    snprintf(buf, len, "Up %s", t);
  } else if (strcmp(c->status, "created") == 0) {
    snprintf(buf, len, "Created");
  } else {
    cli_human_duration(now - (c->finished_unix ? c->finished_unix : now), t, sizeof(t));
    /* "running" with no monitor left: it was killed with it */
    snprintf(buf, len, "Exited (%d) %s ago", strcmp(c->status, "running") == 0 ? 137 : c->exit_code, t);
  }
}

/* docker's COMMAND cell: the command line, cut to 20 characters with an
 * ellipsis, in double quotes. */
static void command_cell(const pyoci_container_t *c, bool no_trunc, strbuf_t *out)
{
  strbuf_t cmd = STRBUF_INIT;
  for (char **a = c->command; a && *a; a++)
    strbuf_addf(&cmd, "%s%s", a == c->command ? "" : " ", *a);
  const char *s = cmd.buf ? cmd.buf : "";
  if (!no_trunc && strlen(s) > 20)
    strbuf_addf(out, "\"%.19s…\"", s);
  else
    strbuf_addf(out, "\"%s\"", s);
  strbuf_release(&cmd);
}

static void row(const pyoci_container_t *c, bool no_trunc, int64_t now, strbuf_t *out)
{
  char created[64], status[96];
  cli_human_duration(now - c->created_unix, created, sizeof(created));
  status_text(c, now, status, sizeof(status));
  strbuf_addf(out, "%.*s\t%s\t", no_trunc ? 64 : 12, c->id, c->image);
  command_cell(c, no_trunc, out);
  strbuf_addf(out, "\t%s ago\t%s\t\t%s\n", created, status, c->name);
}

int cmd_ps(int argc, char **argv)
{
  enum { OPT_NO_TRUNC = 0x2000 };
  static const struct option opts[] = {
      {"help", no_argument, NULL, 'h'}, {"all", no_argument, NULL, 'a'},
      {"no-trunc", no_argument, NULL, OPT_NO_TRUNC}, CLI_COMMON_LONGOPTS, {NULL, 0, NULL, 0},
  };
  bool all = false, quiet = false, no_trunc = false;
  int ch;
  while ((ch = getopt_long(argc, argv, "aqh", opts, NULL)) != -1) {
    if (ch == 'q') {
      quiet = true; /* docker ps -q: IDs only */
      continue;
    }
    if (cli_common_option(ch, optarg))
      continue;
    switch (ch) {
    case 'h': return cli_help(ps_help);
    case 'a': all = true; break;
    case OPT_NO_TRUNC: no_trunc = true; break;
    default: return cli_bad_option("ps");
    }
  }
  if (optind < argc)
    return cli_usage_error("ps", "\"ps\" accepts no arguments");
  cleanup_free char *store = ctr_store_path();
  cleanup_error pyoci_error_t *err = NULL;
  pyoci_container_t **v = NULL;
  size_t n = 0;
  if (pyoci_container_list(store, &v, &n, &err) < 0)
    return cli_fail(err);
  strbuf_t out = STRBUF_INIT;
  if (!quiet)
    strbuf_addstr(&out, "CONTAINER ID\tIMAGE\tCOMMAND\tCREATED\tSTATUS\tPORTS\tNAMES\n");
  int64_t now = time(NULL);
  for (size_t i = 0; i < n; i++) {
    if (v[i]->hidden || (!all && !pyoci_container_running(v[i])))
      continue;
    if (quiet)
      strbuf_addf(&out, "%.*s\n", no_trunc ? 64 : 12, v[i]->id);
    else
      row(v[i], no_trunc, now, &out);
  }
  if (quiet)
    fputs(out.buf ? out.buf : "", stdout);
  else
    cli_print_aligned(out.buf);
  strbuf_release(&out);
  pyoci_container_list_free(v, n);
  return 0;
}
