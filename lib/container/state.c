/* Container records: <store>/containers/<id>/state.json, listed and looked
 * up by name or ID prefix the way docker does. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/json.h"
#include "container_int.h"

#define STATE_MAX (1u << 20)

void pyoci_container_free(pyoci_container_t *c)
{
  if (c == NULL)
    return;
  free(c->name);
  free(c->image);
  free(c->image_id);
  pyoci_strvfreep(&c->command);
  free(c->created);
  free(c->stop_signal);
  free(c->dir);
  free(c);
}

char *pyoci_containers_dir(const char *store_path)
{
  return pyoci_path_join(store_path, "containers");
}

char *pyoci_container_path(const pyoci_container_t *c, const char *name)
{
  return pyoci_path_join(c->dir, name);
}

static json_t *strv_to_json(char *const *v)
{
  json_t *a = json_array();
  for (; v && *v; v++)
    json_array_append_new(a, json_string(*v));
  return a;
}

int pyoci_container_save(const pyoci_container_t *c, pyoci_error_t **err)
{
  cleanup_json json_t *j = json_pack(
      "{s:s, s:s, s:s, s:s, s:o, s:s, s:I, s:I, s:I, s:s, s:i, s:b, s:b, s:I}", "id", c->id, "name", c->name, "image",
      c->image, "image_id", c->image_id ? c->image_id : "", "command", strv_to_json(c->command), "created",
      c->created ? c->created : "", "created_unix", (json_int_t)c->created_unix, "started_unix",
      (json_int_t)c->started_unix, "finished_unix", (json_int_t)c->finished_unix, "status", c->status, "exit_code",
      c->exit_code, "rm", c->rm, "hidden", c->hidden, "monitor", (json_int_t)c->monitor);
  if (j == NULL)
    return pyoci_error_set(err, 0, "container %s: build state", c->id);
  if (c->stop_signal)
    json_object_set_new(j, "stop_signal", json_string(c->stop_signal));
  cleanup_free char *text = pyoci_json_dump_text(j, JSON_INDENT(1) | JSON_SORT_KEYS);
  /* atomic (temp + rename) but not fsynced: the state describes processes,
   * which a crash of the machine ends anyway, and three fsyncs per start
   * were a tenth of `pyoci run --rm IMAGE true` on a busy disk */
  cleanup_free char *path = pyoci_container_path(c, "state.json");
  cleanup_free char *tmp = pyoci_container_path(c, ".state.json.tmp");
  cleanup_close int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return pyoci_error_set(err, errno, "open '%s'", tmp);
  if (pyoci_write_all(fd, text, strlen(text), tmp, err) < 0)
    return -1;
  if (rename(tmp, path) < 0)
    return pyoci_error_set(err, errno, "rename '%s'", tmp);
  return 0;
}

static char *dup_str(const json_t *j, const char *key)
{
  const char *v = pyoci_json_str(j, key);
  return v ? xstrdup(v) : NULL;
}

static char **json_to_strv(const json_t *a)
{
  size_t n = json_is_array(a) ? json_array_size(a) : 0;
  char **v = xcalloc(n + 1, sizeof(char *));
  for (size_t i = 0; v && i < n; i++) {
    const char *s = json_string_value(json_array_get(a, i));
    v[i] = xstrdup(s ? s : "");
  }
  return v;
}

/* Load <dir>/state.json. */
int pyoci_container_load(const char *dir, pyoci_container_t **out, pyoci_error_t **err)
{
  cleanup_free char *path = pyoci_path_join(dir, "state.json");
  cleanup_json json_t *j = pyoci_json_load_file(path, STATE_MAX, err);
  if (j == NULL)
    return -1;
  const char *id = pyoci_json_str(j, "id");
  const char *name = pyoci_json_str(j, "name");
  const char *status = pyoci_json_str(j, "status");
  if (id == NULL || strlen(id) != 64 || name == NULL || status == NULL)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s: not a container state", path);
  pyoci_container_t *c = xcalloc(1, sizeof(*c));
  snprintf(c->id, sizeof(c->id), "%s", id);
  c->name = xstrdup(name);
  c->image = dup_str(j, "image");
  c->image_id = dup_str(j, "image_id");
  c->command = json_to_strv(json_object_get(j, "command"));
  c->created = dup_str(j, "created");
  c->stop_signal = dup_str(j, "stop_signal");
  c->created_unix = pyoci_json_int(j, "created_unix", 0);
  c->started_unix = pyoci_json_int(j, "started_unix", 0);
  c->finished_unix = pyoci_json_int(j, "finished_unix", 0);
  snprintf(c->status, sizeof(c->status), "%s", status);
  c->exit_code = (int)pyoci_json_int(j, "exit_code", 0);
  c->rm = json_is_true(json_object_get(j, "rm"));
  c->hidden = json_is_true(json_object_get(j, "hidden"));
  c->monitor = (pid_t)pyoci_json_int(j, "monitor", 0);
  c->dir = xstrdup(dir);
  *out = c;
  return 0;
}

pid_t pyoci_container_pid(const pyoci_container_t *c)
{
  if (strcmp(c->status, "running") != 0)
    return 0;
  cleanup_free char *path = pyoci_container_path(c, "pid");
  cleanup_free char *buf = NULL;
  pyoci_error_t *ignored = NULL;
  if (pyoci_read_file(path, 64, &buf, NULL, &ignored) < 0) {
    pyoci_error_free(ignored);
    return 0;
  }
  long pid = strtol(buf, NULL, 10);
  return pid > 0 && kill((pid_t)pid, 0) == 0 ? (pid_t)pid : 0;
}

bool pyoci_container_running(const pyoci_container_t *c)
{
  /* "running" with its monitor gone (killed with its watchdog) is stale */
  return strcmp(c->status, "running") == 0 && c->monitor > 0 && kill(c->monitor, 0) == 0;
}

static int by_created(const void *a, const void *b)
{
  const pyoci_container_t *x = *(pyoci_container_t *const *)a, *y = *(pyoci_container_t *const *)b;
  return x->created_unix < y->created_unix ? 1 : x->created_unix > y->created_unix ? -1 : strcmp(x->id, y->id);
}

int pyoci_container_list(const char *store_path, pyoci_container_t ***out, size_t *n, pyoci_error_t **err)
{
  cleanup_free char *top = pyoci_containers_dir(store_path);
  *out = NULL;
  *n = 0;
  cleanup_dir DIR *d = opendir(top);
  if (d == NULL)
    return errno == ENOENT ? 0 : pyoci_error_set(err, errno, "open '%s'", top);
  struct dirent *de;
  size_t cap = 0;
  while ((de = readdir(d)) != NULL) {
    if (strlen(de->d_name) != 64 || strspn(de->d_name, "0123456789abcdef") != 64)
      continue;
    cleanup_free char *dir = pyoci_path_join(top, de->d_name);
    pyoci_container_t *c = NULL;
    pyoci_error_t *ignored = NULL;
    if (pyoci_container_load(dir, &c, &ignored) < 0) {
      pyoci_error_free(ignored); /* being created or removed right now */
      continue;
    }
    if (*n == cap) {
      cap = cap ? 2 * cap : 16;
      *out = xrealloc(*out, cap * sizeof(**out));
    }
    (*out)[(*n)++] = c;
  }
  if (*n > 1)
    qsort(*out, *n, sizeof(**out), by_created);
  return 0;
}

void pyoci_container_list_free(pyoci_container_t **v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    pyoci_container_free(v[i]);
  free(v);
}

int pyoci_container_find(const char *store_path, const char *ref, pyoci_container_t **out, pyoci_error_t **err)
{
  pyoci_container_t **v = NULL;
  size_t n = 0;
  if (pyoci_container_list(store_path, &v, &n, err) < 0)
    return -1;
  pyoci_container_t *hit = NULL;
  size_t matches = 0;
  for (size_t i = 0; i < n && !hit; i++)
    if (strcmp(v[i]->name, ref) == 0 || strcmp(v[i]->id, ref) == 0)
      hit = v[i];
  for (size_t i = 0; i < n && !hit && *ref; i++)
    if (strncmp(v[i]->id, ref, strlen(ref)) == 0 && matches++ == 0)
      *out = v[i];
  int rc = 0;
  if (hit)
    *out = hit;
  else if (matches > 1)
    rc = pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "multiple containers found with provided prefix: %s", ref);
  else if (matches == 0)
    rc = pyoci_error_set_code(err, PYOCI_E_NOT_FOUND, 0, "No such container: %s", ref);
  for (size_t i = 0; i < n; i++)
    if (rc < 0 || v[i] != *out)
      pyoci_container_free(v[i]);
  free(v);
  if (rc < 0)
    *out = NULL;
  return rc;
}

int pyoci_container_new_id(char id[65], pyoci_error_t **err)
{
  unsigned char raw[32];
  if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
    return pyoci_error_set(err, errno, "getrandom");
  for (size_t i = 0; i < sizeof(raw); i++)
    snprintf(id + 2 * i, 3, "%02x", raw[i]);
  return 0;
}

/* docker's names-generator style: adjective_surname. */
void pyoci_container_gen_name(const char *id, char *buf, size_t len)
{
  static const char *const adj[] = {"admiring", "bold",    "brave",   "clever", "eager",  "focused", "gallant",
                                    "happy",    "jolly",   "keen",    "loving", "modest", "nifty",   "quirky",
                                    "relaxed",  "serene",  "stoic",   "trusting", "vibrant", "zealous"};
  static const char *const who[] = {"babbage", "curie",    "darwin", "einstein", "feynman", "galileo", "hopper",
                                    "kepler",  "lovelace", "meitner", "newton",  "noether", "pasteur", "ritchie",
                                    "shannon", "thompson", "turing",  "volta",   "wozniak", "yalow"};
  unsigned v = (unsigned)strtoul((char[9]){id[0], id[1], id[2], id[3], id[4], id[5], id[6], id[7], 0}, NULL, 16);
  snprintf(buf, len, "%s_%s", adj[v % 20], who[(v / 20) % 20]);
}

static bool name_taken(const char *name, pyoci_container_t *const *v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (strcmp(v[i]->name, name) == 0)
      return true;
  return false;
}

char *pyoci_container_free_name(const char *id, pyoci_container_t *const *v, size_t n)
{
  char base[64];
  pyoci_container_gen_name(id, base, sizeof(base));
  char *name = xstrdup(base);
  for (size_t k = 2; name_taken(name, v, n); k++) {
    free(name);
    name = xasprintf("%s%zu", base, k);
  }
  return name;
}
