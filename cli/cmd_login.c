/* pyoci login / logout: registry credentials in docker's config.json (or
 * its credential helper), so docker and pyoci share them. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/util/alloc.h"
#include "lib/registry/registry.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "cli.h"
#include "registry_cli.h"

static const char login_usage[] =
    "Usage: pyoci login [OPTIONS] [REGISTRY]\n\n"
    "Check a user name and password against REGISTRY (default docker.io) and save\n"
    "them the way docker login does: in $DOCKER_CONFIG/config.json (default\n"
    "~/.docker/config.json) as base64 under \"auths\", or through the credential\n"
    "helper named by \"credHelpers\"/\"credsStore\" (docker-credential-NAME).\n\n"
    "Options:\n"
    "  -u, --username USER    user name\n"
    "  -p, --password PASS    password (visible to other users: prefer --password-stdin)\n"
    "      --password-stdin   read the password from standard input\n"
    "      --tls-verify[=BOOL]  verify TLS (default true)\n"
    "  -h, --help             show this help\n";

static const char logout_usage[] =
    "Usage: pyoci logout [REGISTRY]\n\n"
    "Remove the credentials saved for REGISTRY (default docker.io) by 'pyoci login'\n"
    "or 'docker login'.\n";

static int read_password(char **out)
{
  cleanup_error pyoci_error_t *err = NULL;
  size_t len = 0;
  if (pyoci_read_fd(STDIN_FILENO, "stdin", 64 << 10, out, &len, &err) < 0)
    return cli_fail(err);
  while (len > 0 && ((*out)[len - 1] == '\n' || (*out)[len - 1] == '\r'))
    (*out)[--len] = '\0';
  return 0;
}

int cmd_login(int argc, char **argv)
{
  enum { OPT_STDIN = 0x2000 };
  static const struct option opts[] = {
      {"username", required_argument, NULL, 'u'}, {"password", required_argument, NULL, 'p'},
      {"password-stdin", no_argument, NULL, OPT_STDIN}, {"help", no_argument, NULL, 'h'},
      CLI_REGISTRY_LONGOPTS, CLI_COMMON_LONGOPTS, {NULL, 0, NULL, 0},
  };
  struct cli_registry rc_ __attribute__((cleanup(cli_registry_free)));
  cli_registry_init(&rc_);
  const char *user = NULL, *pass_arg = NULL;
  bool from_stdin = false;
  int c, r;
  while ((c = getopt_long(argc, argv, "u:p:hq", opts, NULL)) != -1) {
    if ((r = cli_registry_option(&rc_, "login", c, optarg)) != 0) {
      if (r < 0)
        return EXIT_USAGE;
    } else if (c == 'u') {
      user = optarg;
    } else if (c == 'p') {
      pass_arg = optarg;
    } else if (c == OPT_STDIN) {
      from_stdin = true;
    } else if (c == 'h') {
      return cli_help(login_usage);
    } else {
      return cli_bad_option("login");
    }
  }
  if (argc - optind > 1)
    return cli_usage_error("login", "at most one REGISTRY");
  if (user == NULL)
    return cli_usage_error("login", "a user name is needed (-u USER)");
  if (from_stdin && pass_arg)
    return cli_usage_error("login", "--password and --password-stdin are mutually exclusive");
  cleanup_free char *pass = NULL;
  if (from_stdin && read_password(&pass) != 0)
    return 1;
  if (!from_stdin && pass_arg == NULL)
    return cli_usage_error("login", "a password is needed (--password-stdin or -p)");
  if (pass_arg != NULL) {
    fprintf(stderr, "WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n");
    pass = xstrdup(pass_arg);
  }
  rc_.o.username = user;
  rc_.o.password = pass;
  const char *registry = optind < argc ? argv[optind] : "docker.io";
  cleanup_error pyoci_error_t *err = NULL;
  if (pyoci_registry_login(registry, &rc_.o, &err) < 0)
    return cli_fail(err);
  printf("Login Succeeded\n");
  return 0;
}

int cmd_logout(int argc, char **argv)
{
  static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, CLI_COMMON_LONGOPTS, {NULL, 0, NULL, 0}};
  int c;
  while ((c = getopt_long(argc, argv, "hq", opts, NULL)) != -1) {
    if (cli_common_option(c, optarg))
      continue;
    if (c == 'h')
      return cli_help(logout_usage);
    return cli_bad_option("logout");
  }
  if (argc - optind > 1)
    return cli_usage_error("logout", "at most one REGISTRY");
  struct cli_registry rc_ __attribute__((cleanup(cli_registry_free)));
  cli_registry_init(&rc_);
  const char *registry = optind < argc ? argv[optind] : "docker.io";
  cleanup_error pyoci_error_t *err = NULL;
  cleanup_free char *key = pyoci_registry_server_key(registry);
  if (pyoci_registry_logout(registry, &rc_.o, &err) < 0) {
    if (err->code == PYOCI_E_NOT_FOUND) {
      printf("Not logged in to %s\n", key);
      return 0;
    }
    return cli_fail(err);
  }
  printf("Removing login credentials for %s\n", key);
  return 0;
}
