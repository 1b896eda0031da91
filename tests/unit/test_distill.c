/* distill's pieces that need no container: the bounded ELF reader (crafted
 * files, good and damaged), the in-root path resolver (symlink chains,
 * escapes, loops), the ELF closure over a fake root (with #! scripts) and
 * which bytecode caches stay. */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include "lib/distill/distill.h"
#include "lib/distill/distill_int.h"
#include "lib/distill/elf.h"
#include "lib/util/fs.h"
#include "tap.h"

/* A minimal x86-64 shared object: PT_LOAD over the whole file, PT_INTERP,
 * PT_DYNAMIC with DT_NEEDED x n, DT_RUNPATH, DT_STRTAB/DT_STRSZ. */
typedef struct {
  unsigned char b[1024];
  size_t len;
  size_t strtab, dyn;
} elf_t;

static void make_elf(elf_t *e, const char *interp, const char *const *needed, const char *runpath)
{
  memset(e, 0, sizeof(*e));
  Elf64_Ehdr *h = (Elf64_Ehdr *)e->b;
  memcpy(h->e_ident, ELFMAG, SELFMAG);
  h->e_ident[EI_CLASS] = ELFCLASS64;
  h->e_ident[EI_DATA] = ELFDATA2LSB;
  h->e_ident[EI_VERSION] = EV_CURRENT;
  h->e_type = ET_DYN;
  h->e_machine = EM_X86_64;
  h->e_version = EV_CURRENT;
  h->e_phoff = sizeof(Elf64_Ehdr);
  h->e_ehsize = sizeof(Elf64_Ehdr);
  h->e_phentsize = sizeof(Elf64_Phdr);
  h->e_phnum = interp ? 3 : 2;
  size_t off = sizeof(Elf64_Ehdr) + h->e_phnum * sizeof(Elf64_Phdr);
  Elf64_Phdr *ph = (Elf64_Phdr *)(e->b + h->e_phoff);
  size_t interp_off = off;
  if (interp) {
    strcpy((char *)e->b + off, interp);
    off += strlen(interp) + 1;
  }
  e->strtab = off;
  size_t so[16], n = 0, str = off + 1; /* strtab starts with "\0" */
  for (; needed && needed[n]; n++) {
    so[n] = str - off;
    strcpy((char *)e->b + str, needed[n]);
    str += strlen(needed[n]) + 1;
  }
  size_t rp = str - off;
  if (runpath) {
    strcpy((char *)e->b + str, runpath);
    str += strlen(runpath) + 1;
  }
  size_t strsz = str - off;
  e->dyn = (str + 7) & ~(size_t)7;
  Elf64_Dyn *d = (Elf64_Dyn *)(e->b + e->dyn);
  size_t nd = 0;
  for (size_t i = 0; i < n; i++)
    d[nd++] = (Elf64_Dyn){.d_tag = DT_NEEDED, .d_un.d_val = so[i]};
  if (runpath)
    d[nd++] = (Elf64_Dyn){.d_tag = DT_RUNPATH, .d_un.d_val = rp};
  d[nd++] = (Elf64_Dyn){.d_tag = DT_STRTAB, .d_un.d_ptr = e->strtab};
  d[nd++] = (Elf64_Dyn){.d_tag = DT_STRSZ, .d_un.d_val = strsz};
  d[nd++] = (Elf64_Dyn){.d_tag = DT_NULL};
  e->len = e->dyn + nd * sizeof(Elf64_Dyn);
  size_t i = 0;
  ph[i++] = (Elf64_Phdr){.p_type = PT_LOAD, .p_offset = 0, .p_vaddr = 0, .p_filesz = e->len, .p_memsz = e->len};
  if (interp)
    ph[i++] = (Elf64_Phdr){.p_type = PT_INTERP, .p_offset = interp_off, .p_filesz = strlen(interp) + 1};
  ph[i++] = (Elf64_Phdr){.p_type = PT_DYNAMIC, .p_offset = e->dyn, .p_vaddr = e->dyn,
                         .p_filesz = nd * sizeof(Elf64_Dyn)};
}

static void test_parse(void)
{
  const char *needed[] = {"libfoo.so.1", "libc.so.6", NULL};
  elf_t e;
  make_elf(&e, "/lib64/ld-linux-x86-64.so.2", needed, "$ORIGIN/../lib");
  pyoci_elf_info_t info;
  pyoci_error_t *err = NULL;
  is_int(pyoci_elf_parse(e.b, e.len, "t.so", &info, &err), 1, "a crafted ELF file parses");
  is_str(info.interp, "/lib64/ld-linux-x86-64.so.2", "PT_INTERP");
  is_int(info.n_needed, 2, "two DT_NEEDED");
  is_str(info.needed[0], "libfoo.so.1", "first DT_NEEDED");
  is_str(info.needed[1], "libc.so.6", "second DT_NEEDED");
  is_str(info.runpath, "$ORIGIN/../lib", "DT_RUNPATH");
  ok(info.rpath == NULL && info.is_64 && info.machine == EM_X86_64, "no DT_RPATH; class and machine");
  pyoci_elf_info_free(&info);
  is_int(pyoci_elf_parse((const unsigned char *)"#!/bin/sh\n", 10, "s", &info, &err), 0, "a script is not ELF");

  is_int(pyoci_elf_parse(e.b, 40, "short.so", &info, &err), -1, "a truncated header is refused");
  ok(err && strstr(err->msg, "'short.so'") && strstr(err->msg, "truncated"), "the error names the file: %s",
     err ? err->msg : "");
  pyoci_error_release(&err);

  elf_t bad = e;
  ((Elf64_Ehdr *)bad.b)->e_phoff = 100000;
  is_int(pyoci_elf_parse(bad.b, bad.len, "ph.so", &info, &err), -1, "program headers past the end are refused");
  pyoci_error_release(&err);

  bad = e;
  Elf64_Dyn *d = (Elf64_Dyn *)(bad.b + bad.dyn);
  d[0].d_un.d_val = 5000; /* DT_NEEDED name far outside the string table */
  is_int(pyoci_elf_parse(bad.b, bad.len, "needed.so", &info, &err), -1, "a DT_NEEDED outside DT_STRTAB is refused");
  ok(err && strstr(err->msg, "DT_NEEDED"), "and the message says which: %s", err ? err->msg : "");
  pyoci_error_release(&err);

  bad = e;
  d = (Elf64_Dyn *)(bad.b + bad.dyn);
  for (; d->d_tag != DT_STRTAB; d++)
    ;
  d->d_un.d_ptr = 0x7fff0000; /* not in any PT_LOAD */
  is_int(pyoci_elf_parse(bad.b, bad.len, "strtab.so", &info, &err), -1, "a DT_STRTAB outside PT_LOAD is refused");
  pyoci_error_release(&err);

  bad = e;
  ((Elf64_Ehdr *)bad.b)->e_phnum = 0xffff;
  is_int(pyoci_elf_parse(bad.b, bad.len, "many.so", &info, &err), -1, "65535 program headers are over the limit");
  pyoci_error_release(&err);

  int fd = open("/bin/true", O_RDONLY);
  if (fd >= 0) {
    int rc = pyoci_elf_parse_fd(fd, "/bin/true", &info, &err);
    ok(rc == 1 && info.interp && strstr(info.interp, "ld-") && info.n_needed >= 1,
       "the host's /bin/true: interpreter %s, %zu needed", info.interp ? info.interp : "-", info.n_needed);
    pyoci_elf_info_free(&info);
    close(fd);
  }
}

static void put(const char *root, const char *rel, const void *data, size_t len)
{
  char *p = pyoci_path_join(root, rel);
  char *dir = strdup(p);
  *strrchr(dir, '/') = '\0';
  pyoci_mkdir_p(dir, 0755, NULL);
  FILE *f = fopen(p, "w");
  fwrite(data, 1, len, f);
  fclose(f);
  free(dir);
  free(p);
}

static void link_at(const char *root, const char *rel, const char *target)
{
  char *p = pyoci_path_join(root, rel);
  char *dir = strdup(p);
  *strrchr(dir, '/') = '\0';
  pyoci_mkdir_p(dir, 0755, NULL);
  if (symlink(target, p) < 0)
    perror("symlink");
  free(dir);
  free(p);
}

static void test_resolver(const char *root)
{
  pyoci_mkdir_p(root, 0755, NULL);
  put(root, "usr/lib/x86_64-linux-gnu/libfoo.so.1.2", "x", 1);
  link_at(root, "lib", "usr/lib");
  link_at(root, "usr/lib/x86_64-linux-gnu/libfoo.so.1", "libfoo.so.1.2");
  link_at(root, "evil", "../../../../etc");
  link_at(root, "loop1", "loop2");
  link_at(root, "loop2", "/loop1");
  pyoci_keep_t k = {.root = root, .keep = json_object()};
  char *real = NULL;
  is_int(pyoci_keep_path(&k, "/lib/x86_64-linux-gnu/libfoo.so.1", "t", &real), 1, "a path through two symlinks");
  is_str(real, "usr/lib/x86_64-linux-gnu/libfoo.so.1.2", "resolves to the real file inside the root");
  ok(json_object_get(k.keep, "lib") && json_object_get(k.keep, "usr/lib/x86_64-linux-gnu/libfoo.so.1") &&
         json_object_get(k.keep, "usr/lib/x86_64-linux-gnu/libfoo.so.1.2"),
     "the link /lib, the link libfoo.so.1 and the file are kept");
  free(real);
  real = NULL;
  is_int(pyoci_keep_path(&k, "/evil/passwd", "t", &real), 0, "'../../../../etc' stays inside the root (no etc/passwd there)");
  is_int(pyoci_keep_path(&k, "/loop1/x", "t", NULL), -1, "a symlink loop is refused");
  is_int(pyoci_keep_path(&k, "/usr/../usr/./lib/x86_64-linux-gnu/libfoo.so.1.2", "t", &real), 1, ". and .. resolve");
  free(real);
  json_decref(k.keep);
}

static void test_elf_closure(const char *root)
{
  const char *app_needs[] = {"libfoo.so.1", "libbar.so.2", NULL};
  const char *foo_needs[] = {"libbaz.so.3", NULL};
  elf_t app, foo, bar, baz;
  make_elf(&app, "/lib64/ld.so", app_needs, "$ORIGIN/../private");
  make_elf(&foo, NULL, foo_needs, NULL);
  make_elf(&bar, NULL, NULL, NULL);
  make_elf(&baz, NULL, NULL, NULL);
  put(root, "opt/app/bin/app", app.b, app.len);
  put(root, "usr/lib/x86_64-linux-gnu/libfoo.so.1.2", foo.b, foo.len); /* the link from test_resolver */
  put(root, "opt/app/private/libbar.so.2", bar.b, bar.len);
  put(root, "opt/other/libbaz.so.3", baz.b, baz.len);
  put(root, "etc/ld.so.conf", "include /etc/ld.so.conf.d/*.conf\n", 33);
  put(root, "etc/ld.so.conf.d/other.conf", "# comment\n/opt/other\n", 21);
  put(root, "lib64/ld.so", bar.b, bar.len);
  put(root, "usr/lib/libbar.so.2", "not elf", 7); /* a decoy later in the search */
  pyoci_keep_t k = {.root = root, .keep = json_object()};
  pyoci_keep_path(&k, "/opt/app/bin/app", "trace", NULL);
  pyoci_error_t *err = NULL;
  is_int(pyoci_keep_elf_closure(&k, &err), 0, "ELF closure over a fake root");
  ok(json_object_get(k.keep, "lib64/ld.so") != NULL, "PT_INTERP kept");
  ok(json_object_get(k.keep, "usr/lib/x86_64-linux-gnu/libfoo.so.1.2") && json_object_get(k.keep, "lib"),
     "DT_NEEDED found in the default dirs, through /lib -> usr/lib");
  ok(json_object_get(k.keep, "opt/app/private/libbar.so.2") != NULL, "DT_RUNPATH $ORIGIN/../private searched");
  ok(json_object_get(k.keep, "opt/other/libbaz.so.3") != NULL,
     "a library's own need found through ld.so.conf's include");
  ok(json_object_get(k.keep, "usr/lib/libbar.so.2") == NULL, "the decoy was not needed");
  json_decref(k.keep);
}

/* Bytecode is a cache: a __pycache__ file goes when its source is kept
 * (Python compiles it), or when the run never read it; --keep-bytecode
 * keeps the ones the run read; a cache whose source is gone stays only
 * when read (Python would not use it otherwise), --include'd ones stay. */
static void test_bytecode(void)
{
  json_t *traced = json_pack("{s:s, s:s, s:s}", "lib/py/__pycache__/os.cpython-311.pyc", "open",
                             "lib/py/pkg/__pycache__/__init__.cpython-311.pyc", "open",
                             "lib/py/__pycache__/orphan.cpython-311.pyc", "open");
  for (int keep_read = 0; keep_read < 2; keep_read++) {
    pyoci_keep_t k = {.root = "/nonexistent", .traced = traced,
                      .keep = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
                                        "lib/py/os.py", "python", "lib/py/__pycache__/os.cpython-311.pyc", "trace",
                                        "lib/py/pkg/__init__.py", "python",
                                        "lib/py/pkg/__pycache__/__init__.cpython-311.pyc", "trace",
                                        "lib/py/re.py", "python", "lib/py/__pycache__/re.cpython-311.pyc", "python",
                                        "lib/py/__pycache__/orphan.cpython-311.pyc", "trace",
                                        "lib/py/__pycache__/inc.cpython-311.pyc", "include", "lib/py/inc.py", "include")};
    pyoci_keep_drop_bytecode(&k, keep_read);
    const char *mode = keep_read ? "keep_read" : "default";
    ok((json_object_get(k.keep, "lib/py/__pycache__/os.cpython-311.pyc") != NULL) == keep_read,
       "%s: read bytecode of a kept source %s", mode, keep_read ? "stays" : "goes");
    ok((json_object_get(k.keep, "lib/py/pkg/__pycache__/__init__.cpython-311.pyc") != NULL) == keep_read,
       "%s: the same for a package's __init__", mode);
    ok(json_object_get(k.keep, "lib/py/__pycache__/re.cpython-311.pyc") == NULL, "%s: unread bytecode goes", mode);
    ok(json_object_get(k.keep, "lib/py/__pycache__/orphan.cpython-311.pyc") != NULL,
       "%s: read bytecode without a kept source stays", mode);
    ok(json_object_get(k.keep, "lib/py/__pycache__/inc.cpython-311.pyc") != NULL, "%s: --include'd stays", mode);
    ok(json_object_get(k.keep, "lib/py/os.py") && json_object_get(k.keep, "lib/py/re.py"), "%s: sources stay", mode);
    json_decref(k.keep);
  }
  json_decref(traced);
}

/* A kept script's #! interpreter is kept; a Python module's is not (Python
 * imports it, the kernel never execs it), nor a file without an x bit. */
static void test_shebang(const char *root)
{
  static const char script[] = "#!/usr/bin/env python3\nprint(1)\n";
  put(root, "usr/bin/env", "e", 1);
  put(root, "usr/bin/python3", "p", 1);
  put(root, "srv/run.py", script, sizeof(script) - 1);
  put(root, "srv/lib/mod.py", script, sizeof(script) - 1);
  put(root, "srv/data.py", script, sizeof(script) - 1);
  char *p = pyoci_path_join(root, "srv/run.py"), *q = pyoci_path_join(root, "srv/lib/mod.py");
  chmod(p, 0755);
  chmod(q, 0755);
  free(p);
  free(q);
  pyoci_error_t *err = NULL;
  pyoci_keep_t k = {.root = root, .keep = json_pack("{s:s}", "srv/lib/mod.py", "python")};
  pyoci_keep_path(&k, "/srv/data.py", "trace", NULL);
  is_int(pyoci_keep_elf_closure(&k, &err), 0, "closure over a module and a file without an x bit");
  ok(json_object_get(k.keep, "usr/bin/env") == NULL, "neither one's #! interpreter is kept");
  pyoci_keep_path(&k, "/srv/run.py", "trace", NULL);
  is_int(pyoci_keep_elf_closure(&k, &err), 0, "closure over an executable script");
  ok(json_object_get(k.keep, "usr/bin/env") && json_object_get(k.keep, "usr/bin/python3"),
     "its #!/usr/bin/env python3: env and python3 on the PATH are kept");
  json_decref(k.keep);
}

static void test_probe_urls(void)
{
  pyoci_error_t *err = NULL;
  is_int(pyoci_distill_check_probe_url("http://127.0.0.1:8080/", &err), 0, "127.0.0.1 is loopback");
  is_int(pyoci_distill_check_probe_url("https://[::1]:8443/x", &err), 0, "[::1] is loopback");
  is_int(pyoci_distill_check_probe_url("http://localhost/", &err), 0, "localhost is loopback");
  is_int(pyoci_distill_check_probe_url("http://10.0.0.1/", &err), -1, "10.0.0.1 is refused");
  ok(err && strstr(err->msg, "not on loopback"), "with a reason: %s", err ? err->msg : "");
  pyoci_error_release(&err);
  is_int(pyoci_distill_check_probe_url("http://example.com/", &err), -1, "a name other than localhost is refused");
  pyoci_error_release(&err);
  is_int(pyoci_distill_check_probe_url("ftp://127.0.0.1/", &err), -1, "ftp is refused");
  pyoci_error_release(&err);
}

int main(void)
{
  test_parse();
  char tmpl[] = "/tmp/test_distill.XXXXXX";
  char *dir = mkdtemp(tmpl);
  char *root = pyoci_path_join(dir, "root");
  test_resolver(root);
  test_elf_closure(root);
  test_bytecode();
  test_shebang(root);
  test_probe_urls();
  pyoci_rm_rf(dir, NULL);
  free(root);
  return done_testing();
}
