/* What maintainer scripts would have done, done declaratively (no script
 * runs, there is no shell): merged-/usr links, passwd/group with the
 * distroless accounts, os-release, the CA bundle update-ca-certificates
 * makes, /etc/localtime for tzdata, and the package records the distroless
 * way (var/lib/dpkg/status.d/NAME + NAME.md5sums) so scanners see exactly
 * what was installed. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "asm_int.h"

int pyoci_root_mkdirs(int root_fd, const char *path, mode_t mode, pyoci_error_t **err)
{
  cleanup_free char *p = xstrdup(path);
  for (char *slash = p;; slash++) {
    slash = strchr(slash, '/');
    if (slash)
      *slash = '\0';
    cleanup_close int fd = pyoci_open_in_root(root_fd, p, O_PATH | O_DIRECTORY);
    if (fd < 0 && errno == ENOENT) {
      const char *last = strrchr(p, '/');
      cleanup_free char *parent = last ? xstrndup(p, (size_t)(last - p)) : xstrdup("");
      cleanup_close int pfd = pyoci_open_in_root(root_fd, parent, O_PATH | O_DIRECTORY);
      if (pfd < 0 || (mkdirat(pfd, last ? last + 1 : p, mode) < 0 && errno != EEXIST))
        return pyoci_error_set(err, errno, "mkdir '/%s'", p);
    } else if (fd < 0) {
      return pyoci_error_set(err, errno, "open '/%s'", p);
    }
    if (slash == NULL)
      return 0;
    *slash = '/';
  }
}

int pyoci_root_write(int root_fd, const char *path, const void *data, size_t len, mode_t mode,
                     pyoci_error_t **err)
{
  const char *slash = strrchr(path, '/');
  cleanup_free char *parent = slash ? xstrndup(path, (size_t)(slash - path)) : xstrdup("");
  const char *name = slash ? slash + 1 : path;
  if (parent[0] && pyoci_root_mkdirs(root_fd, parent, 0755, err) < 0)
    return -1;
  cleanup_close int pfd = pyoci_open_in_root(root_fd, parent, O_PATH | O_DIRECTORY);
  if (pfd < 0)
    return pyoci_error_set(err, errno, "open '/%s'", parent);
  if (unlinkat(pfd, name, 0) < 0 && errno != ENOENT)
    return pyoci_error_set(err, errno, "replace '/%s'", path);
  cleanup_close int fd = openat(pfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return pyoci_error_set(err, errno, "create '/%s'", path);
  if (pyoci_write_all(fd, data, len, path, err) < 0)
    return -1;
  if (fchmod(fd, mode) < 0)
    return pyoci_error_set(err, errno, "chmod '/%s'", path);
  return 0;
}

static bool exists_at(int root_fd, const char *path)
{
  struct stat st;
  return fstatat(root_fd, path, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

int pyoci_root_merged_usr_links(int root_fd, pyoci_error_t **err)
{
  static const char *const dirs[] = {"bin", "sbin", "lib", "lib32", "lib64", "libx32"};
  for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
    char target[32];
    snprintf(target, sizeof(target), "usr/%s", dirs[i]);
    if (exists_at(root_fd, target) && !exists_at(root_fd, dirs[i]) && symlinkat(target, root_fd, dirs[i]) < 0)
      return pyoci_error_set(err, errno, "symlink '/%s'", dirs[i]);
  }
  return 0;
}

/* distroless's base accounts, then the spec's. */
int pyoci_root_accounts(int root_fd, const pyoci_spec_t *spec, pyoci_error_t **err)
{
  cleanup_strbuf strbuf_t pw = STRBUF_INIT, gr = STRBUF_INIT;
  strbuf_addstr(&pw, "root:x:0:0:root:/root:/sbin/nologin\n"
                     "nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n");
  strbuf_addstr(&gr, "root:x:0:\nnobody:x:65534:\n");
  bool nonroot = false;
  for (size_t i = 0; i < spec->n_users; i++)
    nonroot |= spec->users[i].id == 65532 || strcmp(spec->users[i].name, "nonroot") == 0;
  if (!nonroot) {
    strbuf_addstr(&pw, "nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n");
    strbuf_addstr(&gr, "nonroot:x:65532:\n");
    if (pyoci_root_mkdirs(root_fd, "home/nonroot", 0700, err) < 0 ||
        fchownat(root_fd, "home/nonroot", 65532, 65532, AT_SYMLINK_NOFOLLOW) < 0)
      return pyoci_error_set(err, errno, "chown '/home/nonroot'");
  }
  for (size_t i = 0; i < spec->n_groups; i++)
    strbuf_addf(&gr, "%s:x:%u:\n", spec->groups[i].name, spec->groups[i].id);
  for (size_t i = 0; i < spec->n_users; i++) {
    const pyoci_spec_account_t *u = &spec->users[i];
    cleanup_free char *home = NULL;
    home = xasprintf("%s", u->home ? u->home : "/nonexistent");
    strbuf_addf(&pw, "%s:x:%u:%u:%s:%s:%s\n", u->name, u->id, u->gid, u->name, home,
                u->shell ? u->shell : "/sbin/nologin");
    if (u->home && strcmp(u->home, "/nonexistent") != 0) {
      if (pyoci_root_mkdirs(root_fd, u->home + 1, 0700, err) < 0 ||
          fchownat(root_fd, u->home + 1, u->id, u->gid, AT_SYMLINK_NOFOLLOW) < 0)
        return pyoci_error_set(err, errno, "chown '%s'", u->home);
    }
  }
  if (pyoci_root_write(root_fd, "etc/passwd", pw.buf, pw.len, 0644, err) < 0 ||
      pyoci_root_write(root_fd, "etc/group", gr.buf, gr.len, 0644, err) < 0 ||
      pyoci_root_mkdirs(root_fd, "tmp", 01777, err) < 0)
    return -1;
  if (fchmodat(root_fd, "tmp", 01777, 0) < 0)
    return pyoci_error_set(err, errno, "chmod '/tmp'");
  return 0;
}

static int os_release(int root_fd, const char *suite, pyoci_error_t **err)
{
  if (exists_at(root_fd, "etc/os-release") || exists_at(root_fd, "usr/lib/os-release"))
    return 0; /* base-files is in: its own */
  static const struct {
    const char *codename, *version;
  } known[] = {{"bullseye", "11"}, {"bookworm", "12"}, {"trixie", "13"}};
  const char *ver = NULL;
  for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
    if (suite && strncmp(suite, known[i].codename, strlen(known[i].codename)) == 0)
      ver = known[i].version;
  cleanup_strbuf strbuf_t sb = STRBUF_INIT;
  if (ver)
    strbuf_addf(&sb, "PRETTY_NAME=\"Debian GNU/Linux %s (%s)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"%s\"\n"
                     "VERSION=\"%s (%s)\"\nVERSION_CODENAME=%s\n", ver, suite, ver, ver, suite, suite);
  else
    strbuf_addf(&sb, "PRETTY_NAME=\"Debian GNU/Linux (%s)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_CODENAME=%s\n",
                suite ? suite : "unknown", suite ? suite : "unknown");
  strbuf_addstr(&sb, "ID=debian\nHOME_URL=\"https://www.debian.org/\"\n");
  if (pyoci_root_write(root_fd, "usr/lib/os-release", sb.buf, sb.len, 0644, err) < 0)
    return -1;
  if (pyoci_root_mkdirs(root_fd, "etc", 0755, err) < 0 || symlinkat("../usr/lib/os-release", root_fd, "etc/os-release") < 0)
    return pyoci_error_set(err, errno, "symlink '/etc/os-release'");
  return 0;
}

static int collect_crts(int root_fd, const char *dir, char ***out, pyoci_error_t **err)
{
  cleanup_close int fd = pyoci_open_in_root(root_fd, dir, O_RDONLY | O_DIRECTORY);
  if (fd < 0)
    return pyoci_error_set(err, errno, "open '/%s'", dir);
  struct dirent **names = NULL;
  DIR *d = fdopendir(fd);
  if (d == NULL)
    return pyoci_error_set(err, errno, "open '/%s'", dir);
  fd = -1;
  int n = scandirat(dirfd(d), ".", &names, NULL, alphasort);
  int rc = n < 0 ? pyoci_error_set(err, errno, "read '/%s'", dir) : 0;
  for (int i = 0; i < n; i++) {
    const char *nm = names[i]->d_name;
    cleanup_free char *p = NULL;
    p = xasprintf("%s/%s", dir, nm);
    size_t len = strlen(nm);
    if (rc == 0 && nm[0] != '.' && names[i]->d_type == DT_DIR)
      rc = collect_crts(root_fd, p, out, err);
    else if (nm[0] != '.' && len > 4 && strcmp(nm + len - 4, ".crt") == 0)
      pyoci_asm_strv_push(out, p);
    free(names[i]);
  }
  free(names);
  closedir(d);
  return rc;
}

/* update-ca-certificates with the default configuration: every shipped
 * certificate, concatenated in name order. */
static int ca_bundle(int root_fd, pyoci_error_t **err)
{
  if (!exists_at(root_fd, "usr/share/ca-certificates"))
    return 0;
  cleanup_strv char **crts = NULL;
  if (collect_crts(root_fd, "usr/share/ca-certificates", &crts, err) < 0)
    return -1;
  cleanup_strbuf strbuf_t sb = STRBUF_INIT;
  for (char **c = crts; c && *c; c++) {
    cleanup_free char *buf = NULL;
    size_t len;
    if (pyoci_read_file_at(root_fd, *c, 1u << 20, &buf, &len, err) < 0)
      return -1;
    strbuf_add(&sb, buf, len);
    if (len && buf[len - 1] != '\n')
      strbuf_addch(&sb, '\n');
  }
  return pyoci_root_write(root_fd, "etc/ssl/certs/ca-certificates.crt", sb.buf, sb.len, 0644, err);
}

/* tzdata's postinst: UTC unless told otherwise. */
static int localtime(int root_fd, pyoci_error_t **err)
{
  if (!exists_at(root_fd, "usr/share/zoneinfo/Etc/UTC") || exists_at(root_fd, "etc/localtime"))
    return 0;
  if (pyoci_root_mkdirs(root_fd, "etc", 0755, err) < 0 ||
      symlinkat("/usr/share/zoneinfo/Etc/UTC", root_fd, "etc/localtime") < 0)
    return pyoci_error_set(err, errno, "symlink '/etc/localtime'");
  return pyoci_root_write(root_fd, "etc/timezone", "Etc/UTC\n", 8, 0644, err);
}

int pyoci_root_fixups(int root_fd, const char *suite, pyoci_error_t **err)
{
  if (pyoci_root_merged_usr_links(root_fd, err) < 0 || os_release(root_fd, suite, err) < 0 ||
      ca_bundle(root_fd, err) < 0 || localtime(root_fd, err) < 0)
    return -1;
  return 0;
}

/* status.d/NAME: the control file with "Status: install ok installed"
 * after Package, as distroless writes it; NAME.md5sums beside it. */
int pyoci_root_status(int root_fd, const pyoci_deb_info_t *info, pyoci_error_t **err)
{
  cleanup_strbuf strbuf_t sb = STRBUF_INIT;
  const char *c = info->control;
  const char *nl = strchr(c, '\n');
  size_t first = nl ? (size_t)(nl - c) + 1 : strlen(c);
  strbuf_add(&sb, c, first);
  if (!nl)
    strbuf_addch(&sb, '\n');
  strbuf_addstr(&sb, "Status: install ok installed\n");
  strbuf_addstr(&sb, c + first);
  while (sb.len > 1 && sb.buf[sb.len - 1] == '\n' && sb.buf[sb.len - 2] == '\n')
    sb.buf[--sb.len] = '\0';
  if (sb.buf[sb.len - 1] != '\n')
    strbuf_addch(&sb, '\n');
  cleanup_free char *path = xasprintf("var/lib/dpkg/status.d/%s", info->package);
  cleanup_free char *md5 = xasprintf("var/lib/dpkg/status.d/%s.md5sums", info->package);
  if (strchr(info->package, '/') || info->package[0] == '.')
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "bad package name '%s'", info->package);
  if (pyoci_root_write(root_fd, path, sb.buf, sb.len, 0644, err) < 0)
    return -1;
  if (info->md5sums && pyoci_root_write(root_fd, md5, info->md5sums, strlen(info->md5sums), 0644, err) < 0)
    return -1;
  return 0;
}
