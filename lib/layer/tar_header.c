#include "tar_header.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "lib/util/cleanup.h"



/* Octal into a field of width bytes (width-1 digits + NUL).  False when
 * the value does not fit. */
static bool put_octal(char *field, size_t width, uint64_t v)
{
  uint64_t max = (1ULL << (3 * (width - 1))) - 1;
  if (v > max)
    return false;
  char tmp[32];
  snprintf(tmp, sizeof(tmp), "%0*" PRIo64, (int)(width - 1), v);
  memcpy(field, tmp, width); /* includes the NUL */
  return true;
}

void pyoci_tar_pax_record(strbuf_t *sb, const char *key, const void *val, size_t vlen)
{
  /* The length prefix counts itself: find the fixed point. */
  size_t base = strlen(key) + vlen + 3; /* ' ' '=' '\n' */
  size_t n = base + 1;
  for (;;) {
    char d[24];
    size_t digits = (size_t)snprintf(d, sizeof(d), "%zu", n);
    if (base + digits == n)
      break;
    n = base + digits;
  }
  strbuf_addf(sb, "%zu %s=", n, key);
  strbuf_add(sb, val, vlen);
  strbuf_addch(sb, '\n');
}

static void pax_record_u(strbuf_t *sb, const char *key, uint64_t v)
{
  char tmp[32];
  int n = snprintf(tmp, sizeof(tmp), "%" PRIu64, v);
  pyoci_tar_pax_record(sb, key, tmp, (size_t)n);
}

/* Fill a ustar block; a numeric field that does not fit is written as 0 and
 * *need_pax set (write_header then adds the PAX record). */
static void fill_ustar(unsigned char blk[512], const pyoci_tar_header_t *h, const char *name, bool *need_pax)
{
  memset(blk, 0, 512);
  char *b = (char *)blk;
  size_t nl = strlen(name);
  memcpy(b, name, nl > 100 ? 100 : nl);
  put_octal(b + 100, 8, h->mode & 07777);
  if (!put_octal(b + 108, 8, h->uid)) {
    put_octal(b + 108, 8, 0);
    *need_pax = true;
  }
  if (!put_octal(b + 116, 8, h->gid)) {
    put_octal(b + 116, 8, 0);
    *need_pax = true;
  }
  if (!put_octal(b + 124, 12, h->size)) {
    put_octal(b + 124, 12, 0);
    *need_pax = true;
  }
  if (h->mtime < 0 || !put_octal(b + 136, 12, (uint64_t)h->mtime)) {
    put_octal(b + 136, 12, 0);
    *need_pax = true;
  }
  b[156] = h->type;
  if (h->link != NULL) {
    size_t ll = strlen(h->link);
    memcpy(b + 157, h->link, ll > 100 ? 100 : ll);
  }
  memcpy(b + 257, "ustar", 6);
  memcpy(b + 263, "00", 2);
  /* uname/gname stay empty: numeric owners only. */
  put_octal(b + 329, 8, h->major);
  put_octal(b + 337, 8, h->minor);
}

static void checksum(unsigned char blk[512])
{
  memset(blk + 148, ' ', 8);
  unsigned sum = 0;
  for (int i = 0; i < 512; i++)
    sum += blk[i];
  char tmp[8];
  snprintf(tmp, sizeof(tmp), "%06o", sum);
  memcpy(blk + 148, tmp, 7); /* 6 digits + NUL, then the space stays */
}

int pyoci_tar_header_encode(const pyoci_tar_header_t *h, strbuf_t *out, pyoci_error_t **err)
{
  if (h->major > 07777777 || h->minor > 07777777)
    return pyoci_error_set(err, 0, "tar '%s': device number %u:%u too large", h->name, h->major, h->minor);
  cleanup_strbuf strbuf_t pax = STRBUF_INIT;
  bool need = false;
  unsigned char blk[512];
  /* PAX records in a fixed order (keys sorted, xattrs last and sorted). */
  fill_ustar(blk, h, h->name, &need);
  if (need || strlen(h->name) > 100 || (h->link && strlen(h->link) > 100) || h->xattrs.len > 0) {
    if (h->gid > 07777777)
      pax_record_u(&pax, "gid", h->gid);
    if (h->link && strlen(h->link) > 100)
      pyoci_tar_pax_record(&pax, "linkpath", h->link, strlen(h->link));
    if (h->mtime < 0 || (uint64_t)h->mtime > 077777777777ULL) {
      char tmp[32];
      int n = snprintf(tmp, sizeof(tmp), "%" PRId64, h->mtime);
      pyoci_tar_pax_record(&pax, "mtime", tmp, (size_t)n);
    }
    if (strlen(h->name) > 100)
      pyoci_tar_pax_record(&pax, "path", h->name, strlen(h->name));
    if (h->size > 077777777777ULL)
      pax_record_u(&pax, "size", h->size);
    if (h->uid > 07777777)
      pax_record_u(&pax, "uid", h->uid);
    strbuf_add(&pax, h->xattrs.buf ? h->xattrs.buf : "", h->xattrs.len);

    /* The extended header's own name: DIR/PaxHeaders.0/BASE, like Go. */
    cleanup_strbuf strbuf_t pname = STRBUF_INIT;
    size_t nl = strlen(h->name);
    size_t end = nl;
    while (end > 0 && h->name[end - 1] == '/')
      end--;
    size_t slash = end;
    while (slash > 0 && h->name[slash - 1] != '/')
      slash--;
    strbuf_add(&pname, h->name, slash);
    strbuf_addstr(&pname, "PaxHeaders.0/");
    strbuf_add(&pname, h->name + slash, end - slash);
    if (pname.len > 100)
      pname.len = 100;
    pname.buf[pname.len] = '\0';
    pyoci_tar_header_t ph = {.name = pname.buf, .type = 'x', .mode = 0644, .size = pax.len};
    unsigned char pblk[512];
    bool dummy = false;
    fill_ustar(pblk, &ph, ph.name, &dummy);
    checksum(pblk);
    static const char zeros[512];
    strbuf_add(out, pblk, 512);
    strbuf_add(out, pax.buf, pax.len);
    if (pax.len % 512)
      strbuf_add(out, zeros, 512 - pax.len % 512);
  }
  checksum(blk);
  strbuf_add(out, blk, 512);
  return 0;
}

