/* The compressions pyoci meets, as one table: name, magic bytes, the OCI
 * layer media type, whether pyoci writes it, and the operations that do.  One sniffer serves the
 * layer decompressor and the archive loader (which had one each), and the
 * media type of a layer comes from the row, not from a chain of ifs. */
#ifndef PYOCI_LAYER_CODEC_H
#define PYOCI_LAYER_CODEC_H

#include <stdbool.h>
#include <stddef.h>

#include "layer.h"

typedef struct {
  pyoci_comp_t comp;
  const char *name;           /* as --compression spells it */
  const char *magic;          /* first bytes of a stream; NULL for none */
  size_t magic_len;
  const char *media_type;     /* OCI layer media type; NULL: never a layer's */
  const char *media_suffix;   /* how a layer media type ends for it (+gzip) */
  bool layers;                /* pyoci compresses and decompresses layers with it */
  /* Its operations (layer_int.h), NULL when pyoci does not run it itself. */
  const struct pyoci_codec_enc *enc;
  const struct pyoci_codec_dec *dec;
} pyoci_codec_t;

/* The row for comp (never NULL for a pyoci_comp_t value). */
const pyoci_codec_t *pyoci_codec_get(pyoci_comp_t comp);
/* The compression the first bytes of a stream show.  A tar header (ustar at
 * offset 257) wins over a member name that looks like magic: NONE. */
pyoci_comp_t pyoci_codec_sniff(const unsigned char *b, size_t len);

#endif
