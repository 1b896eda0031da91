/* Installing a wheel the way PEP 427 says, without pip: read the
 * .dist-info first (WHEEL, RECORD, METADATA, entry_points.txt), then unpack
 * every member, hashing it on the way and refusing the wheel when a member
 * is not in RECORD or its hash or size differ; .data/ directories go to
 * their scheme paths; console_scripts get wrappers; INSTALLER and a RECORD
 * of the installed paths are written.  Every path is checked (no "..",
 * nothing absolute) and written below the root only. */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>

#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/inflate_limit.h"
#include "asm_int.h"

typedef struct {
  const char *what;
  int root_fd;
  const pyoci_wheel_target_t *t;
  char *distinfo;          /* "Flask-2.2.2.dist-info" */
  char *datadir;           /* "Flask-2.2.2.data" */
  char *wheel_txt, *record_txt, *metadata_txt, *entry_txt;
  pyoci_record_t *rec;
  size_t nrec;
  bool *seen;
  strbuf_t installed;      /* the new RECORD */
  char *name, *version;
  uint64_t zip_size, unpacked; /* for the bomb limits (inflate_limit.h) */
  pyoci_error_t **err;
} wheel_t;

static struct archive *open_zip(int fd)
{
  struct archive *a = archive_read_new();
  archive_read_support_format_zip_seekable(a);
  if (lseek(fd, 0, SEEK_SET) < 0 || archive_read_open_fd(a, fd, 1u << 16) != ARCHIVE_OK) {
    archive_read_free(a);
    return NULL;
  }
  return a;
}

static bool safe_rel(const char *p)
{
  if (p[0] == '\0' || p[0] == '/' || strchr(p, '\\') != NULL)
    return false;
  for (const char *c = p; *c;) {
    size_t len = strcspn(c, "/");
    if ((len == 2 && c[0] == '.' && c[1] == '.') || (len == 1 && c[0] == '.'))
      return false;
    c += len + (c[len] == '/');
  }
  return true;
}

static int read_whole(wheel_t *w, struct archive *a, const char *name, char **out)
{
  strbuf_t sb = STRBUF_INIT;
  char buf[1u << 16];
  la_ssize_t r;
  while ((r = archive_read_data(a, buf, sizeof(buf))) > 0) {
    if (sb.len + (size_t)r > ASM_MAX_WHEEL_META) {
      strbuf_release(&sb);
      return pyoci_error_set_code(w->err, PYOCI_E_CORRUPT, 0, "%s: %s larger than %u bytes", w->what, name,
                                  ASM_MAX_WHEEL_META);
    }
    strbuf_add(&sb, buf, (size_t)r);
  }
  if (r < 0) {
    strbuf_release(&sb);
    return pyoci_error_set_code(w->err, PYOCI_E_CORRUPT, 0, "%s: %s: %s", w->what, name, archive_error_string(a));
  }
  *out = strbuf_detach(&sb);
  return 0;
}

/* Every member of the wheel, in order, to visit(); an unnamed member or
 * more than ASM_MAX_ENTRIES of them is an error.  Both passes read the zip
 * through this, so the second sees only members the first accepted. */
typedef int (*member_fn)(wheel_t *w, struct archive *a, struct archive_entry *e, const char *p);
static int each_member(wheel_t *w, int fd, member_fn visit)
{
  struct archive *a = open_zip(fd);
  if (a == NULL)
    return pyoci_error_set_code(w->err, PYOCI_E_CORRUPT, 0, "%s: not a zip file", w->what);
  struct archive_entry *e;
  int rc = 0, r;
  size_t count = 0;
  while (rc == 0 && (r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
    const char *p = archive_entry_pathname(e);
    if (++count > ASM_MAX_ENTRIES || p == NULL)
      rc = pyoci_error_set_code(w->err, PYOCI_E_CORRUPT, 0, "%s: too many or unnamed members", w->what);
    else
      rc = visit(w, a, e, p);
  }
  if (rc == 0 && r != ARCHIVE_EOF)
    rc = pyoci_error_set_code(w->err, PYOCI_E_CORRUPT, 0, "%s: %s", w->what, archive_error_string(a));
  archive_read_free(a);
  return rc;
}

/* First pass: the .dist-info files. */
static int distinfo_member(wheel_t *w, struct archive *a, struct archive_entry *e, const char *p)
{
  size_t dl = strlen(w->distinfo);
  if (strncasecmp(p, w->distinfo, dl) != 0 || p[dl] != '/')
    return 0;
  memcpy(w->distinfo, p, dl); /* the wheel's own spelling */
  const char *f = p + dl + 1;
  char **slot = strcmp(f, "WHEEL") == 0 ? &w->wheel_txt : strcmp(f, "RECORD") == 0 ? &w->record_txt
                : strcmp(f, "METADATA") == 0 ? &w->metadata_txt : strcmp(f, "entry_points.txt") == 0 ? &w->entry_txt
                : NULL;
  if (slot && *slot == NULL)
    return read_whole(w, a, p, slot);
  return 0;
}

static int read_distinfo(wheel_t *w, int fd)
{
  int rc = each_member(w, fd, distinfo_member);
  if (rc == 0 && (!w->wheel_txt || !w->record_txt || !w->metadata_txt))
    rc = pyoci_error_set_code(w->err, PYOCI_E_CORRUPT, 0, "%s: no %s/WHEEL, RECORD or METADATA", w->what, w->distinfo);
  return rc;
}

static int check_wheel_txt(wheel_t *w)
{
  const char *v = strstr(w->wheel_txt, "Wheel-Version:");
  if (v == NULL)
    return pyoci_error_set_code(w->err, PYOCI_E_CORRUPT, 0, "%s: WHEEL has no Wheel-Version", w->what);
  v += strlen("Wheel-Version:");
  while (*v == ' ')
    v++;
  if (strncmp(v, "1.", 2) != 0)
    return pyoci_error_set_code(w->err, PYOCI_E_CORRUPT, 0, "%s: Wheel-Version %.10s is not 1.x", w->what, v);
  return 0;
}

/* Where a member goes, relative to the root; NULL = not installable. */
static char *destination(wheel_t *w, const char *p, bool *script)
{
  *script = false;
  size_t dl = strlen(w->datadir);
  if (strncasecmp(p, w->datadir, dl) != 0 || p[dl] != '/')
    return xasprintf("%s/%s", w->t->site, p);
  const char *scheme = p + dl + 1, *rest = strchr(scheme, '/');
  if (rest == NULL)
    return NULL;
  size_t sl = (size_t)(rest - scheme);
  rest++;
  if (sl == 7 && (strncmp(scheme, "purelib", 7) == 0 || strncmp(scheme, "platlib", 7) == 0))
    return xasprintf("%s/%s", w->t->site, rest);
  if (sl == 7 && strncmp(scheme, "scripts", 7) == 0) {
    *script = true;
    return xasprintf("%s/%s", w->t->bindir, rest);
  }
  if (sl == 7 && strncmp(scheme, "headers", 7) == 0)
    return xasprintf("%s/include/python%d.%d/%s/%s", w->t->prefix, w->t->env->py_major, w->t->env->py_minor,
                     w->name, rest);
  if (sl == 4 && strncmp(scheme, "data", 4) == 0)
    return xasprintf("%s/%s", w->t->prefix, rest);
  return NULL;
}

/* RECORD paths of installed files are relative to site-packages. */
static char *relative_to_site(const char *site, const char *dest)
{
  size_t common = 0, i = 0;
  for (; site[i] && dest[i] && site[i] == dest[i]; i++)
    if (site[i] == '/')
      common = i + 1;
  if (site[i] == '\0' && dest[i] == '/')
    return xstrdup(dest + i + 1);
  strbuf_t sb = STRBUF_INIT;
  strbuf_addstr(&sb, "../");
  for (const char *c = site + common; *c; c++)
    if (*c == '/')
      strbuf_addstr(&sb, "../");
  strbuf_addstr(&sb, dest + common);
  return strbuf_detach(&sb);
}

static void urlsafe_sha256(const void *data, size_t len, char out[64])
{
  unsigned char md[32];
  unsigned int mdlen = 0;
  EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
  unsigned char b64[64];
  int n = EVP_EncodeBlock(b64, md, 32);
  int k = 0;
  for (int i = 0; i < n; i++) {
    char ch = (char)b64[i];
    if (ch == '=')
      break;
    out[k++] = ch == '+' ? '-' : ch == '/' ? '_' : ch;
  }
  out[k] = '\0';
}

static int cmp_record(const void *a, const void *b)
{
  return strcmp(((const pyoci_record_t *)a)->path, ((const pyoci_record_t *)b)->path);
}

static pyoci_record_t *find_record(wheel_t *w, const char *p)
{
  pyoci_record_t key = {.path = (char *)p};
  return bsearch(&key, w->rec, w->nrec, sizeof(*w->rec), cmp_record);
}

/* "#!python" (PEP 427) becomes the image's interpreter. */
static char *fix_shebang(wheel_t *w, char *data, size_t *len)
{
  if (*len < 8 || strncmp(data, "#!python", 8) != 0)
    return data;
  const char *nl = memchr(data, '\n', *len);
  size_t skip = nl ? (size_t)(nl - data) : *len;
  char *out = xasprintf("#!%s%.*s", w->t->python, (int)(*len - skip), data + skip);
  *len = strlen(out);
  free(data);
  return out;
}

static int install_member(wheel_t *w, struct archive *a, struct archive_entry *e, const char *p)
{
  pyoci_record_t *r = find_record(w, p);
  if (r == NULL || r->hash == NULL)
    return pyoci_error_set_code(w->err, PYOCI_E_CORRUPT, 0, "%s: '%s' is not in RECORD", w->what, p);
  bool script;
  cleanup_free char *dest = destination(w, p, &script);
  if (dest == NULL)
    return pyoci_error_set_code(w->err, PYOCI_E_CORRUPT, 0, "%s: '%s': unknown .data scheme", w->what, p);
  cleanup_free char *data = NULL;
  strbuf_t sb = STRBUF_INIT;
  char buf[1u << 16];
  la_ssize_t n;
  while ((n = archive_read_data(a, buf, sizeof(buf))) > 0) {
    if (sb.len + (size_t)n > ASM_MAX_DEB) {
      strbuf_release(&sb);
      return pyoci_error_set_code(w->err, PYOCI_E_CORRUPT, 0, "%s: '%s' too large", w->what, p);
    }
    w->unpacked += (uint64_t)n;
    if (pyoci_inflate_check(w->what, w->zip_size, w->unpacked, w->err) < 0) {
      strbuf_release(&sb);
      return pyoci_error_prefix(w->err, "install '%s': at '%s'", w->what, p);
    }
    strbuf_add(&sb, buf, (size_t)n);
  }
  size_t len = sb.len;
  data = strbuf_detach(&sb);
  if (n < 0)
    return pyoci_error_set_code(w->err, PYOCI_E_CORRUPT, 0, "%s: '%s': %s", w->what, p, archive_error_string(a));
  char h[64];
  urlsafe_sha256(data, len, h);
  if (strcmp(r->hash + 7, h) != 0 || (r->size >= 0 && (size_t)r->size != len))
    return pyoci_error_set_code(w->err, PYOCI_E_CORRUPT, 0, "%s: '%s' does not match its RECORD hash", w->what, p);
  w->seen[r - w->rec] = true;
  if (script)
    data = fix_shebang(w, data, &len);
  struct stat st;
  if (fstatat(w->root_fd, dest, &st, AT_SYMLINK_NOFOLLOW) == 0)
    return pyoci_error_set_code(w->err, PYOCI_E_INVALID, 0, "%s: '/%s' is already installed by another package",
                                w->what, dest);
  mode_t mode = script || (archive_entry_perm(e) & 0111) ? 0755 : 0644;
  if (pyoci_root_write(w->root_fd, dest, data, len, mode, w->err) < 0)
    return pyoci_error_prefix(w->err, "%s", w->what);
  urlsafe_sha256(data, len, h);
  cleanup_free char *rel = relative_to_site(w->t->site, dest);
  strbuf_addf(&w->installed, "%s,sha256=%s,%zu\n", rel, h, len);
  return 0;
}

static bool is_record_file(const wheel_t *w, const char *p)
{
  size_t dl = strlen(w->distinfo);
  if (strncasecmp(p, w->distinfo, dl) != 0 || p[dl] != '/')
    return false;
  p += dl + 1;
  return strcmp(p, "RECORD") == 0 || strcmp(p, "RECORD.jws") == 0 || strcmp(p, "RECORD.p7s") == 0;
}

/* Second pass: every member, checked against RECORD. */
static int install_one(wheel_t *w, struct archive *a, struct archive_entry *e, const char *p)
{
  if (archive_entry_filetype(e) == AE_IFDIR)
    return 0;
  if (!safe_rel(p))
    return pyoci_error_set_code(w->err, PYOCI_E_CORRUPT, 0, "%s: member '%s' leaves the install root", w->what, p);
  if (archive_entry_filetype(e) != AE_IFREG)
    return pyoci_error_set_code(w->err, PYOCI_E_CORRUPT, 0, "%s: member '%s' is not a regular file", w->what, p);
  if (is_record_file(w, p))
    return 0;
  return install_member(w, a, e, p);
}

static int install_members(wheel_t *w, int fd)
{
  int rc = each_member(w, fd, install_one);
  for (size_t i = 0; rc == 0 && i < w->nrec; i++)
    if (w->rec[i].hash != NULL && !w->seen[i])
      rc = pyoci_error_set_code(w->err, PYOCI_E_CORRUPT, 0, "%s: RECORD lists '%s', which is not in the wheel", w->what,
                                w->rec[i].path);
  return rc;
}

/* A generated file, recorded in the new RECORD. */
static int write_recorded(wheel_t *w, const char *dest, const char *data, mode_t mode)
{
  struct stat st;
  if (fstatat(w->root_fd, dest, &st, AT_SYMLINK_NOFOLLOW) == 0)
    return pyoci_error_set_code(w->err, PYOCI_E_INVALID, 0, "%s: '/%s' is already installed by another package",
                                w->what, dest);
  if (pyoci_root_write(w->root_fd, dest, data, strlen(data), mode, w->err) < 0)
    return -1;
  char h[64];
  urlsafe_sha256(data, strlen(data), h);
  cleanup_free char *rel = relative_to_site(w->t->site, dest);
  strbuf_addf(&w->installed, "%s,sha256=%s,%zu\n", rel, h, strlen(data));
  return 0;
}

/* console_scripts wrappers, as pip writes them. */
static int console_scripts(wheel_t *w)
{
  if (w->entry_txt == NULL)
    return 0;
  cleanup_strv char **names = NULL, **targets = NULL;
  cleanup_free char *what = xasprintf("%s: entry_points.txt", w->what);
  if (pyoci_entry_points_parse(what, w->entry_txt, strlen(w->entry_txt), &names, &targets, w->err) < 0)
    return -1;
  for (size_t i = 0; names && names[i]; i++) {
    char *colon = strchr(targets[i], ':');
    *colon = '\0';
    const char *module = targets[i], *attr = colon + 1;
    cleanup_free char *base = xstrndup(attr, strcspn(attr, "."));
    cleanup_free char *text = xasprintf("#!%s\n# -*- coding: utf-8 -*-\nimport re\nimport sys\nfrom %s import %s\n"
                                        "if __name__ == '__main__':\n"
                                        "    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])\n"
                                        "    sys.exit(%s())\n",
                                        w->t->python, module, base, attr);
    cleanup_free char *dest = xasprintf("%s/%s", w->t->bindir, names[i]);
    if (write_recorded(w, dest, text, 0755) < 0)
      return -1;
  }
  return 0;
}

static void wheel_release(wheel_t *w)
{
  free(w->distinfo);
  free(w->datadir);
  free(w->wheel_txt);
  free(w->record_txt);
  free(w->metadata_txt);
  free(w->entry_txt);
  free(w->name);
  free(w->version);
  free(w->seen);
  pyoci_records_free(w->rec, w->nrec);
  strbuf_release(&w->installed);
}

/* "Flask-2.2.2-py3-none-any.whl" -> "Flask-2.2.2" (the .dist-info stem). */
static char *stem(const char *what)
{
  const char *base = strrchr(what, '/') ? strrchr(what, '/') + 1 : what;
  const char *dash = strchr(base, '-');
  const char *dash2 = dash ? strchr(dash + 1, '-') : NULL;
  return dash2 ? xstrndup(base, (size_t)(dash2 - base)) : NULL;
}

static int install(wheel_t *w, int fd)
{
  if (read_distinfo(w, fd) < 0 || check_wheel_txt(w) < 0)
    return -1;
  cleanup_free char *mwhat = xasprintf("%s: METADATA", w->what), *rwhat = xasprintf("%s: RECORD", w->what);
  if (pyoci_metadata_parse(mwhat, w->metadata_txt, strlen(w->metadata_txt), &w->name, &w->version, w->err) < 0 ||
      pyoci_record_parse(rwhat, w->record_txt, strlen(w->record_txt), &w->rec, &w->nrec, w->err) < 0)
    return -1;
  qsort(w->rec, w->nrec, sizeof(*w->rec), cmp_record);
  w->seen = xcalloc(w->nrec + 1, sizeof(bool));
  if (install_members(w, fd) < 0 || console_scripts(w) < 0)
    return -1;
  cleanup_free char *installer = xasprintf("%s/%s/INSTALLER", w->t->site, w->distinfo);
  if (write_recorded(w, installer, "pyoci\n", 0644) < 0)
    return -1;
  cleanup_free char *record = xasprintf("%s/%s/RECORD", w->t->site, w->distinfo);
  cleanup_free char *rel = relative_to_site(w->t->site, record);
  strbuf_addf(&w->installed, "%s,,\n", rel);
  return pyoci_root_write(w->root_fd, record, w->installed.buf, w->installed.len, 0644, w->err);
}

int pyoci_wheel_install(int fd, const char *what, int root_fd, const pyoci_wheel_target_t *t,
                        pyoci_error_t **err)
{
  wheel_t w = {.what = what, .root_fd = root_fd, .t = t, .err = err};
  struct stat st;
  if (fstat(fd, &st) == 0 && st.st_size > 0)
    w.zip_size = (uint64_t)st.st_size;
  cleanup_free char *s = stem(what);
  if (s == NULL)
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "'%s': not a wheel file name", what);
  w.distinfo = xasprintf("%s.dist-info", s);
  w.datadir = xasprintf("%s.data", s);
  int rc = install(&w, fd);
  wheel_release(&w);
  return rc;
}
