/* `docker image inspect` for images in the store: the same object Docker
 * 20.10 prints (field names, order, nulls, omitted empties), built from the
 * image's config blob, so scripts and --format templates written against
 * Docker work unchanged.
 *
 * What pyoci cannot know the way a daemon does is filled in fixed:
 * RepoDigests [] (Docker lists repo@digest only for images it pulled),
 * Parent "", GraphDriver {Data: null, Name: "pyoci"}, Metadata.LastTagTime
 * the zero time.  Size (and VirtualSize) is passed in: Docker's number,
 * computed from the layers (lib/image/layersize.h). */
#ifndef PYOCI_OCI_INSPECT_H
#define PYOCI_OCI_INSPECT_H

#include <jansson.h>
#include <stdint.h>

#include "lib/util/error.h"
#include "image.h"
#include "store.h"

/* The inspect object for img (RepoTags from every name in the store whose
 * manifest has this image ID).  New reference. */
json_t *pyoci_inspect_image(pyoci_store_t *s, const pyoci_image_t *img, int64_t size, pyoci_error_t **err);

/* Go types of the object's fields, for pyoci_gotemplate_execute's kinds
 * (so {{.Config.Entrypoint}} prints "[]" for a nil slice as Docker does).
 * Borrowed, lives for the process. */
const json_t *pyoci_inspect_kinds(void);

/* A container.Config object in Docker's field order from an image config's
 * "config" (or "container_config") object; keys matched the way Go's JSON
 * decoder does (exact, then case-insensitive).  New reference. */
json_t *pyoci_inspect_container_config(const json_t *src);

/* Time as Go's time.Time.Format(RFC3339Nano) prints what it parsed from an
 * RFC 3339 string: fraction without trailing zeros, "Z" for UTC offsets.
 * NULL/empty -> "0001-01-01T00:00:00Z"; unparsable -> returned as given.
 * Caller frees. */
char *pyoci_inspect_time(const char *rfc3339);

#endif
