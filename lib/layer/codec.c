#include "codec.h"

#include <string.h>

#include "layer_int.h"

static const pyoci_codec_t codecs[] = {
    {PYOCI_COMP_NONE, "none", NULL, 0, "application/vnd.oci.image.layer.v1.tar", ".tar", true, &pyoci_enc_plain,
     &pyoci_dec_plain},
    {PYOCI_COMP_GZIP, "gzip", "\x1f\x8b", 2, "application/vnd.oci.image.layer.v1.tar+gzip", "+gzip", true,
     &pyoci_enc_gzip, &pyoci_dec_gzip},
    {PYOCI_COMP_ZSTD, "zstd", "\x28\xb5\x2f\xfd", 4, "application/vnd.oci.image.layer.v1.tar+zstd", "+zstd", true,
     &pyoci_enc_zstd, &pyoci_dec_zstd},
    /* Only ever read, from archives (libarchive decompresses them). */
    {PYOCI_COMP_XZ, "xz", "\xfd" "7zXZ\0", 6, NULL, NULL, false, NULL, NULL},
    {PYOCI_COMP_BZIP2, "bzip2", "BZh", 3, NULL, NULL, false, NULL, NULL},
};

const pyoci_codec_t *pyoci_codec_get(pyoci_comp_t comp)
{
  for (size_t i = 0; i < sizeof(codecs) / sizeof(codecs[0]); i++)
    if (codecs[i].comp == comp)
      return &codecs[i];
  return &codecs[0];
}

pyoci_comp_t pyoci_codec_sniff(const unsigned char *b, size_t len)
{
  if (len >= 262 && memcmp(b + 257, "ustar", 5) == 0)
    return PYOCI_COMP_NONE;
  for (size_t i = 0; i < sizeof(codecs) / sizeof(codecs[0]); i++)
    if (codecs[i].magic != NULL && len >= codecs[i].magic_len && memcmp(b, codecs[i].magic, codecs[i].magic_len) == 0)
      return codecs[i].comp;
  return PYOCI_COMP_NONE;
}
