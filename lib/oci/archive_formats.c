/* The archive formats as one table (archive_int.h): load asks each row to
 * bid on the spooled members and lets the highest plan the images; save
 * looks its row up by format and calls write.  A new format is a row here,
 * not another branch in load and save. */
#include "archive_int.h"

/* Docker 25+ writes both manifest.json and an OCI layout; the OCI index
 * keeps the manifest digests, so it outbids manifest.json. */
static int oci_bid(const pyoci_members_t *m)
{
  return m->index_json != NULL && m->has_oci_layout ? 2 : 0;
}

static int docker_bid(const pyoci_members_t *m)
{
  return m->manifest_json != NULL ? 1 : 0;
}

static int docker_write(pyoci_store_t *s, pyoci_save_item_t *items, size_t n, const pyoci_variant_spec_t *spec,
                        pyoci_tarw_t *w, pyoci_error_t **err)
{
  (void)spec; /* layers are always written uncompressed (compressed_layers) */
  return pyoci_docker_archive_write(s, items, n, w, err);
}

static const pyoci_archive_fmt_t formats[] = {
    {"docker-archive", PYOCI_ARCHIVE_DOCKER, false, docker_bid, pyoci_docker_archive_plan, docker_write},
    {"oci-archive", PYOCI_ARCHIVE_OCI, true, oci_bid, pyoci_oci_archive_plan, pyoci_oci_archive_write},
};

const pyoci_archive_fmt_t *pyoci_archive_fmt_get(pyoci_archive_format_t fmt)
{
  for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
    if (formats[i].fmt == fmt)
      return &formats[i];
  return NULL;
}

const pyoci_archive_fmt_t *pyoci_archive_fmt_bid(const pyoci_members_t *m)
{
  const pyoci_archive_fmt_t *best = NULL;
  int best_bid = 0;
  for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
    int b = formats[i].bid(m);
    if (b > best_bid) {
      best = &formats[i];
      best_bid = b;
    }
  }
  return best;
}
