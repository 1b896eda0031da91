/* pyoci debug: a toolbox joined to a running container's namespaces
 * (pyoci, docker, podman, or a PID), an image run with a toolbox at
 * /.debug, or the patch kubectl debug sends for an ephemeral container. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/container/debug.h"
#include "lib/oci/store.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/json.h"
#include "cli.h"
#include "env.h"
#include "ctr_opts.h"

static const char debug_help[] =
    "Usage: pyoci debug [OPTIONS] TARGET [-- COMMAND [ARG...]]\n"
    "       pyoci debug [OPTIONS] IMAGE --image TOOLBOX [-- COMMAND [ARG...]]\n"
    "       pyoci debug --kubernetes POD [-c CONTAINER] [-n NAMESPACE] [--image IMAGE]\n"
    "\n"
    "Troubleshoot a running container that has no shell or tools, like\n"
    "kubectl debug --target: a toolbox container joins the target's pid,\n"
    "network, ipc and uts namespaces and its cgroup.  Its `ps` lists the\n"
    "target's processes, 127.0.0.1 is the target's, and the target's root file\n"
    "system is at /proc/1/root and /target.  Nothing is written into the target.\n"
    "\n"
    "TARGET is a pyoci container, a docker container (Docker Engine API on\n"
    "$DOCKER_HOST, default unix:///var/run/docker.sock), a podman container, or\n"
    "a host PID; force one with pyoci://, docker://, podman:// or pid://.\n"
    "An IMAGE (no running container by that name) runs with the toolbox mounted\n"
    "at /.debug and its tools on PATH (like cdebug exec).\n"
    "\n"
    "Options:\n"
    "      --image TOOLBOX     toolbox image from the store (default pyoci/toolbox:busybox,\n"
    "                          made from the host's busybox-static when missing)\n"
    "      --print-env         print the target's environment and exit\n"
    "      --share-processes   see the target's processes (always on for a container)\n"
    "  -e, --env K=V           set an environment variable in the toolbox\n"
    "  -i, --interactive       keep stdin open\n"
    "  -t, --tty               allocate a pseudo-TTY\n"
    "      --kubernetes POD    write the ephemeralcontainers patch kubectl debug --target sends\n"
    "  -c, --container NAME    with --kubernetes: the target container\n"
    "  -n, --namespace NS      with --kubernetes: the pod's namespace (default \"default\")\n"
    "      --profile P         with --kubernetes: legacy (default) or general (adds SYS_PTRACE)\n"
    "      --apply             with --kubernetes: also apply the patch with kubectl\n"
    "      --store DIR         image store\n"
    "  -h, --help              show this help\n"
    "\n"
    "The exit status is the command's; 1 with a one-line message when the\n"
    "target is gone, exits during the session, or cannot be reached.\n";

typedef struct {
  ctr_opts_t c;
  const char *toolbox, *pod, *container, *ns, *profile;
  bool print_env, apply;
} debug_args_t;

/* DOCKER_HOST=unix:///path (read here: the library takes the path). */
static const char *docker_socket(void)
{
  const char *h = cli_env()->docker_host;
  if (h == NULL)
    return "/var/run/docker.sock";
  return strncmp(h, "unix://", 7) == 0 ? h + 7 : NULL;
}

static const char *find_busybox(void)
{
  static const char *const cands[] = {"/bin/busybox", "/usr/bin/busybox", NULL};
  for (const char *const *p = cands; *p; p++)
    if (access(*p, X_OK) == 0)
      return *p;
  return NULL;
}

static int kubernetes(const debug_args_t *a, char *const *cmd)
{
  pyoci_kube_debug_t k = {.pod = a->pod, .container = a->container, .namespace_ = a->ns,
                          .image = a->toolbox ? a->toolbox : "busybox", .command = cmd, .tty = a->c.o.tty,
                          .interactive = a->c.o.interactive, .profile = a->profile};
  cleanup_error pyoci_error_t *err = NULL;
  cleanup_json json_t *patch = pyoci_kube_debug_patch(&k, &err);
  if (patch == NULL)
    return cli_fail(err);
  cleanup_free char *text = json_dumps(patch, JSON_COMPACT | JSON_SORT_KEYS);
  printf("%s\n", text);
  fflush(stdout);
  if (!a->apply)
    return 0;
  const char *ns = a->ns ? a->ns : "default";
  execlp("kubectl", "kubectl", "patch", "pod", a->pod, "--namespace", ns, "--subresource=ephemeralcontainers",
         "--type=strategic", "--patch", text, (char *)NULL);
  fprintf(stderr, "pyoci: --apply: kubectl not found\n");
  return 1;
}

static int print_env(const pyoci_target_t *t)
{
  cleanup_strv char **env = NULL;
  cleanup_error pyoci_error_t *err = NULL;
  if (pyoci_target_env(t->pid, &env, &err) < 0)
    return cli_fail(err);
  for (char **e = env; *e; e++)
    printf("%s\n", *e);
  return 0;
}

static int session(debug_args_t *a, const char *target, char *const *cmd)
{
  pyoci_store_t *s = NULL;
  cleanup_error pyoci_error_t *err = NULL;
  cleanup_free char *store = ctr_store_path();
  char self[4096];
  ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  self[n > 0 ? n : 0] = '\0';
  pyoci_target_spec_t spec = {.store_path = store, .docker_socket = docker_socket(), .podman = "podman"};
  pyoci_target_parse(target, &spec);
  pyoci_target_t t = {0};
  int rc = pyoci_target_resolve(&spec, &t, &err);
  if (rc == 0 && a->print_env) {
    pyoci_target_release(&t);
    return print_env(&t);
  }
  if (pyoci_store_open(pyoci_globals.store, &s, rc == 0 ? &err : NULL) < 0) {
    pyoci_target_release(&t);
    return cli_fail(err);
  }
  pyoci_debug_opts_t o = {.toolbox = a->toolbox ? a->toolbox : PYOCI_TOOLBOX_DEFAULT, .cmd = cmd,
                          .tty = a->c.o.tty, .interactive = a->c.o.interactive, .self_exe = n > 0 ? self : NULL,
                          .env = (const char *const *)a->c.env};
  char digest[72];
  bool image_mode = rc < 0 && err->code == PYOCI_E_NOT_FOUND && spec.kind == PYOCI_TARGET_AUTO &&
                    pyoci_store_resolve(s, target, digest, NULL) == 0;
  int code = 0;
  if (rc == 0 || image_mode) {
    pyoci_error_release(&err);
    rc = 0;
    if (a->toolbox == NULL)
      rc = pyoci_toolbox_ensure(s, PYOCI_TOOLBOX_DEFAULT, find_busybox(), &err);
    if (rc == 0)
      rc = image_mode ? pyoci_debug_image(s, target, &o, &code, &err)
                      : pyoci_debug_container(s, &t, &o, &code, &err);
  }
  pyoci_store_close(s);
  pyoci_target_release(&t);
  return rc < 0 ? cli_fail(err) : code;
}

int cmd_debug(int argc, char **argv)
{
  enum { OPT_IMAGE = 0x2000, OPT_PRINT_ENV, OPT_SHARE, OPT_KUBE, OPT_PROFILE, OPT_APPLY };
  static const struct option opts[] = {
      {"help", no_argument, NULL, 'h'},          {"image", required_argument, NULL, OPT_IMAGE},
      {"print-env", no_argument, NULL, OPT_PRINT_ENV}, {"share-processes", no_argument, NULL, OPT_SHARE},
      {"kubernetes", required_argument, NULL, OPT_KUBE}, {"container", required_argument, NULL, 'c'},
      {"namespace", required_argument, NULL, 'n'}, {"profile", required_argument, NULL, OPT_PROFILE},
      {"apply", no_argument, NULL, OPT_APPLY},   {"env", required_argument, NULL, 'e'},
      {"interactive", no_argument, NULL, 'i'},   {"tty", no_argument, NULL, 't'},
      CLI_COMMON_LONGOPTS,                       {NULL, 0, NULL, 0},
  };
  debug_args_t a = {0};
  ctr_opts_init(&a.c);
  int ch, rc = -1;
  while (rc < 0 && (ch = getopt_long(argc, argv, "e:itc:n:qh", opts, NULL)) != -1) {
    if (cli_common_option(ch, optarg))
      continue;
    switch (ch) {
    case 'h': rc = cli_help(debug_help); break;
    case OPT_IMAGE: a.toolbox = optarg; break;
    case OPT_PRINT_ENV: a.print_env = true; break;
    case OPT_SHARE: break; /* a container target's pid namespace is always shared */
    case OPT_KUBE: a.pod = optarg; break;
    case 'c': a.container = optarg; break;
    case 'n': a.ns = optarg; break;
    case OPT_PROFILE: a.profile = optarg; break;
    case OPT_APPLY: a.apply = true; break;
    case 'e': case 'i': case 't': ctr_opts_parse(&a.c, ch, optarg, "debug"); break;
    default: rc = cli_bad_option("debug");
    }
  }
  if (rc < 0 && a.pod)
    rc = kubernetes(&a, argv + optind);
  else if (rc < 0 && optind >= argc)
    rc = cli_usage_error("debug", "\"debug\" requires a TARGET (container, PID or image)");
  else if (rc < 0)
    rc = session(&a, argv[optind], argv + optind + 1);
  ctr_opts_release(&a.c);
  return rc;
}

/* `pyoci __cgroup-join TARGET_PID`: runc's createRuntime hook for a debug
 * toolbox; the container state (JSON, with "pid") arrives on stdin.  Not
 * listed: only pyoci debug writes it into a bundle. */
int cmd_cgroup_join(int argc, char **argv)
{
  if (argc != 2)
    return EXIT_USAGE;
  cleanup_free char *state = NULL;
  cleanup_error pyoci_error_t *err = NULL;
  if (pyoci_read_fd(STDIN_FILENO, "runtime state", 1u << 20, &state, NULL, &err) < 0)
    return cli_fail(err);
  cleanup_json json_t *j = pyoci_json_parse_object(state, strlen(state), "runtime state", &err);
  pid_t pid = (pid_t)pyoci_json_int(j, "pid", 0);
  if (j == NULL || pid <= 0)
    return cli_fail(err);
  /* best effort: a toolbox outside the target's cgroup still works */
  if (pyoci_cgroup_join((pid_t)atoi(argv[1]), pid, &err) < 0)
    fprintf(stderr, "warning: %s\n", err->msg);
  return 0;
}
