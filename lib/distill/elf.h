/* The few facts the dynamic loader needs from an ELF file, read with every
 * offset and count checked against the buffer: the interpreter (PT_INTERP),
 * the libraries it needs (DT_NEEDED) and where it says to look for them
 * (DT_RPATH, DT_RUNPATH).  distill follows these to keep exactly the shared
 * objects a kept program or extension module can load.  Files come from
 * image layers, so they are hostile input: tests/fuzz/fuzz_elf.c. */
#ifndef PYOCI_DISTILL_ELF_H
#define PYOCI_DISTILL_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/util/error.h"

/* Limits for hostile files. */
#define PYOCI_ELF_MAX_PHDRS 4096
#define PYOCI_ELF_MAX_DYN 65536
#define PYOCI_ELF_MAX_NEEDED 1024
#define PYOCI_ELF_MAX_STR 4096
#define PYOCI_ELF_MAX_FILE (1ull << 31)

typedef struct {
  bool is_64;
  uint16_t machine;
  char *interp;   /* PT_INTERP, NULL when static or a shared library */
  char **needed;  /* DT_NEEDED names, NULL-terminated */
  size_t n_needed;
  char *rpath;    /* DT_RPATH or NULL */
  char *runpath;  /* DT_RUNPATH or NULL */
} pyoci_elf_info_t;

/* 1: an ELF file, *out filled; 0: not ELF (no magic); -1: a damaged or
 * over-limit ELF file, *err names `what` and the problem. */
int pyoci_elf_parse(const unsigned char *buf, size_t len, const char *what, pyoci_elf_info_t *out,
                    pyoci_error_t **err);
/* The same for a file (mapped read-only, at most PYOCI_ELF_MAX_FILE). */
int pyoci_elf_parse_fd(int fd, const char *what, pyoci_elf_info_t *out, pyoci_error_t **err);
void pyoci_elf_info_free(pyoci_elf_info_t *info);

#endif
