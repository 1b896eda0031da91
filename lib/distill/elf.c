/* A bounded ELF reader: header, program headers, the dynamic section and
 * the strings it points at.  Every read goes through get(), which refuses
 * anything outside the buffer; string-table addresses are mapped to file
 * offsets through the PT_LOAD segments the way the loader maps them. */
#include "elf.h"
#include "lib/util/alloc.h"

#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

typedef struct {
  const unsigned char *b;
  size_t len;
  bool is_64, big;
  const char *what;
  pyoci_error_t **err;
} reader_t;

/* Read an unsigned field of n bytes at off; false when out of range. */
static bool get(const reader_t *r, uint64_t off, unsigned n, uint64_t *v)
{
  if (off > r->len || n > r->len - off)
    return false;
  uint64_t x = 0;
  for (unsigned i = 0; i < n; i++) {
    unsigned idx = r->big ? i : n - 1 - i;
    x = (x << 8) | r->b[off + idx];
  }
  *v = x;
  return true;
}

static int bad(const reader_t *r, const char *problem)
{
  return pyoci_error_set_code(r->err, PYOCI_E_CORRUPT, 0, "ELF file '%s': %s", r->what, problem);
}

typedef struct {
  uint64_t type, offset, vaddr, filesz;
} phdr_t;

static bool read_phdr(const reader_t *r, uint64_t off, phdr_t *p)
{
  if (r->is_64)
    return get(r, off, 4, &p->type) && get(r, off + 8, 8, &p->offset) && get(r, off + 16, 8, &p->vaddr) &&
           get(r, off + 32, 8, &p->filesz);
  return get(r, off, 4, &p->type) && get(r, off + 4, 4, &p->offset) && get(r, off + 8, 4, &p->vaddr) &&
         get(r, off + 16, 4, &p->filesz);
}

/* A NUL-terminated string of at most PYOCI_ELF_MAX_STR bytes at off, limited
 * to [off, end). */
static char *get_str(const reader_t *r, uint64_t off, uint64_t end)
{
  if (end > r->len)
    end = r->len;
  if (off >= end)
    return NULL;
  size_t max = end - off;
  if (max > PYOCI_ELF_MAX_STR)
    max = PYOCI_ELF_MAX_STR;
  const unsigned char *s = r->b + off;
  const unsigned char *nul = memchr(s, 0, max);
  if (nul == NULL)
    return NULL;
  return xstrndup((const char *)s, (size_t)(nul - s));
}

typedef struct {
  phdr_t *ph;
  size_t n;
} phdrs_t;

/* vaddr -> file offset through a PT_LOAD that holds it in its file part. */
static bool vaddr_to_off(const phdrs_t *p, uint64_t vaddr, uint64_t *off, uint64_t *limit)
{
  for (size_t i = 0; i < p->n; i++) {
    const phdr_t *h = &p->ph[i];
    if (h->type == PT_LOAD && vaddr >= h->vaddr && vaddr - h->vaddr < h->filesz) {
      *off = h->offset + (vaddr - h->vaddr);
      *limit = h->offset + h->filesz;
      if (*limit < h->offset)
        return false;
      return true;
    }
  }
  return false;
}

typedef struct {
  uint64_t strtab, strsz;
  uint64_t rpath, runpath;
  bool has_rpath, has_runpath;
  uint64_t needed[PYOCI_ELF_MAX_NEEDED];
  size_t n_needed;
} dyn_t;

static int read_dynamic(const reader_t *r, const phdr_t *dyn, dyn_t *d)
{
  unsigned esz = r->is_64 ? 16 : 8, fsz = r->is_64 ? 8 : 4;
  uint64_t n = dyn->filesz / esz;
  if (n > PYOCI_ELF_MAX_DYN)
    return bad(r, "too many dynamic entries");
  for (uint64_t i = 0; i < n; i++) {
    uint64_t tag, val, off = dyn->offset + i * esz;
    if (!get(r, off, fsz, &tag) || !get(r, off + fsz, fsz, &val))
      return bad(r, "dynamic section runs past the end of the file");
    if (tag == DT_NULL)
      break;
    if (tag == DT_NEEDED) {
      if (d->n_needed >= PYOCI_ELF_MAX_NEEDED)
        return bad(r, "too many DT_NEEDED entries");
      d->needed[d->n_needed++] = val;
    } else if (tag == DT_STRTAB) {
      d->strtab = val;
    } else if (tag == DT_STRSZ) {
      d->strsz = val;
    } else if (tag == DT_RPATH) {
      d->rpath = val;
      d->has_rpath = true;
    } else if (tag == DT_RUNPATH) {
      d->runpath = val;
      d->has_runpath = true;
    }
  }
  return 0;
}

static int dyn_strings(const reader_t *r, const phdrs_t *p, const dyn_t *d, pyoci_elf_info_t *out)
{
  if (d->n_needed == 0 && !d->has_rpath && !d->has_runpath)
    return 0;
  uint64_t base, limit;
  if (!vaddr_to_off(p, d->strtab, &base, &limit))
    return bad(r, "DT_STRTAB is not inside a loaded segment");
  if (d->strsz && d->strsz < limit - base)
    limit = base + d->strsz;
  out->needed = xcalloc(d->n_needed + 1, sizeof(char *));
  for (size_t i = 0; i < d->n_needed; i++) {
    if (d->needed[i] >= limit - base || (out->needed[out->n_needed] = get_str(r, base + d->needed[i], limit)) == NULL)
      return bad(r, "DT_NEEDED name outside the string table");
    out->n_needed++;
  }
  if (d->has_rpath && (d->rpath >= limit - base || (out->rpath = get_str(r, base + d->rpath, limit)) == NULL))
    return bad(r, "DT_RPATH outside the string table");
  if (d->has_runpath &&
      (d->runpath >= limit - base || (out->runpath = get_str(r, base + d->runpath, limit)) == NULL))
    return bad(r, "DT_RUNPATH outside the string table");
  return 0;
}

static int read_phdrs(const reader_t *r, phdrs_t *p)
{
  uint64_t phoff, phentsize, phnum;
  bool ok = r->is_64 ? get(r, 32, 8, &phoff) && get(r, 54, 2, &phentsize) && get(r, 56, 2, &phnum)
                     : get(r, 28, 4, &phoff) && get(r, 42, 2, &phentsize) && get(r, 44, 2, &phnum);
  if (!ok)
    return bad(r, "truncated header");
  if (phnum == 0)
    return 0;
  if (phnum > PYOCI_ELF_MAX_PHDRS)
    return bad(r, "too many program headers");
  if (phentsize < (r->is_64 ? 56u : 32u))
    return bad(r, "program header entries too small");
  p->ph = xcalloc(phnum, sizeof(phdr_t));
  for (uint64_t i = 0; i < phnum; i++) {
    if (!read_phdr(r, phoff + i * phentsize, &p->ph[i]))
      return bad(r, "program headers run past the end of the file");
    p->n++;
  }
  return 0;
}

static int parse_body(const reader_t *r, pyoci_elf_info_t *out)
{
  phdrs_t p = {0};
  int rc = read_phdrs(r, &p);
  const phdr_t *dynh = NULL;
  for (size_t i = 0; rc == 0 && i < p.n; i++) {
    if (p.ph[i].type == PT_INTERP && out->interp == NULL) {
      uint64_t end = p.ph[i].offset + p.ph[i].filesz;
      if (end < p.ph[i].offset || (out->interp = get_str(r, p.ph[i].offset, end)) == NULL)
        rc = bad(r, "PT_INTERP is not a string inside the file");
    } else if (p.ph[i].type == PT_DYNAMIC && dynh == NULL) {
      dynh = &p.ph[i];
    }
  }
  if (rc == 0 && dynh) {
    dyn_t *d = xcalloc(1, sizeof(*d));
    if (d == NULL)
      rc = pyoci_error_set(r->err, ENOMEM, "ELF file '%s'", r->what);
    else if ((rc = read_dynamic(r, dynh, d)) == 0)
      rc = dyn_strings(r, &p, d, out);
    free(d);
  }
  free(p.ph);
  return rc;
}

int pyoci_elf_parse(const unsigned char *buf, size_t len, const char *what, pyoci_elf_info_t *out,
                    pyoci_error_t **err)
{
  memset(out, 0, sizeof(*out));
  if (len < 4 || memcmp(buf, ELFMAG, SELFMAG) != 0)
    return 0;
  if (len < 52)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "ELF file '%s': truncated header", what);
  reader_t r = {.b = buf, .len = len, .what = what, .err = err};
  if ((buf[EI_CLASS] != ELFCLASS32 && buf[EI_CLASS] != ELFCLASS64) ||
      (buf[EI_DATA] != ELFDATA2LSB && buf[EI_DATA] != ELFDATA2MSB))
    return bad(&r, "unknown class or byte order");
  r.is_64 = buf[EI_CLASS] == ELFCLASS64;
  r.big = buf[EI_DATA] == ELFDATA2MSB;
  uint64_t machine = 0;
  get(&r, 18, 2, &machine);
  out->is_64 = r.is_64;
  out->machine = (uint16_t)machine;
  if (parse_body(&r, out) < 0) {
    pyoci_elf_info_free(out);
    return -1;
  }
  return 1;
}

int pyoci_elf_parse_fd(int fd, const char *what, pyoci_elf_info_t *out, pyoci_error_t **err)
{
  memset(out, 0, sizeof(*out));
  struct stat st;
  if (fstat(fd, &st) < 0)
    return pyoci_error_set(err, errno, "stat '%s'", what);
  if (!S_ISREG(st.st_mode) || st.st_size < 4)
    return 0;
  if ((uint64_t)st.st_size > PYOCI_ELF_MAX_FILE)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "ELF file '%s': larger than %llu bytes", what,
                                (unsigned long long)PYOCI_ELF_MAX_FILE);
  void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (m == MAP_FAILED)
    return pyoci_error_set(err, errno, "map '%s'", what);
  int rc = pyoci_elf_parse(m, (size_t)st.st_size, what, out, err);
  munmap(m, (size_t)st.st_size);
  return rc;
}

void pyoci_elf_info_free(pyoci_elf_info_t *info)
{
  if (info == NULL)
    return;
  free(info->interp);
  for (size_t i = 0; info->needed && i < info->n_needed; i++)
    free(info->needed[i]);
  free(info->needed);
  free(info->rpath);
  free(info->runpath);
  memset(info, 0, sizeof(*info));
}
